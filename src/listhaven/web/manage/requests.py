"""/manage/LIST/requests/: requests to join or leave that wait for an owner (lists whose subscription
or unsubscription policy asks an owner's approval), approved or refused one at a time or in bulk.
The same decisions as a reply to the approval notice (lists/command_mail.py)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from listhaven.lists.models import MailingList
from listhaven.lists.subscriptions import Status, approval_request, confirm, refuse, waiting_approval
from listhaven.web.manage.guard import manage

PER_PAGE = 50
DONE = {Status.SUBSCRIBED: "subscribed", Status.UNSUBSCRIBED: "removed", Status.REFUSED: "refused"}


@manage("administer")
@require_http_methods(["GET", "POST"])
def requests(request: HttpRequest, mlist: MailingList) -> HttpResponse:
    if request.method == "POST":
        return _decide(request, mlist)
    page = Paginator(waiting_approval(mlist), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "listhaven/manage/requests.html", {"mlist": mlist, "page": page})


def _decide(request: HttpRequest, mlist: MailingList) -> HttpResponse:
    """A row's own button (approve=ID, refuse=ID) or the selected rows with action=approve|refuse."""
    post = request.POST
    if post.get("approve", "").isdigit() or post.get("refuse", "").isdigit():
        action = "approve" if post.get("approve", "").isdigit() else "refuse"
        ids = [int(post[action])]
    else:
        action = post.get("action", "")
        ids = [int(i) for i in post.getlist("request") if i.isdigit()]
    if action not in ("approve", "refuse") or not ids:
        messages.error(request, "Choose the requests and what to do with them.")
        return redirect("manage-requests", list_name=mlist.name)
    reason = post.get("reason", "").strip()[:500]
    for pk in ids:
        pending = approval_request(mlist, pk)
        if pending is None:
            messages.error(request, f"Request #{pk} was decided meanwhile or has expired.")
            continue
        outcome = confirm(pending) if action == "approve" else refuse(pending, reason)
        what = DONE.get(outcome.status, f"nothing done ({outcome.detail or outcome.status})")
        messages.success(request, f"{pending.address}: {what}.")
    return redirect("manage-requests", list_name=mlist.name)
