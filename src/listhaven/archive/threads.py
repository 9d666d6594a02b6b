"""Thread membership and thread trees, maintained incrementally by the ingest.

Membership: `listhaven.mail.threading.thread_links` decides which messages share a thread; this
module applies its links to the store a batch at a time. Every Message-ID a list has seen (stored
or only referenced) has a `ThreadRef` row pointing at its thread; the stored messages the subject
rule could reach are looked up by date range and subject. A new message joins the threads of every
message it is linked to; when it connects several threads they merge into the oldest, and the
others' public ids become aliases. Threads are connected components of links that each depend on
two messages only, so they do not depend on the order or batches in which messages arrive, and
`listhaven reindex` (the same links over a whole list) finds the same ones.

Tree: within one thread, `listhaven.mail.threading` (JWZ) orders the messages; the ingest
recomputes it for every thread a batch touched.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import connection

from listhaven.archive.bulk import (
    allocate_ids,
    db_datetime,
    db_json,
    from_db_datetime,
    insert_rows,
    rows_for_ids,
    update_rows,
)
from listhaven.archive.models import (
    Message,
    Thread,
    ThreadAlias,
    ThreadRef,
)
from listhaven.archive.rows import TreeRow
from listhaven.archive.visibility import HIDDEN_FLAG
from listhaven.mail.ids import message_id_hash
from listhaven.mail.threading import ThreadItem, UnionFind, joins_by_subject, thread_links, thread_messages

if TYPE_CHECKING:
    from listhaven.lists.models import MailingList

# SQLite allows 32766 bound parameters; stay well below for IN (...) lookups.
_CHUNK = 900


@dataclass
class NewMessage:
    """What thread assignment needs of a message about to be stored."""

    key: int  # position in the batch
    message_id: str
    references: tuple[str, ...]
    subject: str
    subject_normalised: str
    date: datetime
    thread_id: int | None = None
    id_hash: str = ""  # message_id_hash(message_id), when the caller has it already

    def thread_item(self) -> ThreadItem:
        return ThreadItem(self.message_id, self.references, self.subject_normalised, self.date, self.subject)


@dataclass
class ThreadAssignment:
    touched: set[int] = field(default_factory=set)  # thread pks whose tree must be recomputed
    created: set[int] = field(default_factory=set)  # those of them made for this batch (no stored message yet)


def assign_threads(mlist: MailingList, batch: Sequence[NewMessage], subject_window: timedelta) -> ThreadAssignment:
    """Sets `.thread_id` on every message of the batch, creating and merging threads as needed."""
    uf = UnionFind()
    all_ids = {m.message_id for m in batch} | {r for m in batch for r in m.references}
    known = _known_refs(mlist, all_ids)
    for msgid, thread_pk in known.items():
        uf.union("m:" + msgid, f"t:{thread_pk}")
    stored = _subject_candidates(mlist, batch, subject_window)
    for item, thread_pk in stored:
        uf.union("m:" + item.message_id, f"t:{thread_pk}")
    for m in batch:
        uf.find("m:" + m.message_id)
    for a, b in thread_links([m.thread_item() for m in batch], [item for item, _ in stored], subject_window):
        uf.union("m:" + a, "m:" + b)

    components: dict[str, list[NewMessage]] = {}
    for m in batch:
        components.setdefault(uf.find("m:" + m.message_id), []).append(m)
    thread_nodes: dict[str, list[int]] = {}
    for node in list(uf.parent):
        if node.startswith("t:"):
            thread_nodes.setdefault(uf.find(node), []).append(int(node[2:]))

    result = ThreadAssignment()
    to_create: list[tuple[str, list[NewMessage]]] = []
    for root, members in components.items():
        existing = sorted(set(thread_nodes.get(root, [])))
        if not existing:
            to_create.append((root, members))
            continue
        keep = existing[0]
        if len(existing) > 1:
            _merge_threads(mlist, keep, existing[1:])
        for m in members:
            m.thread_id = keep
        result.touched.add(keep)
    for thread_pk, (_, members) in zip(_create_threads(mlist, [m for _, m in to_create]), to_create):
        for m in members:
            m.thread_id = thread_pk
        result.touched.add(thread_pk)
        result.created.add(thread_pk)
    _record_refs(mlist, batch, known)
    return result


def _create_threads(mlist: MailingList, groups: list[list[NewMessage]]) -> list[int]:
    """New threads, one per group, each named after its earliest message; returns their pks."""
    firsts = [min(members, key=lambda m: (m.date, m.message_id)) for members in groups]
    public_ids = free_thread_public_ids(mlist, [f.id_hash or message_id_hash(f.message_id) for f in firsts])
    pks = allocate_ids("archive_thread", len(groups))
    insert_rows(
        "archive_thread",
        ["id", "mailing_list_id", "public_id", "subject", "subject_normalised", "message_count",
         "participant_count", "participants", "first_date", "last_date"],
        [
            (pk, mlist.pk, public_id, f.subject, f.subject_normalised, 0, 0, "[]", db_datetime(f.date), db_datetime(f.date))
            for pk, public_id, f in zip(pks, public_ids, firsts)
        ],
    )
    return pks


def _known_refs(mlist: MailingList, ids: Iterable[str]) -> dict[str, int]:
    """The threads of the ids this list has seen (a batch asks for 10,000-20,000)."""
    return dict(rows_for_ids(
        "SELECT message_id, thread_id FROM archive_threadref WHERE mailing_list_id = %s AND message_id IN ",
        mlist.pk, list(ids),
    ))


def _subject_candidates(
    mlist: MailingList, batch: Sequence[NewMessage], window: timedelta
) -> list[tuple[ThreadItem, int]]:
    """The stored messages the subject rule could link to the batch, with their threads: for a
    batch reply without references, every message of its subject up to `window` before it; for
    every batch message, the stored replies without references of its subject up to `window` after."""
    found: dict[int, tuple[ThreadItem, int]] = {}
    replies = [m for m in batch if joins_by_subject(m.thread_item())]
    subjects = {m.subject_normalised for m in replies}
    for start, end in _merged((m.date - window, m.date) for m in replies):
        found.update(_stored_by_subject(mlist, start, end, subjects, replies_only=False))
    subjects = {m.subject_normalised for m in batch if m.subject_normalised}
    for start, end in _merged((m.date, m.date + window) for m in batch if m.subject_normalised):
        found.update(_stored_by_subject(mlist, start, end, subjects, replies_only=True))
    return list(found.values())


def _merged(ranges: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Overlapping date ranges joined: a batch read in date order needs one query, not one per message."""
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _stored_by_subject(
    mlist: MailingList, start: datetime, end: datetime, subjects: set[str], replies_only: bool
) -> Iterator[tuple[int, tuple[ThreadItem, int]]]:
    ordered = sorted(subjects)
    select = (
        'SELECT id, message_id, "references", subject, subject_normalised, date, thread_id FROM archive_message '
        "WHERE mailing_list_id = %s AND date >= %s AND date <= %s"
        + (""" AND "references" = ''""" if replies_only else "")
        + " AND subject_normalised IN "
    )
    bounds = [db_datetime(start), db_datetime(end)]
    with connection.cursor() as cursor:
        for chunk_start in range(0, len(ordered), _CHUNK):
            chunk = ordered[chunk_start : chunk_start + _CHUNK]
            cursor.execute(select + "(" + ", ".join(["%s"] * len(chunk)) + ")", [mlist.pk, *bounds, *chunk])
            for pk, msgid, refs, subject, normalised, date, thread_pk in cursor.fetchall():
                item = ThreadItem(msgid, tuple(r for r in refs.split("\n") if r), normalised, from_db_datetime(date), subject)
                if not replies_only or joins_by_subject(item):
                    yield pk, (item, thread_pk)


