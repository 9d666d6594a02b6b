"""One message on standard input."""

from __future__ import annotations

import io

import pytest

from listhaven.mail.sources import SourceError
from listhaven.mail.sources.stdin import read_stdin


def test_whole_input_is_one_message() -> None:
    raw = b"Subject: hi\n\nFrom the body, with\n\nFrom lines.\n"
    [got] = read_stdin(io.BytesIO(raw))
    assert got.raw == raw
    assert got.origin == "stdin#1"
    assert got.from_line is None


def test_leading_from_line_is_kept_apart() -> None:
    [got] = read_stdin(
        io.BytesIO(
            b"From jo@example.org Thu Nov  1 11:19:12 2001\r\nSubject: hi\r\n\r\nx\r\n"
        )
    )
    assert got.raw == b"Subject: hi\r\n\r\nx\r\n"
    assert got.from_line == "jo@example.org Thu Nov  1 11:19:12 2001"


def test_empty_input_is_a_clear_error() -> None:
    with pytest.raises(SourceError, match="standard input is empty"):
        read_stdin(io.BytesIO(b"\n"))


def test_skip_past_the_message() -> None:
    assert list(read_stdin(io.BytesIO(b"Subject: hi\n\nx\n"), skip=1)) == []


def test_open_source_dash_reads_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    from listhaven.mail.sources import open_source

    fake = io.TextIOWrapper(io.BytesIO(b"Subject: piped\n\nbody\n"))
    monkeypatch.setattr("sys.stdin", fake)
    [got] = open_source("-")
    assert got.raw == b"Subject: piped\n\nbody\n"
