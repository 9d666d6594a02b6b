"""Bounce scores and what follows them, as Mailman does it.

A bounce about a member scores +1 when permanent, +0.5 when temporary (or nothing, when the list's
`bounce_temporary` is off), at most once a day; a score whose last bounce is older than the list's
`bounce_stale_days` starts again from zero. At `bounce_threshold` (5.0) the member's delivery is
disabled (status ``by_bounces``, reason "bounces") and the first warning goes out with a link that
turns delivery back on; further warnings follow `bounce_warning_days` apart, up to `bounce_warnings`,
and one interval after the last the member is removed. Owners are told when the list asks for it.

Every function takes `now` (the caller's clock) so tests and the worker decide the time, and runs in
the caller's transaction: the score, the member's new state and the notices commit together.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q

from listhaven.lists.addresses import InvalidAddress, canonical_address
from listhaven.lists.members import DELIVERY_ENABLED
from listhaven.lists.models import MailingList, Member
from listhaven.lists.notices import send_notice
from listhaven.lists.tokens import check_token, make_token
from listhaven.lists.unsubscribe import token_keys
from listhaven.site.public_urls import site_url

PERMANENT_SCORE = 1.0
TEMPORARY_SCORE = 0.5
REENABLE_PURPOSE = "reenable"


@transaction.atomic
def score_bounce(mlist: MailingList, address: str, permanent: bool, now: datetime) -> str:
    """Counts one bounce about `address`; returns what it did, in a few words (kept as a note).

    The member's row is taken first (PostgreSQL ``FOR UPDATE``; SQLite's transaction holds the write lock
    already): two workers scoring two bounces of one member at once take turns, and the second reads the
    first's score, date and status (the same day: not scored again; disabled: no second warning)."""
    member = list_member(mlist, address, for_update=True)
    if member is None:
        return f"{address}: not a member"
    if member.delivery_status == "by_bounces":
        return f"{address}: delivery already disabled"
    if not permanent and not mlist.bounce_temporary:
        return f"{address}: temporary failure ignored"
    today = now.date()
    if member.last_bounce == today:
        return f"{address}: already scored today"
    if member.last_bounce is not None and (today - member.last_bounce).days > mlist.bounce_stale_days:
        member.bounce_score = 0.0  # the old score went stale before this bounce came
    member.bounce_score += PERMANENT_SCORE if permanent else TEMPORARY_SCORE
    member.last_bounce = today
    member.save(update_fields=["bounce_score", "last_bounce"])
    if member.bounce_score >= mlist.bounce_threshold and member.delivery_status == "enabled":
        disable(mlist, member, now)
        return f"{address}: score {member.bounce_score:g}, delivery disabled"
    return f"{address}: score {member.bounce_score:g}"


def disable(mlist: MailingList, member: Member, now: datetime) -> None:
    """Disables delivery for bounces and sends the first warning."""
    member.delivery_status = "by_bounces"
    member.disabled_reason = "bounces"
    member.bounce_disabled_at = now
    member.bounce_warnings_sent = 0
    member.save(update_fields=["delivery_status", "disabled_reason", "bounce_disabled_at", "bounce_warnings_sent"])
    if mlist.bounce_notify_owners:
        send_notice(mlist, "bounce_owner_disabled", owner_addresses(mlist), address=member.address,
                           score=f"{member.bounce_score:g}", warnings=mlist.bounce_warnings,
                           removal_date=f"{removal_date(mlist, now):%Y-%m-%d}")  # fmt: skip
    warn(mlist, member, now)


def removal_date(mlist: MailingList, disabled_at: datetime) -> datetime:
    return disabled_at + timedelta(days=mlist.bounce_warning_days * max(1, mlist.bounce_warnings))


def warn(mlist: MailingList, member: Member, now: datetime) -> None:
    """Sends the next warning (or none when the list sends none) and sets when the next step is due."""
    if member.bounce_warnings_sent < mlist.bounce_warnings:
        member.bounce_warnings_sent += 1
        send_notice(
            mlist, "bounce_disabled", member.address, address=member.address,
            reenable_url=reenable_url(mlist, member.address, now), warning=member.bounce_warnings_sent,
            warnings=mlist.bounce_warnings, removal_date=f"{removal_date(mlist, member.bounce_disabled_at or now):%Y-%m-%d}",
        )  # fmt: skip
    member.bounce_next_step = now + timedelta(days=mlist.bounce_warning_days)
    member.save(update_fields=["bounce_warnings_sent", "bounce_next_step"])


