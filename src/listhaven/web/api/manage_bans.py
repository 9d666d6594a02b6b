"""/api/manage/lists/LIST/bans: the list's bans (an address, or a ^regex over the address), listed,
added and lifted as on /manage/LIST/bans/ (lists/bans.py). Moderators, owners and site
administrators, as the page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponseBase

from listhaven.lists.bans import InvalidBan, add_ban, lift_ban
from listhaven.lists.models import Ban, MailingList
from listhaven.web.api.http import bad_request, not_found
from listhaven.web.api.manage_views import ok, paged, read_json, token_view


def ban_summary(row: Ban) -> dict[str, Any]:
    return {"id": row.pk, "pattern": row.pattern, "regex": row.pattern.startswith("^"), "reason": row.reason,
            "created_at": row.created_at.isoformat()}  # fmt: skip


@token_view(("GET", "POST"), "moderate")
def bans(request: HttpRequest, mlist: MailingList) -> HttpResponseBase:
    if request.method == "GET":
        rows = Ban.objects.filter(mailing_list=mlist).order_by("pattern", "pk")
        return ok({"list": mlist.name, **paged(request, rows, ban_summary)})
    data = read_json(request)
    pattern, reason = data.get("pattern"), data.get("reason", "")
    if not isinstance(pattern, str) or not isinstance(reason, str):
        raise bad_request('"pattern": an address or a regular expression starting with ^; "reason" (optional) a string')
    try:
        row, created = add_ban(mlist, pattern, reason)
    except InvalidBan as exc:
        raise bad_request(str(exc)[:400]) from None
    return ok(ban_summary(row), status=201 if created else 200)


@token_view(("GET", "DELETE"), "moderate")
def ban(request: HttpRequest, mlist: MailingList, ban_id: int) -> HttpResponseBase:
    if request.method == "DELETE":
        row = lift_ban(mlist, ban_id)
    else:
        row = Ban.objects.filter(mailing_list=mlist, pk=ban_id).first()
    if row is None:
        raise not_found(f"no ban #{ban_id} on {mlist.name}")
    return ok({"removed": row.pattern} if request.method == "DELETE" else ban_summary(row))
