"""What an operator watches (`listhaven status`): the outgoing queue, posts waiting for a moderator,
service mail waiting for its handler, quarantined bytes, and which of them says something is wrong.

`problems` names what needs a person: a batch due for longer than `STALE` (no worker is running,
or none reaches the database), a batch given up in the last day (its recipients did not get the
copy), service mail a handler has not read for longer than `STALE` (the worker's timed jobs are not
running). Held posts are work for moderators, not a fault: they are shown with the oldest, never
counted as a problem; so is -owner mail kept because its list had no owner (seen in the admin).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Min
from django.utils import timezone

from listhaven.archive.models import Quarantine
from listhaven.lists.command_mail import COMMAND_ROLES
from listhaven.lists.models import DeliveryBatch, HeldMessage, IncomingMail

STALE = timedelta(minutes=15)
FAILED_WINDOW = timedelta(days=1)


def _iso(when: datetime | None) -> str | None:
    return when.isoformat(timespec="seconds") if when else None


def site_status(now: datetime | None = None) -> dict[str, Any]:
    """Counts and oldest dates of what is waiting, and `problems`: a list of sentences (empty when
    nothing needs a person)."""
    now = now or timezone.now()
    queued = DeliveryBatch.objects.filter(state="queued")
    pending_recipients = sum(len(recipients) - done for recipients, done in queued.values_list("recipients", "done"))
    oldest_queued = queued.aggregate(at=Min("created_at"))["at"]
    due = queued.filter(next_attempt_at__lte=now)
    due_count = due.count()
    oldest_due = due.aggregate(at=Min("next_attempt_at"))["at"]
    retrying = queued.filter(attempts__gt=0).exclude(last_error="").order_by("next_attempt_at").first()
    failed_recent = DeliveryBatch.objects.filter(state="failed", finished_at__gte=now - FAILED_WINDOW)
    failed_count = failed_recent.count()
    last_failed = failed_recent.order_by("-finished_at").first()

    held = HeldMessage.objects.aggregate(count=Count("id"), oldest=Min("held_at"))
    oldest_held = HeldMessage.objects.select_related("mailing_list").order_by("held_at", "id").first()

    handled = IncomingMail.objects.filter(processed=False, role__in=("bounces", *COMMAND_ROLES))
    waiting = handled.aggregate(count=Count("id"), oldest=Min("received_at"))
    ownerless = IncomingMail.objects.filter(processed=False, role="owner")

    status: dict[str, Any] = {
        "queue": {
            "batches": queued.count(), "recipients": pending_recipients, "oldest": _iso(oldest_queued),
            "due": due_count, "oldest_due": _iso(oldest_due),
            "retrying": queued.filter(attempts__gt=0).count(),
            "last_error": retrying.last_error if retrying else "",
            "failed_last_day": failed_count,
            "last_failure": last_failed.last_error if last_failed else "",
        },
        "held": {"posts": held["count"], "oldest": _iso(held["oldest"]),
                 "oldest_list": oldest_held.mailing_list.name if oldest_held else None},
        "service_mail": {"waiting": waiting["count"], "oldest": _iso(waiting["oldest"]),
                         "owner_mail_without_owner": ownerless.count()},
        "quarantined": Quarantine.objects.count(),
    }
    problems: list[str] = []
    if oldest_due is not None and now - oldest_due > STALE:
        problems.append(f"{due_count} delivery batch(es) due since {_iso(oldest_due)}: is a worker running?")
    if last_failed is not None:
        problems.append(f"{failed_count} delivery batch(es) given up in the last day "
                        f"(last: {last_failed.last_error or 'no error recorded'})")  # fmt: skip
    if waiting["oldest"] is not None and now - waiting["oldest"] > STALE:
        problems.append(f"{waiting['count']} -bounces/-request/-join/-leave/-confirm message(s) unread since "
                        f"{_iso(waiting['oldest'])}: is a worker running?")  # fmt: skip
    status["problems"] = problems
    return status