def _merge_threads(mlist: MailingList, keep: int, others: list[int]) -> None:
    """Moves every message and ref of `others` into `keep`; their public ids become aliases."""
    for public_id in Thread.objects.filter(pk__in=others).values_list("public_id", flat=True):
        ThreadAlias.objects.get_or_create(mailing_list=mlist, public_id=public_id, defaults={"thread_id": keep})
    ThreadAlias.objects.filter(thread_id__in=others).update(thread_id=keep)
    Message.objects.filter(thread_id__in=others).update(thread_id=keep)
    ThreadRef.objects.filter(thread_id__in=others).update(thread_id=keep)
    Thread.objects.filter(pk__in=others).delete()


def _record_refs(mlist: MailingList, batch: Sequence[NewMessage], known: dict[str, int]) -> None:
    """Every id the batch names that the list had not seen gets a ThreadRef (a ghost until stored)."""
    new_refs: dict[str, int] = {}
    for m in batch:
        for i in (m.message_id, *m.references):
            if i not in known and i not in new_refs:
                new_refs[i] = m.thread_id  # type: ignore[assignment]
    insert_rows(
        "archive_threadref",
        ["mailing_list_id", "message_id", "thread_id"],
        [(mlist.pk, i, t) for i, t in new_refs.items()],
    )


