"""/api/manage/lists/LIST/requests: the requests to join or leave that wait for an owner, listed
and decided as on /manage/LIST/requests/ (lists/subscriptions.py: `waiting_approval`,
`approval_request`, `decide_request`: approve, refuse telling the address, discard without telling
it; recorded with the token's account). Owners and site administrators only, as the page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponseBase

from listhaven.lists.models import MailingList, Pending
from listhaven.lists.subscriptions import REQUEST_DECISIONS, Status, approval_request, decide_request, waiting_approval
from listhaven.web.api.http import not_found
from listhaven.web.api.manage_views import ok, paged, read_decision, token_view

MAX_REASON = 500  # as the page's field
# The outcomes that did what was asked; any other (banned meanwhile, already a member...) is reported as it is.
DONE = {Status.SUBSCRIBED, Status.UNSUBSCRIBED, Status.REFUSED, Status.DISCARDED}


def request_summary(row: Pending) -> dict[str, Any]:
    return {"id": row.pk, "address": row.address, "asks_to": "join" if row.purpose == "approve_subscribe" else "leave",
            "display_name": str(row.payload.get("display_name", "")),
            "delivery_mode": str(row.payload.get("delivery_mode", "regular")),
            "requested_at": row.created_at.isoformat(), "expires_at": row.expires_at.isoformat()}  # fmt: skip


@token_view(("GET",), "administer")
def requests(request: HttpRequest, mlist: MailingList) -> HttpResponseBase:
    return ok({"list": mlist.name, **paged(request, waiting_approval(mlist), request_summary)})


@token_view(("GET", "POST"), "administer")
def decide(request: HttpRequest, mlist: MailingList, request_id: int) -> HttpResponseBase:
    pending = approval_request(mlist, request_id)
    if pending is None:
        raise not_found(f"no request #{request_id} waits on {mlist.name} (decided already, or expired?)")
    if request.method == "GET":
        return ok(request_summary(pending))
    action, reason = read_decision(request, REQUEST_DECISIONS, "optional, sent when refusing, recorded when discarding")
    outcome = decide_request(pending, action, reason[:MAX_REASON], by=request.user.get_username())
    if outcome.status == Status.INVALID:  # used by someone else between the look-up and the decision
        raise not_found(f"request #{request_id} was decided meanwhile")
    return ok({"id": request_id, "address": pending.address, "action": action, "outcome": outcome.status.value,
               "done": outcome.status in DONE})  # fmt: skip
