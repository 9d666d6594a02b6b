"""`/LIST/reenable/TOKEN`: the link in a bounce warning that turns the member's delivery back on.

A GET shows one button (a link scanner in a mailbox must not re-enable by visiting); the POST, with its
CSRF token, acts. The token (lists/bounces.py) names the address, the list and the purpose."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from listhaven.lists.bounces import reenable, reenable_address
from listhaven.web.access import get_list_by_proof


@require_http_methods(["GET", "HEAD", "POST"])
def reenable_page(request: HttpRequest, list_name: str, token: str) -> HttpResponse:
    mlist, address = get_list_by_proof(request, list_name, lambda found: reenable_address(found, token))
    if address is None:
        return render(request, "listhaven/members/token_invalid.html", {"mlist": mlist}, status=404)
    if request.method != "POST":
        return render(request, "listhaven/members/reenable.html", {"mlist": mlist, "address": address})
    if reenable(mlist, token) is None:
        return render(request, "listhaven/members/token_invalid.html", {"mlist": mlist}, status=404)
    return render(request, "listhaven/members/reenabled.html", {"mlist": mlist, "address": address})
