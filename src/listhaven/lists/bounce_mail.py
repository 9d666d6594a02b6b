"""Processing what tells the list a copy did not arrive: mail to ``LIST-bounces(+VERP)@`` stored by the
LMTP server (IncomingMail, role "bounces"), and the refusals the worker recorded while sending
(BounceEvent, source "smtp": a 5xx from the MTA; "expired": 4xx past the retry limit).

Bounce mail: an ARF complaint (RFC 5965) unsubscribes the member who complained; anything else is read
by `listhaven.mail.bounces.parse_bounce` (RFC 3464 DSNs, then flufl.bounce's formats). The VERP address
names the member the copy was for, which beats any address the bounce text offers (forwarding makes
those differ); without VERP, each failed address that is a member is scored. Mail that is neither (an
out-of-office reply to the return path) is noted and dropped. Each scored failure is kept as a
BounceEvent (source "dsn", code 550 or 450 for permanent or temporary).

Exactly once: each row is claimed by the first write of its own transaction (processed False -> True);
the scoring, notices and removal commit in that same transaction, so a second worker finds the row
taken and a crash leaves it unclaimed.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from listhaven.archive.compression import decompress
from listhaven.lists.bounces import forget_stale_scores, list_member, next_steps, owner_addresses, score_bounce
from listhaven.lists.models import BounceEvent, IncomingMail, MailingList
from listhaven.lists.notices import send_notice
from listhaven.lists.routing import service_address
from listhaven.lists.subscriptions import leave
from listhaven.mail.bounces import is_complaint, parse_bounce, parse_complaint
from listhaven.mail.verp import verp_decode

BATCH = 200  # rows per call: the timed job's work is bounded


def process_bounce_mail(now: datetime | None = None, limit: int = BATCH) -> int:
    """Processes stored -bounces mail, oldest first. Returns how many rows this call processed."""
    now = now or timezone.now()
    done = 0
    candidates = IncomingMail.objects.filter(role="bounces", processed=False).order_by("id")
    for pk in list(candidates.values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            if not IncomingMail.objects.filter(pk=pk, processed=False).update(processed=True, processed_at=now):
                continue  # another worker has it
            row = IncomingMail.objects.select_related("mailing_list").get(pk=pk)
            note = handle_bounce(row.mailing_list, decompress(row.data), row.recipient, now)
            IncomingMail.objects.filter(pk=pk).update(note=note[:300])
            done += 1
    return done


def handle_bounce(mlist: MailingList, raw: bytes, recipient: str, now: datetime) -> str:
    """Scores one bounce (or acts on one complaint) sent to `recipient`; returns a note of what it did."""
    bounces_local = service_address(mlist, "bounces").rpartition("@")[0]
    verp_member = verp_decode(recipient, bounces_local)
    if is_complaint(raw):
        return handle_complaint(mlist, raw, bounces_local, verp_member, now)
    report = parse_bounce(raw)
    if not report.failures:
        return "not a bounce: nothing scored"
    if verp_member is not None:
        permanent = any(f.permanent for f in report.failures)
        failure = next((f for f in report.failures if f.permanent == permanent), report.failures[0])
        found = [(verp_member, permanent, f"{failure.status} {failure.diagnostic}".strip())]
    else:
        found = [(f.address, f.permanent, f"{f.status} {f.diagnostic}".strip()) for f in report.failures]
    notes = []
    for address, permanent, text in found:
        if list_member(mlist, address) is None:
            notes.append(f"{address}: not a member")
            continue
        BounceEvent.objects.create(mailing_list=mlist, address=address, source="dsn", code=550 if permanent else 450,
                                   text=text[:2000], processed=True)  # fmt: skip
        notes.append(score_bounce(mlist, address, permanent, now))
    return f"{report.format}: " + "; ".join(notes)


def handle_complaint(mlist: MailingList, raw: bytes, bounces_local: str, verp_member: str | None, now: datetime) -> str:
    complaint = parse_complaint(raw, bounces_local)
    if complaint is None:
        return "unreadable complaint: nothing done"
    if complaint.feedback_type == "not-spam":
        return "feedback 'not-spam': nothing done"
    candidates = [verp_member] if verp_member else list(complaint.candidates)
    member = next((m for address in candidates if (m := list_member(mlist, address)) is not None), None)
    if member is None:
        return f"complaint ({complaint.feedback_type}) names no member"
    # No goodbye notice: the complainer asked for no more mail from the list.
    leave(mlist, member.address, origin="complaint", notify=False)
    if mlist.bounce_notify_owners:
        send_notice(mlist, "bounce_owner_removed", owner_addresses(mlist), address=member.address,
                           reason=f"a complaint ({complaint.feedback_type}) from their mailbox provider")  # fmt: skip
    return f"complaint ({complaint.feedback_type}): {member.address} unsubscribed"


def process_recorded_bounces(now: datetime | None = None, limit: int = BATCH) -> int:
    """Scores the refusals the worker recorded (5xx: permanent; expired retries: temporary)."""
    now = now or timezone.now()
    done = 0
    candidates = BounceEvent.objects.filter(processed=False).order_by("id")
    for pk in list(candidates.values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            if not BounceEvent.objects.filter(pk=pk, processed=False).update(processed=True):
                continue
            event = BounceEvent.objects.select_related("mailing_list").get(pk=pk)
            permanent = event.source == "smtp" or event.code >= 500
            score_bounce(event.mailing_list, event.address, permanent, now)
            done += 1
    return done


def process_bounces() -> None:
    """The worker's frequent timed job: stored bounce mail, then the refusals recorded while sending."""
    process_bounce_mail()
    process_recorded_bounces()


def bounce_upkeep() -> None:
    """The worker's slower timed job: stale scores forgotten, warnings and removals that are due."""
    now = timezone.now()
    forget_stale_scores(now)
    next_steps(now)
