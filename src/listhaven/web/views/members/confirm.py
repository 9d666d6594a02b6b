"""`/confirm/TOKEN`: GET shows what the link confirms and one button; only the POST acts, so the
link scanners of mailboxes, which fetch every link in a mail, confirm nothing."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from listhaven.lists.subscriptions import ADDRESS_PURPOSES, OWNER_PURPOSES, confirm, find_pending
from listhaven.web.access import mark_personal

CONFIRMABLE = ADDRESS_PURPOSES | OWNER_PURPOSES
WHAT = {
    "subscribe": "subscribe {address} to",
    "invite": "accept the invitation of {address} to",
    "unsubscribe": "remove {address} from",
    "approve_subscribe": "approve the subscription of {address} to",
    "approve_unsubscribe": "approve the departure of {address} from",
    "change_address": "change the address {old} to {address} on{where}",
}


@require_http_methods(["GET", "HEAD", "POST"])
def confirm_page(request: HttpRequest, token: str) -> HttpResponse:
    pending = find_pending(token, purposes=CONFIRMABLE)
    if pending is None:
        return render(request, "listhaven/members/token_invalid.html", status=404)
    mlist = pending.mailing_list
    mark_personal(request)  # names the address the link was mailed to
    everywhere = bool(pending.payload.get("everywhere"))
    what = WHAT[pending.purpose].format(address=pending.address, old=pending.payload.get("old", ""),
                                        where=" every list it is a member of here, among them" if everywhere else "")  # fmt: skip
    if request.method != "POST":
        return render(request, "listhaven/members/confirm.html", {"mlist": mlist, "what": what, "token": token})
    outcome = confirm(pending)
    return render(request, "listhaven/members/confirmed.html", {"mlist": mlist, "outcome": outcome})
