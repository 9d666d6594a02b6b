"""Golden files for threading: small mboxes written by this module beside the threads expected of them.

Each case below becomes `golden/threads/NAME.mbox` (mboxrd, in the order given: arrival order
matters to a buggy ingest, so replies often come before what they answer) and `NAME.json`: the
threads, earliest first, each message with its parent and depth as a reader sees them.
``pytest --regen-golden`` rewrites both from the current code; review the diff before committing.
tests/archive/test_threads.py imports the same mboxes and expects the same threads.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from listhaven.mail.mboxwrite import build_from_line, write_mboxrd
from listhaven.mail.parse import parse_message
from listhaven.mail.sources import open_source
from listhaven.mail.threading import ThreadItem, thread_membership, thread_messages

GOLDEN = Path(__file__).parent / "golden" / "threads"
T0 = datetime(2025, 5, 1, 9, 0, tzinfo=UTC)

# (message id, subject, days after T0, References, In-Reply-To)
Case = list[tuple[str, str, float, tuple[str, ...], str]]

CASES: dict[str, Case] = {
    "reply-before-original": [
        ("re1@garden", "Re: Garden party", 1, (), ""),
        ("wg@garden", "WG: Garden party", 2, (), ""),
        ("odp@garden", "Odp: [Garden] Garden party", 3, (), ""),
        ("antwort@garden", "Antwort: Garden party", 4, (), ""),
        ("party@garden", "[Garden] Garden party", 0, (), ""),
        ("chained@garden", "Re: Garden party", 33, (), ""),  # within 30 days of antwort@: joins
        ("late@garden", "Re: Garden party", 90, (), ""),  # nothing within 30 days before it
        ("again@garden", "Garden party", 91, (), ""),  # not a reply: a new thread, late@ stays alone
    ],
    "references": [
        ("c@refs", "Re: Plan", 0.3, ("a@refs", "b@refs"), "b@refs"),
        ("a@refs", "Plan", 0, (), ""),
        ("d@refs", "Re: Plan", 0.4, (), "a@refs"),  # In-Reply-To only
        ("e@refs", "Re: missing", 1, ("gone@refs",), "gone@refs"),  # parent never arrives
        ("f@refs", "Re: missing", 1.1, ("gone@refs",), "gone@refs"),
        ("x@refs", "Loop", 2, ("y@refs",), "y@refs"),
        ("y@refs", "Re: Loop", 2.1, ("x@refs",), "x@refs"),
    ],
    "subjects": [
        ("one@subj", "Weekly notes", 0, (), ""),
        ("two@subj", "Weekly notes", 7, (), ""),  # same subject, not a reply: its own thread
        ("three@subj", "Re: Weekly notes", 8, (), ""),  # joins both (each within the window before it)
        ("four@subj", "Re: Something else", 8, (), ""),
        ("five@subj", "Re:", 9, (), ""),  # empty subject: never joined by subject
        ("six@subj", "Re:", 9.1, (), ""),
    ],
}


def _raw(msgid: str, subject: str, days: float, refs: tuple[str, ...], in_reply_to: str) -> bytes:
    date = T0 + timedelta(days=days)
    lines = [
        "From: Ann Example <ann@example.org>",
        "To: garden@lists.example.org",
        f"Subject: {subject}",
        f"Date: {date:%a, %d %b %Y %H:%M:%S +0000}",
        f"Message-ID: <{msgid}>",
    ]
    if refs:
        lines.append("References: " + " ".join(f"<{r}>" for r in refs))
    if in_reply_to:
        lines.append(f"In-Reply-To: <{in_reply_to}>")
    return "\n".join([*lines, "", f"Message {msgid}.", ""]).encode()


def case_mbox(name: str) -> bytes:
    from io import BytesIO

    out = BytesIO()
    write_mboxrd(
        ((_raw(*spec), build_from_line("ann@example.org", T0 + timedelta(days=spec[2]))) for spec in CASES[name]), out
    )
    return out.getvalue()


def expected_threads(path: Path) -> list[list[dict[str, object]]]:
    """The threads of the mbox at `path` by listhaven.mail alone: membership, then each thread's layout."""
    items = []
    for source in open_source(str(path)):
        m = parse_message(source)
        items.append(ThreadItem(m.message_id, m.references, m.subject_normalised, m.date, m.subject))
    by_id = {item.message_id: item for item in items}
    threads = []
    for group in thread_membership(items):
        positions = thread_messages(by_id[msgid] for msgid in group).positions
        threads.append([{"id": p.message_id, "parent": p.parent_id, "depth": p.depth} for p in positions])
    return sorted(threads, key=lambda thread: (by_id[str(thread[0]["id"])].date, str(thread[0]["id"])))


@pytest.mark.parametrize("name", sorted(CASES))
def test_threading_golden(golden, name: str) -> None:
    mbox = GOLDEN / f"{name}.mbox"
    golden.check(mbox, case_mbox(name))
    golden.check(GOLDEN / f"{name}.json", expected_threads(mbox))
