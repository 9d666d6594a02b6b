"""`listhaven reindex`: every derived row rebuilt from the raw messages.

Parsed fields and search rows come from re-parsing RawMessage; threads are recomputed from
scratch. Thread public ids survive where a thread keeps its first message, and every id that
disappears becomes an alias, so no link breaks.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import connection, transaction

from listhaven.archive.compression import decompress
from listhaven.archive.importer import id_domain, parse_one
from listhaven.archive.ingest import Parsed, subject_window
from listhaven.archive.models import Attachment, Message, Thread, ThreadAlias, ThreadRef
from listhaven.archive.month_counts import recount
from listhaven.archive.rows import ParsedFields, TreeRow, message_row
from listhaven.archive.threads import free_thread_public_ids, refresh_threads
from listhaven.archive.versions import archive_changed
from listhaven.mail.message import SourceMessage
from listhaven.mail.threading import thread_membership
from listhaven.search import backend_for
from listhaven.search.documents import document_for_message

if TYPE_CHECKING:
    from listhaven.lists.models import MailingList

_CHUNK = 500


@dataclass
class ReindexCounts:
    messages: int = 0
    threads: int = 0
    unparseable: int = 0
    months_repaired: int = 0

    def __str__(self) -> str:
        repaired = f", {self.months_repaired} month counts repaired" if self.months_repaired else ""
        return (f"{self.messages} messages re-parsed and re-indexed, {self.threads} threads "
                f"({self.unparseable} kept as they were){repaired}")


def reindex_list(mlist: MailingList) -> ReindexCounts:
    counts = ReindexCounts()
    with transaction.atomic():
        _reparse_and_reindex(mlist, counts)
        counts.threads = rebuild_threads(mlist)
        counts.months_repaired = len(recount([mlist.pk]))  # the kept month counts are an index too
        archive_changed(mlist.pk)  # re-parsed text and threads: every page may differ
    return counts


def _reparse_and_reindex(mlist: MailingList, counts: ReindexCounts) -> None:
    backend = backend_for(connection)
    pks = list(Message.objects.filter(mailing_list=mlist).order_by("pk").values_list("pk", flat=True))
    domain = id_domain()
    for start in range(0, len(pks), _CHUNK):
        chunk = list(
            Message.objects.with_hidden()
            .filter(pk__in=pks[start : start + _CHUNK])
            .select_related("raw")
            .prefetch_related("attachments")
        )
        # Only what readers may see is indexed (a removed message's row left with its removal).
        with connection.cursor() as cursor:
            backend.remove(cursor, [document_for_message(m) for m in chunk if not m.hidden])
        documents = []
        for message in chunk:
            counts.messages += 1
            if not _reparse(message, domain):
                counts.unparseable += 1
            if not message.hidden:
                documents.append(document_for_message(message))
        with connection.cursor() as cursor:
            backend.index(cursor, documents)


def _reparse(message: Message, domain: str) -> bool:
    """Refreshes the parsed fields from the raw bytes; False (fields kept) if they no longer parse."""
    raw = decompress(message.raw.data)
    result = parse_one(SourceMessage(raw, f"message {message.pk}", message.raw.from_line or None), None, domain)
    if not isinstance(result, Parsed):
        return False
    parsed = result.message
    for name, value in message_row(parsed)._asdict().items():
        setattr(message, name, value)
    message.save(update_fields=ParsedFields._fields)
    Attachment.objects.filter(message=message).delete()
    Attachment.objects.bulk_create(
        Attachment(message=message, index=a.index, filename=a.filename, content_type=a.content_type, size=a.size)
        for a in parsed.attachments
    )
    if hasattr(message, "_prefetched_objects_cache"):
        message._prefetched_objects_cache.pop("attachments", None)
    return True


def rebuild_threads(mlist: MailingList) -> int:
    """Recomputes thread membership of a whole list from Message-IDs, references and subjects."""
    messages = Message.objects.filter(mailing_list=mlist)
    rows = list(map(TreeRow._make, messages.with_hidden().order_by("date", "pk").values_list(*TreeRow._fields)))
    public_ids = dict(messages.values_list("pk", "public_id"))
    components = _components(rows)
    old_threads = {t.pk: t for t in Thread.objects.filter(mailing_list=mlist)}
    thread_of_first = {}
    for pk, public_id in Thread.objects.filter(mailing_list=mlist).values_list("pk", "public_id"):
        thread_of_first[public_id] = pk
    kept: set[int] = set()
    assignments: list[tuple[int, int]] = []
    ref_rows: list[ThreadRef] = []
    for members in components:
        first = members[0]
        first_public_id = public_ids[first.pk]
        reuse = thread_of_first.get(first_public_id) or first.thread_id
        if reuse in kept or reuse not in old_threads:
            thread = Thread.objects.create(mailing_list=mlist, public_id=free_thread_public_ids(mlist, [first_public_id])[0])
        else:
            thread = old_threads[reuse]
        kept.add(thread.pk)
        assignments += [(thread.pk, row.pk) for row in members]
        ids = {row.message_id for row in members} | {r for row in members for r in row.references.split("\n") if r}
        ref_rows += [ThreadRef(mailing_list=mlist, message_id=i, thread=thread) for i in ids]
    with connection.cursor() as cursor:
        cursor.executemany("UPDATE archive_message SET thread_id = %s WHERE id = %s", assignments)
    ThreadRef.objects.filter(mailing_list=mlist).delete()
    ThreadRef.objects.bulk_create(ref_rows, batch_size=1000, ignore_conflicts=True)
    _alias_dropped_threads(mlist, old_threads, kept)
    refresh_threads(kept, subject_window())
    archive_changed(mlist.pk)
    return len(kept)


def _components(rows: list[TreeRow]) -> list[list[TreeRow]]:
    """The rows grouped into threads by the rule the ingest applies (`thread_membership`)."""
    items = [row.thread_item() for row in rows]
    by_msgid: dict[str, list[TreeRow]] = defaultdict(list)
    for row in rows:
        by_msgid[row.message_id].append(row)  # a reused Message-ID: its messages share one thread
    return [[row for msgid in group for row in by_msgid[msgid]] for group in thread_membership(items, subject_window())]


def _alias_dropped_threads(mlist: MailingList, old_threads: dict[int, Thread], kept: set[int]) -> None:
    for pk, thread in old_threads.items():
        if pk in kept:
            continue
        root = thread.root_message_id
        target = Message.objects.filter(pk=root).values_list("thread_id", flat=True).first() if root else None
        if target is None:
            target = next(iter(kept), None)
        if target is not None:
            ThreadAlias.objects.filter(thread_id=pk).update(thread_id=target)
            ThreadAlias.objects.get_or_create(mailing_list=mlist, public_id=thread.public_id, defaults={"thread_id": target})
        thread.delete()
