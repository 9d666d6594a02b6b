"""Thread membership does not depend on arrival order: a property test.

Small generated archives (with and without References/In-Reply-To, reply prefixes in several
languages, dates inside and outside the subject window) are imported in a generated order and
in generated batch sizes; the partition into threads must be the one `listhaven reindex` builds
from the same messages.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from listhaven.archive.ingest import store_batch
from listhaven.archive.models import Message
from listhaven.archive.reindex import rebuild_threads
from listhaven.lists.directory import create_list

from .conftest import BASE, parsed

_SUBJECTS = ("Garden party", "Plan", "")
_PREFIXES = ("", "Re: ", "RE: ", "WG: ", "Odp: ", "Antwort: ", "AW: ", "Sv: ", "Fwd: ", "[Test] ", "Re: [Test] ")
# Minutes from the first message; 30 days is 43,200 minutes, the default subject window.
_DAYS = (0, 1, 2, 15, 29, 30, 31, 45, 61, 200)
_counter = itertools.count()


@st.composite
def archives(draw: st.DrawFn) -> list[bytes]:
    size = draw(st.integers(min_value=1, max_value=7))
    ids = [f"m{n}@x" for n in range(size)]
    pool = [*ids, "ghost1@x", "ghost2@x"]
    raws = []
    for msgid in ids:
        subject = draw(st.sampled_from(_PREFIXES)) + draw(st.sampled_from(_SUBJECTS))
        minutes = draw(st.sampled_from(_DAYS)) * 24 * 60 + draw(st.integers(min_value=0, max_value=3))
        refs = draw(st.lists(st.sampled_from([p for p in pool if p != msgid]), max_size=2, unique=True))
        how = draw(st.sampled_from(("references", "in-reply-to")))
        raws.append(_message(msgid, subject, minutes, tuple(refs), how))
    return raws


def _message(msgid: str, subject: str, minutes: int, refs: tuple[str, ...], how: str) -> bytes:
    date = (BASE + timedelta(minutes=minutes)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    lines = ["From: Ann <ann@example.org>", f"Subject: {subject}", f"Date: {date}", f"Message-ID: <{msgid}>"]
    if refs and how == "references":
        lines.append("References: " + " ".join(f"<{r}>" for r in refs))
    elif refs:
        lines.append(f"In-Reply-To: <{refs[-1]}>")
    return "\n".join([*lines, "", "Text.", ""]).encode()


def _partition(mlist) -> set[frozenset[str]]:
    groups: dict[int, set[str]] = {}
    for msgid, thread in Message.objects.filter(mailing_list=mlist).values_list("message_id", "thread_id"):
        groups.setdefault(thread, set()).add(msgid)
    return {frozenset(g) for g in groups.values()}


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raws=archives(), data=st.data())
def test_any_arrival_order_and_batching_gives_the_partition_reindex_gives(db, raws, data):
    mlist = create_list(f"order{next(_counter)}@lists.example.org")
    order = data.draw(st.permutations(raws))
    cuts = sorted(data.draw(st.sets(st.integers(min_value=1, max_value=max(1, len(order) - 1)), max_size=len(order))))
    for start, end in itertools.pairwise([0, *cuts, len(order)]):
        if start < end:
            store_batch(mlist, [parsed(raw) for raw in order[start:end]])
    imported = _partition(mlist)
    rebuild_threads(mlist)
    assert imported == _partition(mlist)
