from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from listhaven.archive.importer import parse_one
from listhaven.mail.message import SourceMessage

BASE = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def make_message(
    msgid: str | None,
    subject: str = "Hello",
    body: str = "Some text.\n",
    refs: tuple[str, ...] = (),
    minutes: int = 0,
    sender: str = "Ann Example <ann@example.org>",
    extra_headers: str = "",
) -> bytes:
    date = (BASE + timedelta(minutes=minutes)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    lines = [f"From: {sender}", "To: test@lists.example.org", f"Subject: {subject}", f"Date: {date}"]
    if msgid:
        lines.append(f"Message-ID: <{msgid}>")
    if refs:
        lines.append("References: " + " ".join(f"<{r}>" for r in refs))
        lines.append(f"In-Reply-To: <{refs[-1]}>")
    if extra_headers:
        lines.append(extra_headers.rstrip("\n"))
    lines += ["Content-Type: text/plain; charset=utf-8", "", body]
    return "\n".join(lines).encode()


def parsed(raw: bytes, origin: str = "test#1"):
    return parse_one(SourceMessage(raw, origin))


@pytest.fixture
def mlist(db):
    from listhaven.lists.directory import create_list

    return create_list("test@lists.example.org", description="A test list")
