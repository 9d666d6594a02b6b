"""Thread membership: references, ghosts, order independence, merges, subject window."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from listhaven.archive.importer import parse_one
from listhaven.archive.ingest import store_batch
from listhaven.archive.models import Message, Thread, ThreadAlias
from listhaven.mail.sources import open_source

from .conftest import make_message, parsed


def _thread_sets(mlist):
    groups: dict[int, set[str]] = {}
    for msgid, thread in Message.objects.filter(mailing_list=mlist).values_list("message_id", "thread_id"):
        groups.setdefault(thread, set()).add(msgid)
    return sorted(sorted(g) for g in groups.values())


def _conversation():
    return [
        make_message("root@x", "Plan", minutes=0),
        make_message("r1@x", "Re: Plan", refs=("root@x",), minutes=5),
        make_message("r2@x", "Re: Plan", refs=("root@x", "r1@x"), minutes=10),
        make_message("r3@x", "Re: Plan", refs=("root@x",), minutes=15),
        make_message("other@x", "Unrelated", minutes=20),
    ]


def test_replies_join_their_thread_with_tree_positions(mlist):
    store_batch(mlist, [parsed(r) for r in _conversation()])
    assert _thread_sets(mlist) == [["other@x"], ["r1@x", "r2@x", "r3@x", "root@x"]]
    thread = Thread.objects.filter(mailing_list=mlist).get(messages__message_id="root@x")
    assert thread.message_count == 4
    assert thread.root_message.message_id == "root@x"
    ordered = list(thread.messages.order_by("thread_order").values_list("message_id", "thread_depth"))
    assert ordered == [("root@x", 0), ("r1@x", 1), ("r2@x", 2), ("r3@x", 1)]
    r2 = Message.objects.filter(mailing_list=mlist).get(message_id="r2@x")
    assert r2.parent.message_id == "r1@x"


def test_threads_do_not_depend_on_arrival_order(mlist):
    raws = _conversation()
    random.Random(3).shuffle(raws)
    for raw in raws:  # one message per batch: the hardest case for incremental threading
        store_batch(mlist, [parsed(raw)])
    assert _thread_sets(mlist) == [["other@x"], ["r1@x", "r2@x", "r3@x", "root@x"]]
    ordered = list(
        Thread.objects.filter(mailing_list=mlist).get(messages__message_id="root@x").messages.order_by("thread_order").values_list("message_id", flat=True)
    )
    assert ordered == ["root@x", "r1@x", "r2@x", "r3@x"]


def test_two_threads_merge_when_a_message_connects_them_and_links_survive(mlist):
    store_batch(mlist, [parsed(make_message("a@x", "A", minutes=0))])
    # replies to a parent we have not seen yet form their own thread around a ghost
    store_batch(mlist, [parsed(make_message("c@x", "Re: A", refs=("a@x", "b@x"), minutes=20))])
    assert len(_thread_sets(mlist)) == 1  # c references a@x directly: same thread
    store_batch(mlist, [parsed(make_message("z@x", "Re: Z", refs=("y@x",), minutes=30))])
    store_batch(mlist, [parsed(make_message("w@x", "Re: W", refs=("x@x",), minutes=31))])
    assert len(_thread_sets(mlist)) == 3
    old_ids = set(Thread.objects.filter(mailing_list=mlist).values_list("public_id", flat=True))
    store_batch(mlist, [parsed(make_message("bridge@x", "Re: Z", refs=("y@x", "x@x"), minutes=40))])
    assert len(_thread_sets(mlist)) == 2
    survivors = set(Thread.objects.filter(mailing_list=mlist).values_list("public_id", flat=True))
    aliases = set(ThreadAlias.objects.filter(mailing_list=mlist).values_list("public_id", flat=True))
    assert old_ids <= survivors | aliases


def test_reply_without_references_joins_by_subject_only_within_window(mlist):
    store_batch(mlist, [parsed(make_message("p@x", "[Test] Garden party", minutes=0))])
    store_batch(mlist, [parsed(make_message("q@x", "Re: [Test] Garden party", minutes=60 * 24))])
    store_batch(mlist, [parsed(make_message("late@x", "Re: Garden party", minutes=60 * 24 * 200))])
    store_batch(mlist, [parsed(make_message("new@x", "Garden party", minutes=60 * 24 * 201))])
    assert _thread_sets(mlist) == [["late@x"], ["new@x"], ["p@x", "q@x"]]


def test_reference_cycle_does_not_hang_or_lose_messages(mlist):
    store_batch(
        mlist,
        [
            parsed(make_message("c1@x", "Loop", refs=("c2@x",), minutes=0)),
            parsed(make_message("c2@x", "Re: Loop", refs=("c1@x",), minutes=1)),
        ],
    )
    assert Message.objects.filter(mailing_list=mlist).count() == 2
    thread = Thread.objects.filter(mailing_list=mlist).get()
    assert sorted(thread.messages.values_list("thread_order", flat=True)) == [0, 1]


def test_a_reply_without_references_stored_before_its_original_joins_it(mlist):
    store_batch(mlist, [parsed(make_message("r@x", "Re: Garden party", minutes=60))])
    store_batch(mlist, [parsed(make_message("w@x", "WG: Garden party", minutes=90))])
    store_batch(mlist, [parsed(make_message("p@x", "Garden party", minutes=0))])
    assert _thread_sets(mlist) == [["p@x", "r@x", "w@x"]]
    thread = Thread.objects.filter(mailing_list=mlist).get()
    assert thread.root_message.message_id == "p@x"


GOLDEN_THREADS = Path(__file__).resolve().parents[1] / "mail" / "golden" / "threads"


def _stored_threads(mlist) -> list[list[dict[str, object]]]:
    threads: dict[int, list[dict[str, object]]] = {}
    firsts: dict[int, tuple] = {}
    messages = Message.objects.filter(mailing_list=mlist).select_related("parent").order_by("thread_order")
    for m in messages:
        parent = m.parent.message_id if m.parent else None
        threads.setdefault(m.thread_id, []).append({"id": m.message_id, "parent": parent, "depth": m.thread_depth})
        firsts[m.thread_id] = min(firsts.get(m.thread_id, (m.date, m.message_id)), (m.date, m.message_id))
    return [threads[pk] for pk in sorted(threads, key=firsts.__getitem__)]


@pytest.mark.parametrize("name", sorted(p.stem for p in GOLDEN_THREADS.glob("*.mbox")))
@pytest.mark.parametrize("order", ["file", "reversed"])
def test_golden_threads_stored_in_any_order(mlist, name, order):
    """The import gives the threads of tests/mail/golden/threads (made by listhaven.mail alone)."""
    sources = list(open_source(str(GOLDEN_THREADS / f"{name}.mbox")))
    for source in sources if order == "file" else sources[::-1]:
        store_batch(mlist, [parse_one(source)])
    assert _stored_threads(mlist) == json.loads((GOLDEN_THREADS / f"{name}.json").read_text(encoding="utf-8"))