def free_thread_public_ids(mlist: MailingList, wanted: list[str]) -> list[str]:
    """Thread ids are message hashes; a clash (a merged thread's alias, a reused id) gets a suffix."""
    asked = sorted(set(wanted))
    taken = {
        public_id
        for table in (Thread._meta.db_table, ThreadAlias._meta.db_table)
        for (public_id,) in rows_for_ids(
            f"SELECT public_id FROM {table} WHERE mailing_list_id = %s AND public_id IN ", mlist.pk, asked
        )
    }
    chosen = []
    for public_id in wanted:
        candidate, n = public_id, 1
        while candidate in taken:
            n += 1
            candidate = f"{public_id[:30]}{n:02d}"
            if n == 2:
                taken |= set(
                    Thread.objects.filter(mailing_list=mlist, public_id__startswith=public_id[:30]).values_list(
                        "public_id", flat=True
                    )
                )
        taken.add(candidate)
        chosen.append(candidate)
    return chosen


@dataclass
class ThreadLayout:
    """Tree positions and summaries of some threads, computed before they are written."""

    positions: dict[int, tuple[int | None, int, int]] = field(default_factory=dict)  # message pk -> place
    summaries: list[tuple] = field(default_factory=list)
    empty: list[int] = field(default_factory=list)


def layout_threads(
    thread_pks: Iterable[int], pending: Sequence[TreeRow], subject_window: timedelta, unstored: Iterable[int] = ()
) -> ThreadLayout:
    """Lays out these threads from their stored messages plus `pending` rows about to be
    inserted, so new messages are written once, in place. `unstored`: threads known to hold no
    stored message yet (made for the pending rows), which need not be read."""
    pks = sorted(set(thread_pks))
    rows_by_thread: dict[int, list[TreeRow]] = {pk: [] for pk in pks}
    skip = set(unstored)
    for row in _stored_tree_rows([pk for pk in pks if pk not in skip]):
        rows_by_thread[row.thread_id].append(row)
    for row in pending:
        rows_by_thread[row.thread_id].append(row)
    layout = ThreadLayout()
    for pk, rows in rows_by_thread.items():
        if not rows:
            layout.empty.append(pk)
            continue
        root_pk, updates = _tree_updates(rows, subject_window)
        layout.positions.update((u[3], u[:3]) for u in updates)
        layout.summaries.append(_summary_row(pk, root_pk, rows))
    return layout


# TreeRow's columns (quoted as both SQLite and PostgreSQL read them); `hidden` is the column that
# says a message is removed, as in Message.objects.with_hidden().
_TREE_COLUMNS = ", ".join(
    '"' + (HIDDEN_FLAG if name == "hidden" else "id" if name == "pk" else name) + '"' for name in TreeRow._fields
)


def _stored_tree_rows(thread_pks: list[int]) -> Iterator[TreeRow]:
    """The stored messages of these threads, as `Message.objects.with_hidden().values_list(*TreeRow._fields)`
    gives them, read in SQL: the ORM's query building and row conversion cost the ingest more than the query."""
    with connection.cursor() as cursor:
        for start in range(0, len(thread_pks), _CHUNK):
            chunk = thread_pks[start : start + _CHUNK]
            cursor.execute(
                f"SELECT {_TREE_COLUMNS} FROM archive_message WHERE thread_id IN ({', '.join(['%s'] * len(chunk))})",
                chunk,
            )
            for row in cursor.fetchall():
                yield TreeRow._make((*row[:5], from_db_datetime(row[5]), *row[6:12], bool(row[12])))


