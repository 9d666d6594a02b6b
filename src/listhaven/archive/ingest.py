"""The ingest transaction: a batch of parsed messages becomes stored messages, thread updates and
search rows in ONE transaction, so the store, the threads and the index never disagree.

Every input ends in exactly one of three outcomes: stored, duplicate (same Message-ID and same
content as a stored message) or quarantined (with its reason).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from listhaven.archive.bulk import allocate_ids, db_datetime, db_json, insert_rows, rows_for_ids
from listhaven.archive.compression import compress
from listhaven.archive.models import ImportRun, Message, Quarantine
from listhaven.archive.month_counts import counting_batch
from listhaven.archive.rows import ParsedFields, TreeRow, message_row
from listhaven.archive.threads import NewMessage, assign_threads, layout_threads, write_layout
from listhaven.archive.versions import changed_fields
from listhaven.mail.ids import message_id_hash
from listhaven.mail.message import ParsedMessage, SourceMessage
from listhaven.search import Placement, SearchDocument, backend_for
from listhaven.search.documents import build_document

if TYPE_CHECKING:
    from listhaven.lists.models import MailingList



class ImportOutcome(Enum):
    """What became of one input message."""

    STORED = "stored"
    DUPLICATE = "duplicate"  # the same Message-ID and content as a stored message: kept once
    QUARANTINED = "quarantined"  # could not be parsed: its bytes kept with the reason


@dataclass(frozen=True, slots=True)
class Parsed:
    """One input after parsing, ready to store."""

    source: SourceMessage
    message: ParsedMessage
    # Prepared where the parsing happens (a worker process during imports), so the process
    # that writes the database does as little as possible per message.
    compressed_raw: bytes
    document: SearchDocument
    id_hash: str  # message_id_hash(message.message_id): the public id unless the Message-ID is taken

    @classmethod
    def prepare(cls, source: SourceMessage, message: ParsedMessage, compressed: bool = True) -> Parsed:
        """`compressed` false leaves `compressed_raw` empty: the ingest compresses the raw bytes then."""
        recipients = [(a.name, a.email) for a in (*message.to, *message.cc)]
        document = build_document(
            0, message.subject, message.sender.name, message.sender.email, recipients, message.body_text,
            [a.filename for a in message.attachments],
        )
        packed = compress(source.raw) if compressed else b""
        return cls(source, message, packed, document, message_id_hash(message.message_id))


@dataclass(frozen=True, slots=True)
class Unparsed:
    """One input that could not be parsed, and why: it goes to quarantine."""

    source: SourceMessage
    error: str


@dataclass
class BatchResult:
    stored: list[int] = field(default_factory=list)  # primary keys of the stored messages
    duplicates: int = 0
    quarantined: int = 0
    conflicts: int = 0
    renumbered: dict[int, int] = field(default_factory=dict)  # number given -> the free one used (taken meanwhile)

    @property
    def count(self) -> int:
        return len(self.stored) + self.duplicates + self.quarantined


def subject_window() -> timedelta:
    return timedelta(days=settings.SUBJECT_THREAD_WINDOW_DAYS)


def store_batch(
    mlist: MailingList, batch: Sequence[Parsed | Unparsed], progress: ImportRun | None = None,
    numbers: Sequence[int] | None = None, copies_before: datetime | None = None,
) -> BatchResult:
    """Stores a batch durably. `progress`, when given, advances in the same transaction.
    `numbers`: each item's archive number (a list moved from Mailman 2 keeps Pipermail's); by
    default the stored messages take the list's next numbers in order. `copies_before`: the batch
    holds copies made from originals stored before that moment (Pipermail's monthly text archives:
    addresses obfuscated, attachments scrubbed), so a message whose Message-ID the list had then is
    a duplicate even though its content differs. Two messages of the import itself that share a
    Message-ID are two messages (a resend with changes), as in any import."""
    with transaction.atomic():
        result = _store(mlist, batch, numbers, copies_before)
        if progress is not None:
            ImportRun.objects.filter(pk=progress.pk).update(
                position=F("position") + len(batch),
                stored=F("stored") + len(result.stored),
                duplicates=F("duplicates") + result.duplicates,
                quarantined=F("quarantined") + result.quarantined,
            )
    return result


def _store(mlist: MailingList, batch: Sequence[Parsed | Unparsed], numbers: Sequence[int] | None = None,
           copies_before: datetime | None = None) -> BatchResult:  # fmt: skip
    result = BatchResult()
    parsed = [p for p in batch if isinstance(p, Parsed)]
    for p in batch:
        if isinstance(p, Unparsed):
            quarantine(mlist, p.source, p.error)
            result.quarantined += 1
    lock_list(mlist)
    fresh, derived, flagged = _drop_duplicates(mlist, parsed, result, copies_before)
    if not fresh:
        return result
    window = subject_window()
    new = [
        NewMessage(i, p.message.message_id, p.message.references, p.message.subject, p.message.subject_normalised,
                   p.message.date, id_hash=p.id_hash)
        for i, p in enumerate(fresh)
    ]
    assignment = assign_threads(mlist, new, window)
    pks = allocate_ids("archive_message", len(fresh))
    layout = layout_threads(assignment.touched, _tree_rows(pks, fresh, new), window, unstored=assignment.created)
    if numbers is None:
        assigned = [mlist.next_archive_number + i for i in range(len(fresh))]
        following: Any = F("next_archive_number") + len(fresh)
    else:
        given = {id(item): n for item, n in zip(batch, numbers)}
        assigned = _free_numbers(mlist, [given[id(p)] for p in fresh], result)
        following = max(mlist.next_archive_number, max(assigned) + 1)
    _insert_messages(mlist, pks, fresh, new, derived, flagged, layout.positions, assigned)
    write_layout(layout, skip=set(pks))
    # The list arrives as an instance; its own model is updated (the archive imports no list code).
    type(mlist)._default_manager.filter(pk=mlist.pk).update(next_archive_number=following, **changed_fields())
    _insert_raw_and_attachments(pks, fresh)
    _index(mlist, pks, fresh)
    result.stored = pks
    result.conflicts = len(derived)
    return result


def lock_list(mlist: MailingList) -> None:
    """Takes the list's row for the rest of the transaction and reads its next archive number.

    PostgreSQL: two processes storing into one list at once (two LMTP hosts, an import beside a post)
    take turns here, and the second, once the first has committed, sees the first's messages: its
    duplicates, its thread rows and the numbers it used (each statement of READ COMMITTED reads what
    is committed when it starts). Without it both read the same next number and the same missing
    threads, and the second failed on a unique index, a 451 for the MTA. SQLite: a no-op, the
    transaction already holds the database's one write lock (BEGIN IMMEDIATE)."""
    rows = type(mlist)._default_manager.select_for_update().filter(pk=mlist.pk)
    mlist.next_archive_number = rows.values_list("next_archive_number", flat=True).get()


