"""/manage/LIST/requests/: requests to join or leave that wait for an owner (lists whose subscription
or unsubscription policy asks an owner's approval), approved, refused (the address is told) or
discarded (it is not: spam sign-ups) one at a time or in bulk, each recorded with who decided
(RequestDecision, the recent ones listed under the requests). The same decisions as a reply to the
approval notice (lists/command_mail.py) and the token API."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from listhaven.lists.models import MailingList, RequestDecision
from listhaven.lists.subscriptions import REQUEST_DECISIONS, Status, approval_request, decide_request, waiting_approval
from listhaven.web.manage.guard import manage

PER_PAGE = 50
RECENT = 20  # decisions shown under the requests
DONE = {Status.SUBSCRIBED: "subscribed", Status.UNSUBSCRIBED: "removed", Status.REFUSED: "refused",
        Status.DISCARDED: "discarded (not told)"}  # fmt: skip


@manage("administer")
@require_http_methods(["GET", "POST"])
def requests(request: HttpRequest, mlist: MailingList) -> HttpResponse:
    if request.method == "POST":
        return _decide(request, mlist)
    page = Paginator(waiting_approval(mlist), PER_PAGE).get_page(request.GET.get("page"))
    recent = RequestDecision.objects.filter(mailing_list=mlist)[:RECENT]
    return render(request, "listhaven/manage/requests.html", {"mlist": mlist, "page": page, "recent": recent})


def _decide(request: HttpRequest, mlist: MailingList) -> HttpResponse:
    """A row's own button (approve=ID, refuse=ID, discard=ID) or the selected rows with
    action=approve|refuse|discard."""
    post = request.POST
    own = [decision for decision in REQUEST_DECISIONS if post.get(decision, "").isdigit()]
    if own:
        action, ids = own[0], [int(post[own[0]])]
    else:
        action = post.get("action", "")
        ids = [int(i) for i in post.getlist("request") if i.isdigit()]
    if action not in REQUEST_DECISIONS or not ids:
        messages.error(request, "Choose the requests and what to do with them.")
        return redirect("manage-requests", list_name=mlist.name)
    reason = post.get("reason", "").strip()[:500]
    for pk in ids:
        pending = approval_request(mlist, pk)
        outcome = decide_request(pending, action, reason, by=request.user.get_username()) if pending else None
        if outcome is None or outcome.status == Status.INVALID:
            messages.error(request, f"Request #{pk} was decided meanwhile or has expired.")
            continue
        what = DONE.get(outcome.status, f"nothing done ({outcome.detail or outcome.status})")
        messages.success(request, f"{outcome.address}: {what}.")
    return redirect("manage-requests", list_name=mlist.name)
