"""Thread membership and thread trees, maintained incrementally by the ingest.

Membership: every Message-ID a list has seen (stored or only referenced) has a `ThreadRef` row
pointing at its thread. A new message joins the threads of its own id and of every id it
references; when it connects several threads they merge into the oldest, and the others' public
ids become aliases. This is a union of connected components, so the final threads do not depend
on the order messages arrive in.

Tree: within one thread, `listhaven.mail.threading` (JWZ) orders the messages; the ingest
recomputes it for every thread a batch touched.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection

from listhaven.archive.models import MailingList, Message, Thread, ThreadAlias, ThreadRef
from listhaven.mail.ids import message_id_hash
from listhaven.mail.threading import ThreadItem, thread_messages

_REPLY_PREFIX = re.compile(r"^\s*(\[[^\]]*\]\s*)*(re|aw|sv|vs|antw|fwd?|fw)(\[\d+\])?\s*:", re.IGNORECASE)
# SQLite allows 32766 bound parameters; stay well below for IN (...) lookups.
_CHUNK = 900


def looks_like_reply(subject: str) -> bool:
    return bool(_REPLY_PREFIX.match(subject))


@dataclass
class NewMessage:
    """What thread assignment needs of a message about to be stored."""

    key: int  # position in the batch
    message_id: str
    references: tuple[str, ...]
    subject: str
    subject_normalised: str
    date: datetime
    thread: Thread | None = None


class UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, node: str) -> str:
        root = node
        while self.parent.setdefault(root, root) != root:
            root = self.parent[root]
        while self.parent[node] != root:  # path compression, iteratively
            self.parent[node], node = root, self.parent[node]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra


@dataclass
class ThreadAssignment:
    touched: set[int] = field(default_factory=set)  # thread pks whose tree must be recomputed


def assign_threads(mlist: MailingList, batch: Sequence[NewMessage], subject_window: timedelta) -> ThreadAssignment:
    """Sets `.thread` on every message of the batch, creating and merging threads as needed."""
    uf = UnionFind()
    all_ids = {m.message_id for m in batch} | {r for m in batch for r in m.references}
    known = _known_refs(mlist, all_ids)
    for m in batch:
        node = "m:" + m.message_id
        for ref in m.references:
            uf.union(node, "m:" + ref)
        if m.message_id in known:
            uf.union(node, f"t:{known[m.message_id]}")
        for ref in m.references:
            if ref in known:
                uf.union(node, f"t:{known[ref]}")
    _join_by_subject(mlist, batch, uf, known, subject_window)

    components: dict[str, list[NewMessage]] = {}
    for m in batch:
        components.setdefault(uf.find("m:" + m.message_id), []).append(m)
    thread_nodes: dict[str, list[int]] = {}
    for node in list(uf.parent):
        if node.startswith("t:"):
            thread_nodes.setdefault(uf.find(node), []).append(int(node[2:]))

    result = ThreadAssignment()
    for root, members in components.items():
        existing = sorted(set(thread_nodes.get(root, [])))
        if existing:
            thread = Thread.objects.get(pk=existing[0])
            if len(existing) > 1:
                _merge_threads(mlist, thread, existing[1:])
        else:
            first = min(members, key=lambda m: (m.date, m.message_id))
            thread = Thread.objects.create(
                mailing_list=mlist,
                public_id=_free_thread_public_id(mlist, message_id_hash(first.message_id)),
                subject=first.subject,
                subject_normalised=first.subject_normalised,
                first_date=first.date,
                last_date=first.date,
            )
        for m in members:
            m.thread = thread
        result.touched.add(thread.pk)
        _record_refs(mlist, thread, members, known)
    return result


def _known_refs(mlist: MailingList, ids: Iterable[str]) -> dict[str, int]:
    ids = list(ids)
    known: dict[str, int] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        rows = ThreadRef.objects.filter(mailing_list=mlist, message_id__in=chunk).values_list("message_id", "thread_id")
        known.update(rows)
    return known


def _join_by_subject(
    mlist: MailingList,
    batch: Sequence[NewMessage],
    uf: UnionFind,
    known: dict[str, int],
    window: timedelta,
) -> None:
    """JWZ's subject step, bounded: a reply-looking message with no references joins the latest
    thread of the same normalised subject active within `window` of its date."""
    for m in batch:
        if m.references or m.message_id in known or not m.subject_normalised or not looks_like_reply(m.subject):
            continue
        in_batch = [
            o for o in batch
            if o is not m and o.subject_normalised == m.subject_normalised and abs(o.date - m.date) <= window
            and o.date <= m.date
        ]
        if in_batch:
            uf.union("m:" + m.message_id, "m:" + max(in_batch, key=lambda o: o.date).message_id)
            continue
        thread_pk = (
            Thread.objects.filter(
                mailing_list=mlist,
                subject_normalised=m.subject_normalised,
                last_date__gte=m.date - window,
                first_date__lte=m.date + window,
            )
            .order_by("-last_date")
            .values_list("pk", flat=True)
            .first()
        )
        if thread_pk is not None:
            uf.union("m:" + m.message_id, f"t:{thread_pk}")


def _merge_threads(mlist: MailingList, keep: Thread, others: list[int]) -> None:
    """Moves every message and ref of `others` into `keep`; their public ids become aliases."""
    for old in Thread.objects.filter(pk__in=others):
        ThreadAlias.objects.get_or_create(mailing_list=mlist, public_id=old.public_id, defaults={"thread": keep})
    ThreadAlias.objects.filter(thread_id__in=others).update(thread=keep)
    Message.objects.filter(thread_id__in=others).update(thread=keep)
    ThreadRef.objects.filter(thread_id__in=others).update(thread=keep)
    Thread.objects.filter(pk__in=others).delete()


def _record_refs(mlist: MailingList, thread: Thread, members: list[NewMessage], known: dict[str, int]) -> None:
    ids = {m.message_id for m in members} | {r for m in members for r in m.references}
    new_ids = [i for i in ids if i not in known]
    ThreadRef.objects.bulk_create(
        [ThreadRef(mailing_list=mlist, message_id=i, thread=thread) for i in new_ids], batch_size=500
    )
    for i in new_ids:
        known[i] = thread.pk
    # Refs that pointed at threads merged away were moved by _merge_threads; keep the map in step.
    for i in ids:
        known[i] = thread.pk


def _free_thread_public_id(mlist: MailingList, wanted: str) -> str:
    """Thread ids are message hashes; a clash (a merged thread's alias, a reused id) gets a suffix."""
    candidate, n = wanted, 1
    while (
        Thread.objects.filter(mailing_list=mlist, public_id=candidate).exists()
        or ThreadAlias.objects.filter(mailing_list=mlist, public_id=candidate).exists()
    ):
        n += 1
        candidate = f"{wanted[:30]}{n:02d}"
    return candidate


def refresh_threads(thread_pks: Iterable[int], subject_window: timedelta) -> None:
    """Recomputes tree positions and summary fields of these threads from their messages."""
    for pk in sorted(set(thread_pks)):
        refresh_thread(pk, subject_window)


def refresh_thread(thread_pk: int, subject_window: timedelta) -> None:
    rows = list(
        Message.objects.filter(thread_id=thread_pk).values_list(
            "pk", "message_id", "references", "subject", "subject_normalised", "date",
            "sender_name", "sender_email", "parent_id", "thread_depth", "thread_order", "public_id",
        )
    )
    thread = Thread.objects.get(pk=thread_pk)
    if not rows:
        thread.delete()
        return
    by_msgid: dict[str, tuple] = {}
    for row in rows:
        by_msgid.setdefault(row[1], row)  # a reused Message-ID: the first stored one holds the place
    items = [
        ThreadItem(message_id=r[1], references=tuple(x for x in r[2].split("\n") if x), subject_normalised=r[4], date=r[5])
        for r in by_msgid.values()
    ]
    forest = thread_messages(items, subject_window=subject_window)
    positions = {p.message_id: p for p in forest.positions}
    pk_of = {msgid: row[0] for msgid, row in by_msgid.items()}
    updates = []
    extra_order = len(positions)
    for row in rows:
        pos = positions.get(row[1]) if by_msgid[row[1]] is row else None
        if pos is None:  # duplicate-id messages go after the tree, in date order
            parent_pk, depth, order = pk_of.get(row[1]), 1, extra_order
            extra_order += 1
        else:
            parent_pk = pk_of.get(pos.parent_id) if pos.parent_id else None
            depth, order = pos.depth, pos.order
        if (row[8], row[9], row[10]) != (parent_pk, depth, order):
            updates.append((parent_pk, depth, order, row[0]))
    if updates:
        with connection.cursor() as cursor:
            cursor.executemany(
                "UPDATE archive_message SET parent_id = %s, thread_depth = %s, thread_order = %s WHERE id = %s",
                updates,
            )
    _summarise(thread, rows, positions, by_msgid)


def _summarise(thread: Thread, rows: list[tuple], positions: dict, by_msgid: dict[str, tuple]) -> None:
    first_row = min(
        (r for r in by_msgid.values() if r[1] in positions and positions[r[1]].order == 0),
        default=min(rows, key=lambda r: r[5]),
        key=lambda r: r[5],
    )
    senders = Counter(r[6] or r[7] for r in rows)
    thread.root_message_id = first_row[0]
    thread.subject = first_row[3]
    thread.subject_normalised = first_row[4]
    thread.message_count = len(rows)
    thread.participant_count = len(senders)
    thread.participants = [name for name, _ in senders.most_common(20)]
    thread.first_date = min(r[5] for r in rows)
    thread.last_date = max(r[5] for r in rows)
    thread.save()