def _free_numbers(mlist: MailingList, wanted: list[int], result: BatchResult) -> list[int]:
    """The numbers given (an import keeping Pipermail's), each kept unless a message of the list has
    it by now: a post received here since the import read the list's numbers (`listhaven import-list
    --update` while the MTA delivers here already). Such a message gets the next free number instead,
    as the live path would give it, under the same lock (`lock_list`); `result.renumbered` says which."""
    taken = set(Message.objects.filter(mailing_list=mlist, archive_number__in=wanted)
                .values_list("archive_number", flat=True))  # fmt: skip
    if not taken:
        return wanted
    after = max(mlist.next_archive_number, max(wanted) + 1)  # no message has a number past the list's next
    assigned = []
    for number in wanted:
        if number in taken:
            result.renumbered[number], number = after, after
            after += 1
        assigned.append(number)
    return assigned


def _drop_duplicates(
    mlist: MailingList, parsed: list[Parsed], result: BatchResult, copies_before: datetime | None = None
) -> tuple[list[Parsed], set[int], set[int]]:
    """Removes exact duplicates (same id, same content hash), in the store or earlier in the batch.

    Returns the messages to store; the batch positions of those that reuse a Message-ID already
    taken, stored or earlier in the batch, with different content (they get a public id derived
    from their content); and the positions to flag as sharing a Message-ID (those, plus a first
    copy earlier in the batch, which keeps the Message-ID's own hash)."""
    ids = list({p.message.message_id for p in parsed})
    seen: dict[str, set[str]] = {}
    for msgid, chash in rows_for_ids(
        "SELECT message_id, content_hash FROM archive_message WHERE mailing_list_id = %s AND message_id IN ",
        mlist.pk, ids,
    ):
        seen.setdefault(msgid, set()).add(chash)
    originals: set[str] = set()
    if copies_before is not None and seen:
        originals = set(Message.objects.filter(mailing_list=mlist, message_id__in=list(seen),
                                               imported_at__lt=copies_before).values_list("message_id", flat=True))
    fresh: list[Parsed] = []
    derived: set[int] = set()
    flagged: set[int] = set()
    for p in parsed:
        m = p.message
        hashes = seen.setdefault(m.message_id, set())
        if m.content_hash in hashes or (m.message_id in originals and not m.message_id_derived):
            result.duplicates += 1
            continue
        if hashes:
            derived.add(len(fresh))
            flagged.add(len(fresh))
            # an earlier copy in this same batch is not in the store yet: flag it here
            flagged.update(i for i, q in enumerate(fresh) if q.message.message_id == m.message_id)
        hashes.add(m.content_hash)
        fresh.append(p)
    if flagged:
        reused = {fresh[i].message.message_id for i in flagged}
        Message.objects.filter(mailing_list=mlist, message_id__in=reused).update(msgid_conflict=True)
    return fresh, derived, flagged


