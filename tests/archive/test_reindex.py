"""`listhaven reindex`: parsed fields, threads and search rebuilt from the raw bytes alone."""

from __future__ import annotations

from django.db import connection

from listhaven.archive.ingest import store_batch
from listhaven.archive.models import Message, Thread, ThreadAlias
from listhaven.archive.reindex import reindex_list
from listhaven.archive.search import search_message_ids

from .conftest import make_message, parsed


def _fts(mlist, word: str) -> set[int]:
    return set(search_message_ids([mlist], word))


def _snapshot(mlist):
    threads = {}
    for msgid, thread_id, order, depth in Message.objects.filter(mailing_list=mlist).values_list(
        "message_id", "thread__public_id", "thread_order", "thread_depth"
    ):
        threads.setdefault(thread_id, []).append((order, depth, msgid))
    return {tid: sorted(rows) for tid, rows in threads.items()}


def test_reindex_rebuilds_the_same_archive_from_raw_messages(mlist):
    raws = [
        make_message("root@x", "Plan", "platypus\n", minutes=0),
        make_message("r1@x", "Re: Plan", "> platypus\nechidna\n", refs=("root@x",), minutes=5),
        make_message("r2@x", "Re: Plan", "numbat\n", refs=("root@x", "r1@x"), minutes=9),
        make_message("solo@x", "Alone", "dingo\n", minutes=20),
    ]
    store_batch(mlist, [parsed(r) for r in raws])
    before = _snapshot(mlist)
    # damage what reindex must restore from the raw bytes: tree positions, parsed flags
    Message.objects.filter(mailing_list=mlist).update(thread_order=99, thread_depth=9, date_source="none")
    r1 = Message.objects.get(mailing_list=mlist, message_id="r1@x")
    counts = reindex_list(mlist)
    assert counts.messages == 4 and counts.unparseable == 0 and counts.threads == 2
    assert _snapshot(mlist) == before
    assert Message.objects.get(pk=r1.pk).date_source == "date"
    assert _fts(mlist, "echidna") == {r1.pk}
    assert _fts(mlist, "numbat") == {Message.objects.get(mailing_list=mlist, message_id="r2@x").pk}
    if connection.vendor == "sqlite":  # the contentless FTS5 index is still consistent
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO search_fts(search_fts) VALUES ('integrity-check')")


def test_reindex_keeps_merged_thread_links_alive(mlist):
    store_batch(mlist, [parsed(make_message("a@x", "Re: A", refs=("ghost@x",), minutes=0))])
    store_batch(mlist, [parsed(make_message("b@x", "Re: B", refs=("ghost2@x",), minutes=1))])
    old_ids = set(Thread.objects.filter(mailing_list=mlist).values_list("public_id", flat=True))
    store_batch(mlist, [parsed(make_message("c@x", "Re: A", refs=("ghost@x", "ghost2@x"), minutes=2))])
    reindex_list(mlist)
    alive = set(Thread.objects.filter(mailing_list=mlist).values_list("public_id", flat=True))
    aliases = set(ThreadAlias.objects.filter(mailing_list=mlist).values_list("public_id", flat=True))
    assert Thread.objects.filter(mailing_list=mlist).count() == 1
    assert old_ids <= alive | aliases
