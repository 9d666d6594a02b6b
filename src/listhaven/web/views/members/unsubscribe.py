"""`/LIST/unsubscribe/TOKEN`: the one-click unsubscribe link of each personalised copy (RFC 8058).

A POST whose body holds ``List-Unsubscribe=One-Click`` (what a mailbox provider sends when its reader
presses "unsubscribe") removes the member at once and answers 200: no login, no CSRF token (the
provider has none; the HMAC token in the URL is the proof), no confirmation, no landing page. That is
why this one view is exempt from CSRF. A GET (a person following the link) shows one button; that
form carries a CSRF token and is checked here by hand. The link of an address that is no longer a
member (it left, or was removed) says so, with the way back in, instead of offering a button that
would do nothing."""

from __future__ import annotations

import time

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from listhaven.lists.members import find_member
from listhaven.lists.subscriptions import leave
from listhaven.lists.unsubscribe import check_unsubscribe_token
from listhaven.web.access import get_list_by_proof

ONE_CLICK = "One-Click"


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def one_click(request: HttpRequest, list_name: str, token: str) -> HttpResponse:
    # The token is the proof: a member of a list with a private archive leaves it like any other.
    mlist, address = get_list_by_proof(
        request, list_name, lambda found: check_unsubscribe_token(found.address, token, int(time.time()))
    )
    if address is None:
        return render(request, "listhaven/members/token_invalid.html", {"mlist": mlist}, status=404)
    context = {"mlist": mlist, "address": address}
    if request.method != "POST":
        page = "unsubscribe.html" if find_member(mlist, address) else "not_member.html"
        return render(request, "listhaven/members/" + page, context)
    if request.POST.get("List-Unsubscribe") != ONE_CLICK:
        rejected = _csrf_failure(request)
        if rejected is not None:
            return rejected
    left = leave(mlist, address, origin="one-click")
    if request.POST.get("List-Unsubscribe") == ONE_CLICK:
        return HttpResponse("Unsubscribed.\n", content_type="text/plain; charset=utf-8")
    return render(request, "listhaven/members/" + ("left.html" if left else "not_member.html"), context)


def _csrf_failure(request: HttpRequest) -> HttpResponse | None:
    """The page's own form must pass the CSRF check the exemption skipped."""
    middleware = CsrfViewMiddleware(lambda _request: HttpResponse())
    return middleware.process_view(request, lambda _request: HttpResponse(), (), {})