def next_steps(now: datetime, limit: int = 500) -> list[str]:
    """For members disabled by bounces whose next step is due: the next warning, or, after the last,
    removal. Each member is taken with a compare-and-set on its step time, so two workers running
    this at once act once. Returns what was done."""
    done = []
    due = Member.objects.filter(delivery_status="by_bounces", bounce_next_step__lte=now).order_by("bounce_next_step")
    for pk, step in due.values_list("pk", "bounce_next_step")[:limit]:
        with transaction.atomic():
            if not Member.objects.filter(pk=pk, bounce_next_step=step, delivery_status="by_bounces").update(
                bounce_next_step=None
            ):
                continue
            member = Member.objects.select_related("mailing_list").get(pk=pk)
            mlist = member.mailing_list
            if member.bounce_warnings_sent < mlist.bounce_warnings:
                warn(mlist, member, now)
                done.append(f"{mlist.name}: {member.address} warned ({member.bounce_warnings_sent})")
            else:
                remove(mlist, member, "its mail kept bouncing")
                done.append(f"{mlist.name}: {member.address} removed")
    return done


def remove(mlist: MailingList, member: Member, reason: str) -> None:
    """Removes the member (every role row is kept but the member one), telling the owners if asked."""
    member.delete()
    if mlist.bounce_notify_owners:
        send_notice(mlist, "bounce_owner_removed", owner_addresses(mlist), address=member.address, reason=reason)


def forget_stale_scores(now: datetime) -> int:
    """Scores of enabled members with no bounce for longer than their list's `bounce_stale_days` go
    back to zero. Returns how many."""
    stale = Member.objects.filter(delivery_status="enabled", bounce_score__gt=0, last_bounce__isnull=False)
    forgotten = 0
    for list_pk, days in MailingList.objects.filter(members__in=stale).distinct().values_list("pk", "bounce_stale_days"):
        cutoff: date = now.date() - timedelta(days=days)
        forgotten += stale.filter(mailing_list_id=list_pk, last_bounce__lt=cutoff).update(bounce_score=0.0)
    return forgotten


def owner_addresses(mlist: MailingList) -> list[str]:
    rows = Member.objects.filter(mailing_list=mlist, role="owner").order_by("id").values_list("address", flat=True)
    return list(dict.fromkeys(rows))


def reenable_token(mlist: MailingList, address: str, now: datetime) -> str:
    return make_token(token_keys(), REENABLE_PURPOSE, mlist.address, address, int(now.timestamp()))


def reenable_url(mlist: MailingList, address: str, now: datetime) -> str:
    return site_url(f"/{mlist.name}/reenable/{reenable_token(mlist, address, now)}")


def reenable_address(mlist: MailingList, token: str, now: float | None = None) -> str | None:
    """The address a re-enable token names when it is genuine, for this list, and no older than the
    time to removal plus one warning interval."""
    max_age = (mlist.bounce_warnings + 1) * mlist.bounce_warning_days * 86400
    return check_token(token_keys(), token, REENABLE_PURPOSE, mlist.address, max_age=max_age,
                       now=int(time.time() if now is None else now))  # fmt: skip


def reenable(mlist: MailingList, token: str, now: float | None = None) -> Member | None:
    """Turns delivery back on for the member the token names (see `reenable_address`) when bounces had
    disabled it; the score starts again from zero. None otherwise (already on, removed, bad token)."""
    address = reenable_address(mlist, token, now)
    member = list_member(mlist, address) if address else None
    if member is None or member.delivery_status != "by_bounces":
        return None
    Member.objects.filter(pk=member.pk).update(**DELIVERY_ENABLED)
    member.refresh_from_db()
    return member


def bounce_rows(mlist: MailingList) -> list[dict[str, Any]]:
    """Members with a score or disabled by bounces, highest score first (`listhaven bounces LIST`)."""
    rows = Member.objects.filter(Q(bounce_score__gt=0) | Q(delivery_status="by_bounces"), mailing_list=mlist,
                                 role="member").order_by("-bounce_score", "address")  # fmt: skip
    return [{"address": m.address, "score": m.bounce_score, "last_bounce": m.last_bounce, "status": m.delivery_status,
             "disabled_at": m.bounce_disabled_at, "warnings_sent": m.bounce_warnings_sent,
             "next_step": m.bounce_next_step} for m in rows]  # fmt: skip


def list_member(mlist: MailingList, address: str, *, for_update: bool = False) -> Member | None:
    """The member row (role member) of `address` on `mlist`, if any; `for_update`: taken until the
    caller's transaction ends."""
    try:
        key = canonical_address(address)
    except InvalidAddress:
        return None
    rows = Member.objects.filter(mailing_list=mlist, role="member", address=key)
    return (rows.select_for_update() if for_update else rows).first()
