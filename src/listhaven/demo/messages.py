"""Synthetic mailing-list mail for the demo archive, test fixtures and scale runs.

Everything is invented and deterministic: the same seed gives the same bytes, and
nothing reads the clock or the global random state.

- `generate_messages(lists, count, seed)` streams `count` raw messages (LF line ends),
  fast enough for a million in under a minute, with realistic threads and MIME shapes
  and about 1% malformed messages (marked with an ``X-Synthetic-Case`` header).
- `fixture_archive()` is a fixed ~300-message archive that holds every case at least once.
- `seed_like_message()` is one message shaped like the reference Pipermail page.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from listhaven.demo import mime_shapes as mime
from listhaven.demo.engine import (
    CASE_HEADER,
    Engine,
    ListSpec,
    ListState,
    Post,
    Thread,
)

__all__ = [
    "CASE_HEADER",
    "DEFAULT_SPAN_DAYS",
    "DEFAULT_START",
    "DEMO_LISTS",
    "ListSpec",
    "fixture_archive",
    "generate_messages",
    "seed_like_message",
]

DEFAULT_START = datetime(2019, 1, 1, tzinfo=UTC)
DEFAULT_SPAN_DAYS = 730

DEMO_LISTS: tuple[ListSpec, ...] = (
    ListSpec(
        "harbour-dev",
        "harbour-dev@lists.example.org",
        "Development of Harbour, a small message-queue library: patches, reviews and releases.",
        "[Harbour-dev]",
    ),
    ListSpec(
        "allotment",
        "allotment@lists.example.net",
        "The Riverside allotment society: plots, seeds, rotas, shows and recipes.",
        "[Allotment]",
    ),
    ListSpec(
        "reading-circle",
        "reading-circle@lists.example.com",
        "A reading group on history and politics: long discussions of books, essays and archives.",
        "[Reading-circle]",
    ),
)


def generate_messages(
    lists: Sequence[ListSpec],
    count: int,
    seed: int = 1,
    start: datetime = DEFAULT_START,
    span_days: int = DEFAULT_SPAN_DAYS,
) -> Iterator[tuple[ListSpec, bytes]]:
    """Yield exactly `count` (list, raw message) pairs, dated from `start` over `span_days`.

    Dates rise steadily (each message within its own slot of the span, so they never go back);
    each author writes from one timezone. Streamed: memory does not grow with `count`.
    """
    if count < 0:
        raise ValueError("count must be >= 0")
    if count and not lists:
        raise ValueError("at least one list is needed")
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    return _stream(list(lists), count, seed, start.timestamp(), span_days * 86400 / max(count, 1))


def _stream(lists: list[ListSpec], count: int, seed: int, t0: float, step: float) -> Iterator[tuple[ListSpec, bytes]]:
    if not count:
        return
    engine = Engine(lists, seed)
    rng = engine.rng
    for serial in range(count):
        state, raw = engine.next_random(serial, t0 + (serial + 0.9 * rng.random()) * step)
        yield state.spec, raw


class _Script:
    """Composes the fixture archive step by step, keeping every post of every named thread."""

    def __init__(self, engine: Engine, t0: float, step: float) -> None:
        self.engine = engine
        self.t0 = t0
        self.step = step
        self.out: list[tuple[ListSpec, bytes]] = []
        self.posts: dict[str, list[Post]] = {}
        self.threads: dict[str, tuple[ListState, Thread]] = {}

    def post(
        self,
        list_index: int,
        key: str,
        parent: int | None,
        kind: str = mime.PLAIN,
        *,
        case: str | None = None,
        msgid: str | None = None,
        reply_subject: bool = False,
    ) -> Post | None:
        engine = self.engine
        serial = len(self.out)
        if key not in self.threads:
            state = engine.states[list_index]
            self.threads[key] = (state, engine.new_thread(state, kind))
            self.posts[key] = []
        state, thread = self.threads[key]
        posts = self.posts[key]
        parent_post = posts[parent] if parent is not None else None
        author = state.author(engine.rng, mime.CHARSET_KINDS.get(kind))
        t = self.t0 + (serial + 0.9 * engine.rng.random()) * self.step
        raw, made = engine.compose(
            state, serial, t, thread, parent_post, kind, author, msgid=msgid, case=case, reply_subject=reply_subject
        )
        if made is not None:
            posts.append(made)
        self.out.append((state.spec, raw))
        return made


def _fixture_steps(rng: random.Random) -> list[list[tuple[int, str, int | None, str]]]:
    """Streams of (list index, thread key, parent index, kind); each stream is one thread in order."""
    kinds = [k for k in mime.WELL_FORMED_KINDS if k != mime.PLAIN]
    big: list[tuple[int, str, int | None, str]] = [(2, "big", None, mime.PLAIN)]
    big += [(2, "big", 0, kinds[i % len(kinds)] if i % 5 == 0 else mime.PLAIN) for i in range(45)]  # wide
    big += [(2, "big", 3 if i == 0 else 45 + i, mime.PLAIN) for i in range(35)]  # deep: each answers the last
    big += [(2, "big", rng.randrange(81 + i), kinds[i % len(kinds)] if i % 9 == 0 else mime.PLAIN) for i in range(125)]
    streams = [big]
    for i, kind in enumerate(mime.WELL_FORMED_KINDS):
        lst = i % 3
        key = f"kind-{kind}"
        if kind == mime.ATTACH_PATCH:
            lst = 0
        streams.append([(lst, key, None, kind), (lst, key, 0, mime.PLAIN), (lst, key, 1, kind)])
    for i, kind in enumerate(mime.MALFORMED_KINDS):
        key = f"malformed-{i}"
        streams.append([(i % 3, key, None, mime.PLAIN), (i % 3, key, 0, kind), (i % 3, key, 0, mime.PLAIN)])
    for i in range(8):
        key = f"tree-{i}"
        size = 3 + rng.randrange(6)
        streams.append([(i % 3, key, None if j == 0 else rng.randrange(j), mime.PLAIN) for j in range(size)])
    return streams


def fixture_archive(seed: int = 7) -> list[tuple[ListSpec, bytes]]:
    """About 300 messages in arrival order over March–April 2019, holding every case at least once.

    Besides every MIME shape and malformed kind (`mime_shapes.ALL_KINDS`), it has a thread of
    exactly one message, one of 200+ (with 45 direct replies to its root and a chain of 35), a reply
    that arrives before its parent, two different messages sharing a Message-ID, an exact
    duplicate, and a message without references whose subject matches an earlier thread. The
    special ones carry an ``X-Synthetic-Case`` header naming the case.
    """
    engine = Engine(list(DEMO_LISTS), seed)
    rng = engine.rng
    script = _Script(engine, datetime(2019, 3, 1, tzinfo=UTC).timestamp(), 45 * 86400 / 320)
    streams = _fixture_steps(rng)
    while streams:
        # Pick streams in proportion to what they have left, so threads interleave and end together.
        pick = rng.randrange(sum(len(s) for s in streams))
        for index, stream in enumerate(streams):  # noqa: B007 - index is used after the loop
            if pick < len(stream):
                break
            pick -= len(stream)
        list_index, key, parent, kind = stream.pop(0)
        script.post(list_index, key, parent, kind)
        if not stream:
            del streams[index]
        if len(script.out) == 150:
            script.post(1, "single", None, mime.PLAIN, case="single-message-thread")
    _special_cases(script)
    return script.out


def _special_cases(script: _Script) -> None:
    script.post(0, "late", None)
    script.post(0, "late", 0, case="parent-arrives-late")
    script.post(0, "late", 1, case="reply-before-parent")
    script.out[-1], script.out[-2] = script.out[-2], script.out[-1]  # the reply arrives before its parent
    script.post(2, "reused", None, case="reused-message-id", msgid=script.posts["big"][10].msgid)
    script.out.append(script.out[40])  # the same bytes delivered twice
    # A reply written without References or In-Reply-To: only its subject ties it to "tree-0".
    script.threads["subject-only"] = script.threads["tree-0"]
    script.posts["subject-only"] = []
    script.post(0, "subject-only", None, case="subject-only-reply", reply_subject=True)


def seed_like_message() -> bytes:
    """One message shaped like the reference Pipermail page, with invented text (UTF-8, 8bit)."""
    body = (
        "Well, since the two councils had been trading with each other for most of\n"
        "a decade, the question in the subject line is arguably redundant \u2014 except\n"
        "that the new letters show them finally, finally, falling out over the\n"
        "ferry tolls in the same month the guilds struck. In this context, the fact\n"
        "that both still bought grain from the same merchants tells us more about\n"
        "the town than any of the speeches do.\n\n"
        "Did the Canal Towns Trade With Both Sides?\n\n\n"
        "Sources who have worked through the harbour ledgers (see below) add an\n"
        "interesting note about the salt barges that \u201cnobody saw\u201d in the spring.\n\n"
        "    The ledger for April lists eleven barges, but only four of\n"
        "    them appear in the toll book; the other seven were waved\n"
        "    through by the lock keeper\u2019s brother.\n\n"
        "Thornbury\u2019s summary of the ledgers is at\n"
        "https://www.example.org/notes/canal-ledgers.html and the scans are on the\n"
        "society\u2019s site. The main problem for the argument \u2014 \u201cas always\u201d, says one\n"
        "reader \u2014 is the lack of a second source for the toll book. A sentence that runs on rather longer than the others because it was pasted in from a web page without any line breaks at all.\n\n"
        "Gideon Fairweather wrote on the list last week:\n\n"
        "> The toll book is the only record we have, and it was written up\n"
        "> months later. I would not build an argument on it.\n\n"
        "I agree that it was written up later, but the barge numbers match the\n"
        "ledger exactly, which is hard to explain if it was invented.\n\n"
        "-- \nTom\u00e1s Lindqvist\nhttps://www.example.com/~tomas\n"
    )
    headers = (
        "From: =?utf-8?q?Tom=C3=A1s_Lindqvist?= <tomas.lindqvist@example.com>\n"
        "To: reading-circle@lists.example.com\n"
        "Subject: [Reading-circle] Did the Canal Towns Trade With Both Sides?\n"
        "Date: Sun, 17 Aug 2014 09:05:09 -0600\n"
        "Message-ID: <20140817150509.seedlike@mail.example.com>\n"
        "MIME-Version: 1.0\n"
        'Content-Type: text/plain; charset="utf-8"; format=fixed\n'
        "Content-Transfer-Encoding: 8bit\n"
        "List-Id: Reading-circle mailing list <reading-circle.lists.example.com>\n"
        "List-Post: <mailto:reading-circle@lists.example.com>\n"
        "Precedence: list\n"
    )
    return headers.encode("ascii") + b"\n" + body.encode("utf-8")