def write_layout(layout: ThreadLayout, skip: set[int] = frozenset()) -> None:  # type: ignore[assignment]
    """Stores positions (except of the messages in `skip`, inserted with theirs) and summaries."""
    update_rows(
        "archive_message",
        ["parent_id", "thread_depth", "thread_order"],
        [(*place, pk) for pk, place in layout.positions.items() if pk not in skip],
    )
    update_rows(
        "archive_thread",
        ["root_message_id", "subject", "subject_normalised", "message_count", "participant_count",
         "participants", "first_date", "last_date"],
        layout.summaries,
    )
    if layout.empty:
        Thread.objects.filter(pk__in=layout.empty, messages__isnull=True).delete()


def refresh_threads(thread_pks: Iterable[int], subject_window: timedelta) -> None:
    """Recomputes tree positions and summary fields of these threads from their messages."""
    write_layout(layout_threads(thread_pks, [], subject_window))


def _tree_updates(rows: list[TreeRow], subject_window: timedelta) -> tuple[int, list[tuple[int | None, int, int, int]]]:
    """JWZ over one thread's messages: (root message pk, changed (parent, depth, order, pk) rows)."""
    by_msgid: dict[str, TreeRow] = {}
    for row in sorted(rows, key=lambda r: r.pk):
        by_msgid.setdefault(row.message_id, row)  # a reused Message-ID: the first stored one holds the place
    items = [row.thread_item() for row in by_msgid.values()]
    positions = {p.message_id: p for p in thread_messages(items, subject_window=subject_window).positions}
    pk_of = {msgid: row.pk for msgid, row in by_msgid.items()}
    ranked = sorted(positions.values(), key=lambda p: p.order)
    order_of = {p.message_id: n for n, p in enumerate(ranked)}  # dense 0..n-1 within the thread
    updates = []
    extra = len(order_of)
    for row in sorted(rows, key=lambda r: (r.date, r.pk)):
        if by_msgid[row.message_id] is row and row.message_id in positions:
            pos = positions[row.message_id]
            parent_pk = pk_of.get(pos.parent_id) if pos.parent_id else None
            depth, order = pos.depth, order_of[row.message_id]
        else:  # a second message under a reused Message-ID: after the tree, a reply to its namesake
            namesake = positions.get(row.message_id)
            parent_pk, depth, order = pk_of.get(row.message_id), (namesake.depth + 1 if namesake else 1), extra
            extra += 1
        if (row.parent_id, row.thread_depth, row.thread_order) != (parent_pk, depth, order):
            updates.append((parent_pk, depth, order, row.pk))
    root_pk = pk_of[ranked[0].message_id] if ranked else min(rows, key=lambda r: r.date).pk
    return root_pk, updates


def _summary_row(thread_pk: int, root_pk: int, rows: list[TreeRow]) -> tuple:
    # A removed message keeps its place, its count and its date (pages show "message removed"
    # there), but nothing it said: not its poster nor its subject. When the root itself is removed
    # the thread is named after its earliest message still shown.
    shown = sorted((r for r in rows if not r.hidden), key=lambda r: (r.date, r.pk))
    root = next(r for r in rows if r.pk == root_pk)
    named_by = root if not root.hidden else (shown[0] if shown else None)
    # People are told apart by address; they are shown by name (the address when nameless,
    # which pages obfuscate like every other address).
    senders = Counter((r.sender_email or r.sender_name).lower() for r in shown)
    shown_as = {(r.sender_email or r.sender_name).lower(): r.sender_name or r.sender_email for r in shown}
    return (
        root_pk,
        named_by.subject if named_by else "",
        named_by.subject_normalised if named_by else "",
        len(rows),
        len(senders),
        db_json([shown_as[key] for key, _ in senders.most_common(20)]),
        db_datetime(min(r.date for r in rows)),
        db_datetime(max(r.date for r in rows)),
        thread_pk,
    )