def _public_id(p: Parsed, taken: bool) -> str:
    if taken:  # the Message-ID hash is taken: derive a distinct, stable one from the content
        return message_id_hash(f"{p.message.message_id}#{p.message.content_hash}")
    return p.id_hash


# archive_message's columns as the ingest writes them: identity and place, then what parsing gave.
_MESSAGE_COLUMNS = (
    "id", "mailing_list_id", "thread_id", "public_id", "message_id", "message_id_synthetic", "msgid_conflict",
    "content_hash", "size", *ParsedFields._fields,
    "parent_id", "thread_depth", "thread_order", "archive_number", "imported_at", "redacted",
)


def _tree_rows(pks: list[int], fresh: list[Parsed], new: list[NewMessage]) -> list[TreeRow]:
    """The new messages as threads.layout_threads reads stored ones."""
    return [
        TreeRow(pk, m.message_id, "\n".join(m.references), m.subject, m.subject_normalised, m.date,
                m.sender.name, m.sender.email, None, 0, 0, n.thread_id, False)
        for pk, m, n in zip(pks, (p.message for p in fresh), new)
    ]


def _insert_messages(
    mlist: MailingList,
    pks: list[int],
    fresh: list[Parsed],
    new: list[NewMessage],
    derived: set[int],
    flagged: set[int],
    positions: dict[int, tuple[int | None, int, int]],
    numbers: list[int],
) -> None:
    now = db_datetime(timezone.now())
    rows = []
    for i, (pk, p, n) in enumerate(zip(pks, fresh, new)):
        m = p.message
        fields = message_row(m)
        fields = fields._replace(date=db_datetime(m.date), recipients=db_json(fields.recipients))
        rows.append((
            pk, mlist.pk, n.thread_id, _public_id(p, i in derived), m.message_id, m.message_id_derived,
            i in flagged, m.content_hash, m.size, *fields,
            *positions.get(pk, (None, 0, 0)), numbers[i], now, False,
        ))
    with counting_batch(pks):  # the months' counts (archive/month_counts.py)
        insert_rows("archive_message", [connection.ops.quote_name(c) for c in _MESSAGE_COLUMNS], rows)


def _insert_raw_and_attachments(pks: list[int], fresh: list[Parsed]) -> None:
    insert_rows(
        "archive_rawmessage",
        ["message_id", "data", "from_line"],
        [(pk, p.compressed_raw or compress(p.source.raw), p.source.from_line or "") for pk, p in zip(pks, fresh)],
    )
    insert_rows(
        "archive_attachment",
        ["message_id", "\"index\"", "filename", "content_type", "size"],
        [
            (pk, a.index, a.filename, a.content_type, a.size)
            for pk, p in zip(pks, fresh)
            for a in p.message.attachments
        ],
    )


def _index(mlist: MailingList, pks: list[int], fresh: list[Parsed]) -> None:
    documents, placements = [], []
    for pk, p in zip(pks, fresh):
        d = p.document
        documents.append(SearchDocument(pk, d.subject, d.sender, d.recipients, d.body, d.quoted, d.filenames))
        placements.append(Placement(mlist.pk, p.message.date, bool(p.message.attachments)))
    with connection.cursor() as cursor:
        backend_for(connection).index(cursor, documents, placements)


def quarantine(mlist: MailingList, source: SourceMessage, reason: str) -> bool:
    """Keeps unparseable bytes with the reason. False when these exact bytes were already there."""
    digest = hashlib.sha256(source.raw).hexdigest()
    _, created = Quarantine.objects.get_or_create(
        mailing_list=mlist,
        content_hash=digest,
        defaults={"reason": reason, "origin": source.origin, "data": compress(source.raw), "size": len(source.raw)},
    )
    return created
