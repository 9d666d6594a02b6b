"""Digests: each accepted post is collected for the list's next issue; an issue goes out when the
posts collected pass the list's size threshold (at once, in the transaction that accepts the post that
passed it) or when the period of the list's schedule it began in is over (`send_due`, which the
worker's timed job and `listhaven digests send` call).

An issue is built ONCE per format (MIME and RFC 1153 plain, `listhaven.mail.digest*`) whatever the
number of members, and each format is queued once for the members who chose it. On a personalised list
(the default) the build is a template with markers, like a post's: each member's copy carries their own
one-click unsubscribe (List-Unsubscribe and List-Unsubscribe-Post, RFC 8058), options link and VERP return
path, filled in by the worker; otherwise every member of a format gets the same bytes.

Numbering: ``Vol V, Issue N``. The next numbers live on the list (`digest_volume`, `digest_issue`);
a new volume starts with issue 1 when the volume period (a year by default) of the last issue is
over. Sending claims the numbers first, with a compare-and-set on the list row, so two workers
deciding at once send the issue once: the second finds the numbers moved and sends nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from listhaven.archive.compression import compress, decompress
from listhaven.lists.identity import DEFAULT_FOOTER, identity_for
from listhaven.lists.models import DigestEntry, DigestIssueSent, MailingList, Member
from listhaven.lists.queue import enqueue
from listhaven.mail.digest import DigestIssue, issue_nonce, mime_digest
from listhaven.mail.digest_plain import plain_digest
from listhaven.mail.identity import ListIdentity
from listhaven.mail.personalise import Template

# Member.delivery_mode -> format; the builder of each format (looked up when an issue is built).
FORMATS = {"mime_digest": "mime", "plain_digest": "plain"}
Builder = Callable[[Sequence[bytes], ListIdentity, DigestIssue], bytes]
BUILDERS: dict[str, Builder] = {"mime": mime_digest, "plain": plain_digest}


def collect(mlist: MailingList, data: bytes, message_pk: int | None = None, now: datetime | None = None) -> bool:
    """Adds a post (the list's copy) to the next issue and sends the issue when it has passed the size
    threshold. Call inside the transaction that accepts the post. True when an issue went out."""
    DigestEntry.objects.create(mailing_list=mlist, message_id=message_pk, data=compress(data), size=len(data),
                               created_at=now or timezone.now())  # fmt: skip
    if due_reason(mlist, now or timezone.now()) == "size":
        return send_issue(mlist, "size", now) is not None
    return False


def pending_size(mlist: MailingList) -> int:
    return int(DigestEntry.objects.filter(mailing_list=mlist).aggregate(total=Sum("size"))["total"] or 0)


def due_reason(mlist: MailingList, now: datetime) -> str | None:
    """'size' when the posts collected pass the threshold, 'schedule' when the period they (or the last
    issue) began in is over, None when nothing is due (or nothing is collected)."""
    first = DigestEntry.objects.filter(mailing_list=mlist).order_by("id").values_list("created_at", flat=True).first()
    if first is None:
        return None
    if mlist.digest_size_kb and pending_size(mlist) >= mlist.digest_size_kb * 1024:
        return "size"
    if mlist.digest_frequency == "size":
        return None
    started = max(first, mlist.digest_last_sent_at) if mlist.digest_last_sent_at else first
    return "schedule" if period_key(mlist.digest_frequency, started) != period_key(mlist.digest_frequency, now) else None


def period_key(frequency: str, moment: datetime) -> tuple[int, ...]:
    """Which period (UTC) of `frequency` `moment` falls in: daily, weekly (ISO), monthly, yearly, never."""
    day = moment.astimezone(UTC).date()
    if frequency == "daily":
        return (day.toordinal(),)
    if frequency == "weekly":
        iso = day.isocalendar()
        return (iso.year, iso.week)
    if frequency == "monthly":
        return (day.year, day.month)
    if frequency == "yearly":
        return (day.year,)
    return ()


def digest_recipients(mlist: MailingList) -> dict[str, list[str]]:
    """Addresses of the enabled members of each format, in roster order."""
    found: dict[str, list[str]] = {kind: [] for kind in BUILDERS}
    rows = Member.objects.filter(mailing_list=mlist, role="member", delivery_status="enabled",
                                 delivery_mode__in=list(FORMATS)).order_by("id").values_list("address", "delivery_mode")  # fmt: skip
    for address, mode in rows:
        found[FORMATS[mode]].append(address)
    return found


def next_numbers(mlist: MailingList, now: datetime) -> tuple[int, int]:
    """(volume, issue) of the issue sent at `now`."""
    last = mlist.digest_last_sent_at
    frequency = mlist.digest_volume_frequency
    if last is not None and frequency != "never" and period_key(frequency, last) != period_key(frequency, now):
        return mlist.digest_volume + 1, 1
    return mlist.digest_volume, mlist.digest_issue


def send_issue(mlist: MailingList, reason: str, now: datetime | None = None) -> DigestIssueSent | None:
    """Sends what `mlist` has collected as its next issue: each format built once, queued once for its
    members. None when nothing is collected, or another worker claimed the issue first. Posts collected
    while no member takes digests are dropped without using an issue number."""
    now = now or timezone.now()
    with transaction.atomic():
        fresh = MailingList.objects.get(pk=mlist.pk)
        volume, number = next_numbers(fresh, now)
        # The claim: the first write of the transaction, so concurrent senders serialise on it.
        claimed = MailingList.objects.filter(
            pk=fresh.pk, digest_volume=fresh.digest_volume, digest_issue=fresh.digest_issue,
            digest_last_sent_at=fresh.digest_last_sent_at,
        ).update(digest_volume=volume, digest_issue=number + 1, digest_last_sent_at=now)  # fmt: skip
        if not claimed:
            return None
        entries = list(DigestEntry.objects.filter(mailing_list=fresh).order_by("id").values_list("id", "data", "size"))
        if not entries:
            transaction.set_rollback(True)
            return None
        DigestEntry.objects.filter(id__in=[row[0] for row in entries]).delete()
        recipients = digest_recipients(fresh)
        if not any(recipients.values()):
            MailingList.objects.filter(pk=fresh.pk).update(digest_volume=fresh.digest_volume,
                                                           digest_issue=fresh.digest_issue)  # fmt: skip
            return None
        posts = [decompress(row[1]) for row in entries]
        nonce = issue_nonce(posts, volume, number) if fresh.personalised else ""
        issue = DigestIssue(volume, number, now, header=fresh.digest_header,
                            footer=fresh.digest_footer or DEFAULT_FOOTER, nonce=nonce)  # fmt: skip
        _queue_formats(fresh, posts, issue, recipients)
        return DigestIssueSent.objects.create(
            mailing_list=fresh, volume=volume, number=number, posts=len(posts), size=sum(row[2] for row in entries),
            reason=reason, mime_recipients=len(recipients["mime"]), plain_recipients=len(recipients["plain"]),
            sent_at=now,
        )  # fmt: skip


def _queue_formats(mlist: MailingList, posts: list[bytes], issue: DigestIssue, recipients: dict[str, list[str]]) -> None:
    identity = identity_for(mlist)
    for kind, addresses in recipients.items():
        if addresses:
            data = BUILDERS[kind](posts, identity, issue)
            if issue.nonce:
                enqueue(mlist, Template(data, issue.nonce).to_bytes(), addresses, kind="digest", personalised=True)
            else:
                enqueue(mlist, data, addresses, kind="digest", personalised=False)


def send_due(names: Iterable[str] | None = None, *, force: bool = False, now: datetime | None = None) -> list[DigestIssueSent]:
    """Sends every issue due now (of the lists named, else of every list with posts collected); with
    `force`, whatever is collected. The worker's timed job and `listhaven digests send`."""
    now = now or timezone.now()
    lists = MailingList.objects.filter(digest_entries__isnull=False).distinct().order_by("id")
    if names is not None:
        lists = lists.filter(name__in=list(names))
    sent = []
    for mlist in lists:
        reason = "forced" if force else due_reason(mlist, now)
        if reason and (issue := send_issue(mlist, reason, now)) is not None:
            sent.append(issue)
    return sent


def send_due_digests() -> None:
    """The worker's timed job."""
    send_due()
