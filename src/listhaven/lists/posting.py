"""A post to a list's address, from arrival to its durable outcome: the one service function
the LMTP server and `listhaven post` call.

The chain decides (reading only); then ONE transaction records the verdict and does what it
says: the pipeline (archive and queue) for an accepted post, a HeldMessage and the moderators'
notice for a held one, the poster's notice for a rejected one. Only after that commit may the
caller acknowledge the post. The MTA's retry of a post already decided (the same bytes) is
answered from its record, so nothing is archived or sent twice, also when the retry reaches another
process while the first is still deciding (the transaction takes the list's row before it looks).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from listhaven.archive.compression import compress
from listhaven.archive.ingest import quarantine
from listhaven.lists import notices
from listhaven.lists.answer_limits import may_answer
from listhaven.lists.chain import run_chain
from listhaven.lists.models import HeldMessage, MailingList, Member, PostRecord
from listhaven.lists.pipeline import run_pipeline
from listhaven.lists.post import KEPT_SAYS, Action, Kept, Post, Verdict, first_header, parse_post_bytes
from listhaven.lists.queue import enqueue
from listhaven.lists.standing import build_post
from listhaven.mail.commands import automated_reason
from listhaven.mail.message import SourceMessage
from listhaven.mail.subjects import decode_subject


@dataclass(frozen=True)
class PostOutcome:
    verdict: Verdict
    duplicate: bool = False  # decided before: this arrival changed nothing
    held_id: int | None = None
    archive_outcome: str = ""
    queued: int = 0  # recipients of the copies queued
    notified: bool = False  # rejected: a notice was queued for the poster
    kept: str = ""  # not sent but kept whole: "quarantine", or "owners" (forwarded to them)


def receive_post(
    mlist: MailingList, raw: bytes, *, envelope_sender: str | None = None, origin: str = "lmtp",
    received: bytes | None = None,
) -> PostOutcome:
    """Decides `raw` (sent to `mlist`'s posting address) and stores the outcome durably.
    `envelope_sender`: the SMTP MAIL FROM when known ("" is the null sender of a bounce). `received`: the
    bytes as they arrived when `raw` is them completed (`listhaven post` adds a missing Date and Message-ID):
    a retry is recognised by what arrived, which is the same each time, not by what was added."""
    digest = hashlib.sha256(raw if received is None else received).hexdigest()
    post = build_post(mlist, raw, envelope_sender, origin)
    verdict = run_chain(post)
    with transaction.atomic():
        # The list's row first: the same post handed at once to a second process (an MTA retrying on
        # another host) waits here, then finds this one's record instead of acting again (PostgreSQL;
        # on SQLite the transaction holds the one write lock already).
        MailingList.objects.select_for_update().filter(pk=mlist.pk).values_list("pk").get()
        earlier = PostRecord.objects.filter(mailing_list=mlist, digest=digest).order_by("id").first()
        if earlier is not None:
            return PostOutcome(Verdict(Action(earlier.verdict), earlier.rule, earlier.reason), duplicate=True)
        return _act(mlist, post, verdict, digest)


def _act(mlist: MailingList, post: Post, verdict: Verdict, digest: str) -> PostOutcome:
    if verdict.action == Action.ACCEPT:
        run_pipeline(mlist, post)  # may stop the post (content filtering): post.verdict says
    return _settle(mlist, post, digest=digest)


def accept_approved(
    mlist: MailingList, raw: bytes, *, envelope_sender: str | None = None, reason: str = ""
) -> PostOutcome:
    """Runs the pipeline on a post a moderator approved (the chain is skipped), then does what it
    ended with: sent, or stopped by content filtering (filter_action). Call inside a transaction."""
    post = build_post(mlist, raw, envelope_sender, origin="moderator")
    post.approved = True
    post.verdict = Verdict(Action.ACCEPT, "moderator", reason or "approved by a moderator")
    run_pipeline(mlist, post)
    return _settle(mlist, post)


def _settle(mlist: MailingList, post: Post, *, digest: str = "") -> PostOutcome:
    """Does what the post's final verdict says beyond the pipeline, and records it."""
    verdict = post.verdict
    assert verdict is not None
    held, notified = None, False
    if verdict.action == Action.HOLD:
        held = hold(mlist, post, verdict)
    elif verdict.action == Action.REJECT:
        notified = notify_rejection(mlist, post.raw, post.standing.address, verdict.reason, post.envelope_sender,
                                    automatic=True)  # fmt: skip
    if post.kept is not None:
        verdict = _keep(mlist, post, verdict)
    record(mlist, post, verdict, digest=digest, held=held)
    return PostOutcome(verdict, held_id=held.pk if held else None, archive_outcome=post.archive_outcome,
                       queued=post.queued, notified=notified, kept=post.kept.value if post.kept else "")  # fmt: skip


def _keep(mlist: MailingList, post: Post, verdict: Verdict) -> Verdict:
    """Keeps a post that is not sent whole: forwarded to the owners with the reason (Mailman's forward),
    else (preserve, or a list without owners: nothing is lost) in the quarantine."""
    owners = list(dict.fromkeys(
        Member.objects.filter(mailing_list=mlist, role="owner").order_by("id").values_list("address", flat=True)
    ))  # fmt: skip
    if post.kept is Kept.OWNERS and owners:
        notice = notices.filtered_notice(mlist, post.standing.address, _subject(post), verdict.reason, post.raw)
        enqueue(mlist, notice, owners, kind="notice", personalised=False)
        return verdict
    if post.kept is Kept.OWNERS:  # no owner to forward it to
        reason = verdict.reason.replace(KEPT_SAYS[Kept.OWNERS], KEPT_SAYS[Kept.QUARANTINE] + " (the list has no owner)")
        verdict = post.verdict = Verdict(verdict.action, verdict.rule, reason)
    post.kept = Kept.QUARANTINE
    quarantine(mlist, SourceMessage(post.raw, f"post via {post.origin}"), f"{mlist.address}: {verdict.reason}")
    return verdict


def record(mlist: MailingList, post: Post, verdict: Verdict, *, digest: str = "",
           held: HeldMessage | None = None) -> PostRecord:  # fmt: skip
    return PostRecord.objects.create(
        mailing_list=mlist,
        message_id=post.message_id[:998],
        sender=post.standing.address[:320],
        subject=_subject(post)[:998],
        verdict=verdict.action.value,
        rule=verdict.rule[:40],
        reason=verdict.reason,
        origin=post.origin[:20],
        digest=digest,
        held=held,
        archived_id=post.archived_message_pk,
    )


def _subject(post: Post) -> str:
    return decode_subject(first_header(post.message, "Subject"))


def hold(mlist: MailingList, post: Post, verdict: Verdict) -> HeldMessage:
    """Keeps the post for a moderator; queues one notice to the owners and moderators, and one to
    the poster (with the link that withdraws the post) unless the post was automatic or the poster
    was answered as often as the day allows (lists/answer_limits.py: forged senders)."""
    now = timezone.now()
    held = HeldMessage.objects.create(
        mailing_list=mlist, data=compress(post.raw), size=len(post.raw), envelope_sender=(post.envelope_sender or "")[:320],
        sender=post.standing.address[:320], subject=_subject(post)[:998], message_id=post.message_id[:998],
        rule=verdict.rule[:40], reason=verdict.reason, held_at=now, expires_at=now + timedelta(days=mlist.hold_days),
    )  # fmt: skip
    moderators = moderator_addresses(mlist)
    if moderators:
        enqueue(mlist, notices.held_notice(mlist, held, post.raw), moderators, kind="notice", personalised=False)
    automatic = automated_reason(post.message, post.envelope_sender, own_addresses=(mlist.address,)) is not None
    if held.sender and not automatic and may_answer(mlist, held.sender):
        enqueue(mlist, notices.poster_held_notice(mlist, held), [held.sender], kind="notice", personalised=False)
    return held


def moderator_addresses(mlist: MailingList) -> list[str]:
    """Owners and moderators, each address once."""
    rows = Member.objects.filter(mailing_list=mlist, role__in=("owner", "moderator")).order_by("id")
    return list(dict.fromkeys(rows.values_list("address", flat=True)))


def notify_rejection(mlist: MailingList, raw: bytes, poster: str, reason: str, mail_from: str | None = None,
                     *, automatic: bool = False) -> bool:  # fmt: skip
    """Queues the poster's notice. False when there is no one to tell, or the post was automatic
    (an auto-reply, a bounce, another list's mail): answering those feeds loops and backscatter.
    `mail_from`: the envelope sender when known ("" is a bounce's). `automatic`: a rule rejected the
    post, not a moderator, so the notice counts against the poster's answers of the day (lists/answer_limits.py)."""
    message = parse_post_bytes(raw)
    if not poster or automated_reason(message, mail_from, own_addresses=(mlist.address,)) is not None:
        return False
    if automatic and not may_answer(mlist, poster):
        return False
    subject = decode_subject(first_header(message, "Subject"))
    enqueue(mlist, notices.rejection_notice(mlist, poster, subject, reason, raw), [poster], kind="notice",
            personalised=False)  # fmt: skip
    return True
