"""Held posts: what waits for a moderator, and the four decisions (accept, reject, discard, defer).

The web pages and `listhaven moderate` call these. Each decision locks the held row, acts and
deletes it in one transaction, so two moderators deciding at once decide once; the decision
stays in PostRecord. `held_upkeep` (the worker's `held-posts` job, delivery/schedule.py) runs
`expire_held` and `send_summaries`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from listhaven.archive.compression import decompress
from listhaven.lists import notices
from listhaven.lists.models import HeldMessage, MailingList, PostRecord
from listhaven.lists.posting import PostOutcome, accept_approved, moderator_addresses, notify_rejection
from listhaven.lists.queue import enqueue

DECISIONS = ("accept", "reject", "discard", "defer")
KEPT = {"quarantine": "kept in the quarantine", "owners": "forwarded to the owners"}
DONE = {"accept": "approved", "reject": "rejected", "discard": "discarded", "defer": "deferred", "hold": "held again"}


class HeldNotFound(LookupError):
    pass


@dataclass(frozen=True)
class Decision:
    action: str
    held_id: int
    outcome: PostOutcome | None = None  # accept: what the pipeline did
    notified: bool = False  # reject (or accept that content filtering rejected): a notice was queued for the poster

    @property
    def result(self) -> str:
        """What became of the post: the decision, unless an approved post was stopped after it
        (content filtering left nothing of it): then discard, reject or hold."""
        return self.outcome.verdict.action.value if self.outcome is not None else self.action

    @property
    def summary(self) -> str:
        """What became of the post, in words for the moderator (pages, API, replies by mail)."""
        if self.outcome is None or self.result == "accept":
            return DONE.get(self.action, self.action)
        outcome = self.outcome
        done = KEPT.get(outcome.kept) or DONE.get(self.result, self.result)
        told = ", the poster told why" if outcome.notified else ""
        return f"not sent: {done}{told} ({outcome.verdict.reason})"


def held_posts(mlist: MailingList) -> list[HeldMessage]:
    """What waits on `mlist`, oldest first (the bytes are not loaded)."""
    return list(HeldMessage.objects.filter(mailing_list=mlist).defer("data").order_by("held_at", "id"))


def held_summary(held: HeldMessage) -> dict[str, object]:
    return {
        "id": held.pk, "sender": held.sender, "subject": held.subject, "reason": held.reason, "rule": held.rule,
        "date": held.held_at.isoformat(), "expires": held.expires_at.isoformat(), "message_id": held.message_id,
        "size": held.size, "deferred": held.deferred_at is not None,
    }  # fmt: skip


def held_bytes(held: HeldMessage) -> bytes:
    return decompress(held.data)


def moderate(mlist: MailingList, held_id: int, action: str, reason: str = "") -> Decision:
    """Applies a moderator's decision to held post `held_id` of `mlist`."""
    if action not in DECISIONS:
        raise ValueError(f"{action!r} is not one of {', '.join(DECISIONS)}")
    with transaction.atomic():
        held = _lock(mlist, held_id)
        if action == "defer":
            held.deferred_at = timezone.now()
            held.save(update_fields=["deferred_at"])
            return Decision(action, held_id)
        return _decide(mlist, held, action, reason)


def _lock(mlist: MailingList, held_id: int) -> HeldMessage:
    held = HeldMessage.objects.select_for_update().filter(mailing_list=mlist, pk=held_id).first()
    if held is None:
        raise HeldNotFound(f"no held post #{held_id} on {mlist.address} (decided already?)")
    return held


def _decide(mlist: MailingList, held: HeldMessage, action: str, reason: str) -> Decision:
    raw = held_bytes(held)
    outcome, notified = None, False
    if action == "accept":
        outcome = accept_approved(mlist, raw, envelope_sender=held.envelope_sender or None, reason=reason)
        notified = outcome.notified
    elif action == "reject":
        # An empty stored envelope sender may mean "not known" (listhaven post): not taken for a bounce's.
        notified = notify_rejection(mlist, raw, held.sender, reason or held.reason, held.envelope_sender or None)
    if action != "accept":
        _record(mlist, held, action, reason or f"{action}ed by a moderator")
    held_id = held.pk
    held.delete()
    return Decision(action, held_id, outcome, notified)


def _record(mlist: MailingList, held: HeldMessage, action: str, reason: str, rule: str = "moderator") -> None:
    PostRecord.objects.create(
        mailing_list=mlist, message_id=held.message_id, sender=held.sender, subject=held.subject, verdict=action,
        rule=rule, reason=reason, origin="moderator",
    )  # fmt: skip


def set_moderator_password(mlist: MailingList, password: str) -> None:
    """The password that approves a post (Approved: header or first body line); "" turns it off.
    Only its hash is stored."""
    mlist.moderator_password = make_password(password) if password else ""
    mlist.save(update_fields=["moderator_password"])


SUMMARY_EVERY = timedelta(days=1)


def send_summaries(now: datetime | None = None) -> int:
    """Queues, for each list on which a post has waited a day or more, one summary of every post
    still waiting to its owners and moderators, at most once a day per list (the update of
    `held_summary_sent_at` claims the list, so two workers send one). A post held less than a day
    ago needs none: its own notice went out when it was held. Returns how many were queued."""
    now = now or timezone.now()
    count = 0
    list_ids = HeldMessage.objects.filter(held_at__lte=now - SUMMARY_EVERY).values_list("mailing_list", flat=True)
    for list_id in set(list_ids):
        with transaction.atomic():
            due = Q(held_summary_sent_at__isnull=True) | Q(held_summary_sent_at__lte=now - SUMMARY_EVERY)
            if not MailingList.objects.filter(due, pk=list_id).update(held_summary_sent_at=now):
                continue  # summarised in the last day, or another worker has it
            mlist = MailingList.objects.get(pk=list_id)
            waiting, recipients = held_posts(mlist), moderator_addresses(mlist)
            if waiting and recipients:
                enqueue(mlist, notices.summary_notice(mlist, waiting), recipients, kind="notice", personalised=False)
                count += 1
    return count


def held_upkeep() -> int:
    """The worker's timed job: discards the held posts past their expiry, then sends the summaries
    that are due. Returns how many posts expired."""
    expired = expire_held()
    send_summaries()
    return expired


def expire_held(now: datetime | None = None) -> int:
    """Discards held posts past their expiry (recorded, with the reason). Returns how many."""
    now = now or timezone.now()
    expired = 0
    for held_id in HeldMessage.objects.filter(expires_at__lte=now).values_list("pk", flat=True):
        with transaction.atomic():
            held = HeldMessage.objects.select_for_update().filter(pk=held_id).first()
            if held is None:
                continue
            _record(held.mailing_list, held, "discard", "no moderator decided before it expired", rule="expired")
            held.delete()
            expired += 1
    return expired
