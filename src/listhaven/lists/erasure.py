"""Personal data on the list server's side: erasing an address (a GDPR erasure request), and
reaching the list server's own copies of a message the archive purges.

The archive's purge (archive/redaction.py) knows only the archive's tables; the list server keeps
copies of a post of its own while it works: the post's verdict (PostRecord), a held copy
(HeldMessage), mail to -owner and the other role addresses (IncomingMail), the outgoing queue
(Outgoing and its DeliveryBatch rows) and the next digest (DigestEntry). `purge_message` reaches
them; `erase_address` removes an address from all of them. The outbox Maildir is the delivery
layer's (delivery/outbox.py: `remove_copies`); the callers (the command line, the owners' page)
run both.

What stays, on purpose: bans (a ban exists to keep someone out; erasing it would let the person
it protects the list from back in: an owner lifts it on /manage/LIST/bans/), and each post's
verdict row with its digest of the bytes received (so an MTA's retry of a post already decided is
not decided twice), its sender and subject emptied. Audit: an `Erasure` row names the address
only by a keyed hash (HMAC with the site's secret key), so an operator can answer "was this
address erased?" without the table naming anyone.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from listhaven.archive.anonymisation import anonymise_address
from listhaven.archive.compression import decompress
from listhaven.archive.models import Message
from listhaven.archive.redaction import purge, redact
from listhaven.lists.addresses import canonical_address
from listhaven.lists.models import (
    Ban,
    BounceEvent,
    DeliveryBatch,
    DigestEntry,
    Erasure,
    HeldMessage,
    IncomingMail,
    MailingList,
    Member,
    Outgoing,
    Pending,
    PostRecord,
    RequestDecision,
)
from listhaven.lists.signals import address_erased
from listhaven.mail.ids import normalise_message_id

# What becomes of the archived messages: kept as they are; the address replaced in every message
# of the lists that names it, text kept (archive/anonymisation.py); the poster's messages hidden; purged.
POSTS = ("keep", "anonymise", "hide", "purge")
ERASED = "erased"  # what stands in a delivery batch's answered recipients for an erased address


def address_hash(address: str) -> str:
    """The audit's name for an address: HMAC-SHA-256 with the site's secret key (a plain hash of an
    address is undone by hashing a list of guesses)."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, b"erasure:" + canonical_address(address).lower().encode(), hashlib.sha256).hexdigest()


@dataclass
class ErasureReport:
    address_hash: str
    lists: list[str]
    posts: str
    counts: dict[str, int] = field(default_factory=dict)
    # --posts anonymise: messages (LIST/message/HASH/) whose non-text attachments still hold the
    # address, left byte for byte (archive/anonymisation.py): to be hidden or purged by hand
    kept: list[str] = field(default_factory=list)

    def add(self, what: str, count: int) -> None:
        self.counts[what] = self.counts.get(what, 0) + count


def erase_address(address: str, *, mlist: MailingList | None = None, posts: str = "hide", by: str = "") -> ErasureReport:
    """Removes `address` from the rosters, pending confirmations, bounce records, held posts, role
    mail, post records and the delivery queue of `mlist` (every list when None, and then its
    account too); its archived posts are kept, hidden or purged (`posts`). One transaction."""
    if posts not in POSTS:
        raise ValueError(f"posts must be one of {', '.join(POSTS)}")
    canonical = canonical_address(address)
    lists = MailingList.objects.all() if mlist is None else MailingList.objects.filter(pk=mlist.pk)
    report = ErasureReport(address_hash(canonical), sorted(lists.values_list("name", flat=True)), posts)
    _secure_delete()
    with transaction.atomic():
        _erase_rows(canonical, lists, report)
        _erase_from_batches(canonical, lists, report, site_mail=mlist is None)
        _treat_posts(canonical, lists, posts, by, report)
        if mlist is None:
            accounts = get_user_model().objects.filter(email__iexact=canonical)
            report.add("accounts", accounts.count())
            accounts.delete()
        _unname_actor(canonical, lists, site=mlist is None, report=report)
        address_erased.send(sender=None, address=canonical, lists=lists, site=mlist is None, report=report)
        report.counts["bans kept"] = _bans(canonical, lists)
        Erasure.objects.create(address_hash=report.address_hash, scope=mlist.name if mlist else "",
                               list_pk=mlist.pk if mlist else None, posts=posts, counts=report.counts,
                               erased_by=by)  # fmt: skip
    _checkpoint()
    return report


def _secure_delete() -> None:
    """SQLite: deleted rows are overwritten, not left in free pages (as archive/redaction.py's purge)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete = ON")


def _checkpoint() -> None:
    """SQLite: the full-text index merged (no old segment keeps a purged word) and the WAL's old
    pages written back and truncated now, not at the next checkpoint."""
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO search_fts(search_fts) VALUES ('optimize')")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _erase_rows(canonical: str, lists, report: ErasureReport) -> None:  # type: ignore[no-untyped-def]
    """The rows that exist only because of the address: deleted; the verdicts: emptied."""
    mine = {"mailing_list__in": lists}
    report.add("memberships", Member.objects.filter(address__iexact=canonical, **mine).delete()[0])
    pending = Pending.objects.filter(Q(address__iexact=canonical) | Q(purpose="change_address", payload__old__iexact=canonical),
                                     **mine)  # a change of address names the old one in its payload  # fmt: skip
    report.add("pending confirmations", pending.delete()[0])
    decisions = RequestDecision.objects.filter(address__iexact=canonical, **mine)
    report.add("owners' decisions on its requests", decisions.delete()[0])
    report.add("bounce records", BounceEvent.objects.filter(address__iexact=canonical, **mine).delete()[0])
    held = HeldMessage.objects.filter(Q(sender__iexact=canonical) | Q(envelope_sender__iexact=canonical), **mine)
    report.add("held posts", held.delete()[0])
    incoming = IncomingMail.objects.filter(envelope_sender__iexact=canonical, **mine)
    report.add("mail to the list's role addresses", incoming.delete()[0])
    records = PostRecord.objects.filter(sender__iexact=canonical, **mine)
    report.add("post records emptied", records.update(sender="", subject=""))


def _unname_actor(canonical: str, lists, *, site: bool, report: ErasureReport) -> None:  # type: ignore[no-untyped-def]
    """The rows that name the address as who acted (an account is named by its address: an owner's
    decisions on requests, a message removed, an erasure made) are the lists' history and stay,
    naming ERASED instead; the audit rows of erasures only when the address leaves the whole site."""
    decided = RequestDecision.objects.filter(decided_by__iexact=canonical, mailing_list__in=lists)
    report.add("decisions it made, unnamed", decided.update(decided_by=ERASED))
    removed = Message.objects.filter(redacted_by__iexact=canonical, mailing_list__in=lists)
    report.add("removals it made, unnamed", removed.update(redacted_by=ERASED))
    if site:
        report.add("erasures it made, unnamed", Erasure.objects.filter(erased_by__iexact=canonical).update(erased_by=ERASED))


def _erase_from_batches(canonical: str, lists, report: ErasureReport, *, site_mail: bool) -> None:  # type: ignore[no-untyped-def]
    """Copies not yet sent to the address are not sent; an answered place keeps its index (the
    batch's `done` counts places) under the name ERASED. A batch a worker holds right now (its
    lease runs) keeps every index: the worker sends from the list it read (that one copy may still
    leave), and a worker resuming it after a crash finds ERASED, no address. Mail queued for the
    address alone (its notices) is deleted unless a worker holds it. `site_mail`: the site's own mail
    too (sign-in links, password resets: no list's), when the address is erased from the whole site."""
    needle = json.dumps(canonical.lower())[1:-1]
    same = canonical.lower()
    now = timezone.now()
    queued = Q(mailing_list__in=lists) | Q(mailing_list__isnull=True) if site_mail else Q(mailing_list__in=lists)
    outgoing = Outgoing.objects.filter(queued, recipients__icontains=needle)
    held = set(DeliveryBatch.objects.filter(outgoing__in=outgoing, lease_until__gt=now).values_list("outgoing_id", flat=True))
    alone = [o.pk for o in outgoing if {r.lower() for r in o.recipients} == {same} and o.pk not in held]
    report.add("mail queued for the address alone", Outgoing.objects.filter(pk__in=alone).delete()[1].get(
        Outgoing._meta.label, 0))
    for row in outgoing.exclude(pk__in=alone).iterator():
        Outgoing.objects.filter(pk=row.pk).update(recipients=[r for r in row.recipients if r.lower() != same])
    batches = DeliveryBatch.objects.filter(outgoing__in=Outgoing.objects.filter(queued))
    changed = 0
    for batch in batches.filter(Q(recipients__icontains=needle) | Q(deferred__icontains=needle)).iterator():
        hit = [i for i, r in enumerate(batch.recipients) if r.lower() == canonical.lower()]
        in_flight = batch.lease_until is not None and batch.lease_until > now
        answered = hit if in_flight else [i for i in hit if i < batch.done]
        recipients = [ERASED if i in answered else r for i, r in enumerate(batch.recipients) if i not in hit or i in answered]
        deferred = [r for r in batch.deferred if r.lower() != canonical.lower()]
        if recipients != batch.recipients or deferred != batch.deferred:
            DeliveryBatch.objects.filter(pk=batch.pk).update(recipients=recipients, deferred=deferred)
            changed += 1
    report.add("delivery batches", changed)


def _treat_posts(canonical: str, lists, posts: str, by: str, report: ErasureReport) -> None:  # type: ignore[no-untyped-def]
    messages = Message.objects.filter(mailing_list__in=lists, sender_email__iexact=canonical)
    report.add("archived posts", messages.count())
    if posts == "anonymise":
        done = anonymise_address(lists.values_list("pk", flat=True), canonical)
        report.add("archived messages with the address replaced", done.changed)
        report.add("archived messages whose attachments still hold it", len(done.kept))
        kept = Message.objects.filter(pk__in=done.kept).select_related("mailing_list").order_by("pk")
        report.kept = [f"{m.mailing_list.name}/message/{m.public_id}/" for m in kept]
        return
    if posts == "keep":
        return
    for message in messages.iterator():
        if posts == "purge":
            purge_message(message, "erasure of the poster's address", by=by, merge_index=False)  # merged once, at the end
        else:
            redact(message, "erasure of the poster's address", by=by)
    report.add(f"archived posts {'purged' if posts == 'purge' else 'hidden'}", report.counts["archived posts"])


def _bans(canonical: str, lists) -> int:  # type: ignore[no-untyped-def]
    """Bans naming the address exactly (kept: see the module's docstring)."""
    bans = Ban.objects.filter(Q(mailing_list__in=lists) | Q(mailing_list__isnull=True), pattern__iexact=canonical)
    return bans.count()


@dataclass
class PurgeReport:
    changed: bool
    counts: dict[str, int] = field(default_factory=dict)


def purge_message(message: Message, reason: str = "", *, by: str = "", merge_index: bool = True) -> PurgeReport:
    """The archive's purge, then the list server's copies of the same message: its queued and
    digest copies deleted, held copies and role mail carrying its Message-ID deleted, its verdict
    rows emptied of sender and subject."""
    _secure_delete()
    done = purge(message, reason, by=by, merge_index=merge_index)
    message_id = message.message_id
    mlist = message.mailing_list_id
    counts: dict[str, int] = {}
    with transaction.atomic():
        counts["queued copies"] = Outgoing.objects.filter(message=message).delete()[1].get(Outgoing._meta.label, 0)
        counts["digest copies"] = DigestEntry.objects.filter(message=message).delete()[0]
        ids = {message_id, f"<{message_id}>"}
        counts["held copies"] = HeldMessage.objects.filter(mailing_list_id=mlist, message_id__in=ids).delete()[0]
        records = PostRecord.objects.filter(Q(archived=message) | Q(mailing_list_id=mlist, message_id__in=ids))
        counts["post records emptied"] = records.update(sender="", subject="")
        counts["mail to the list's role addresses"] = _delete_incoming_with(mlist, message_id)
    if merge_index:
        _checkpoint()
    return PurgeReport(done.changed, counts)


def _delete_incoming_with(mlist_id: int, message_id: str) -> int:
    """Role mail (-owner, -request…) whose Message-ID is the purged message's."""
    found = []
    parser = BytesHeaderParser()
    for pk, data in IncomingMail.objects.filter(mailing_list_id=mlist_id).values_list("pk", "data").iterator():
        headers = parser.parsebytes(decompress(bytes(data)))
        if normalise_message_id(str(headers.get("Message-ID", ""))) == message_id:
            found.append(pk)
    return IncomingMail.objects.filter(pk__in=found).delete()[0]
