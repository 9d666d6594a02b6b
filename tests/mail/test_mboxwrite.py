"""Writing mboxrd: escaping, separators, and reading back byte for byte."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from listhaven.mail.mboxwrite import build_from_line, write_mboxrd
from listhaven.mail.sources import open_source

TRICKY = [
    b"Subject: plain\n\nbody\n",
    b"Subject: from lines\n\nFrom the top\n\nFrom after a blank line\n>From escaped\n>>From twice\n",
    b"From a first line that looks like a separator\nSubject: x\n\ny\n",
    b"Subject: crlf\r\n\r\nline one\r\nFrom two\r\n",
    b"Subject: trailing blank lines\n\nend\n\n\n",
    b"",
    b"Subject: ends with From\n\nFrom MAILER-DAEMON Thu Jan  1 00:00:00 1970\n",
]


def round_trip(
    tmp_path: Path, raws: list[bytes], from_lines: list[str | None] | None = None
) -> list[bytes]:
    path = tmp_path / "out.mbox"
    with path.open("wb") as out:
        count = write_mboxrd(
            zip(raws, from_lines or [None] * len(raws), strict=True), out
        )
    assert count == len(raws)
    return [m.raw for m in open_source(path)]


def test_round_trip_is_byte_identical(tmp_path: Path) -> None:
    assert round_trip(tmp_path, TRICKY) == TRICKY


def test_message_without_final_newline_gains_one(tmp_path: Path) -> None:
    assert round_trip(
        tmp_path, [b"Subject: a\n\nno newline", b"Subject: b\r\n\r\nx"]
    ) == [
        b"Subject: a\n\nno newline\n",
        b"Subject: b\r\n\r\nx\n",
    ]


def test_written_form() -> None:
    out = io.BytesIO()
    write_mboxrd(
        [
            (b"Subject: x\n\nFrom y\n>From z", None),
            (b"A: b\n\nc\n", "jo@example.org Thu Nov  1 11:19:12 2001"),
        ],
        out,
    )
    assert out.getvalue() == (
        b"From MAILER-DAEMON Thu Jan  1 00:00:00 1970\nSubject: x\n\n>From y\n>>From z\n\n"
        b"From jo@example.org Thu Nov  1 11:19:12 2001\nA: b\n\nc\n\n"
    )


def test_from_line_cannot_break_the_file(tmp_path: Path) -> None:
    got = list(
        open_source(
            _written(
                tmp_path,
                [
                    (b"A: 1\n\nx\n", "evil\nFrom injected Thu Jan  1 00:00:00 1970"),
                    (b"A: 2\n\ny\n", ""),
                ],
            )
        )
    )
    assert [m.raw for m in got] == [b"A: 1\n\nx\n", b"A: 2\n\ny\n"]
    assert got[0].from_line == "evil From injected Thu Jan  1 00:00:00 1970"
    assert got[1].from_line == "MAILER-DAEMON Thu Jan  1 00:00:00 1970"


def _written(tmp_path: Path, items: list[tuple[bytes, str | None]]) -> Path:
    path = tmp_path / "w.mbox"
    with path.open("wb") as out:
        write_mboxrd(items, out)
    return path


def test_from_lines_read_back(tmp_path: Path) -> None:
    lines = [
        build_from_line(
            "jo@example.org",
            datetime(2014, 8, 1, 11, 5, 7, tzinfo=timezone(timedelta(hours=2))),
        ),
        None,
    ]
    got = list(
        open_source(
            _written(tmp_path, [(b"A: 1\n\n", lines[0]), (b"A: 2\n\n", lines[1])])
        )
    )
    assert got[0].from_line == "jo@example.org Fri Aug  1 09:05:07 2014"


def test_build_from_line_pads_the_day() -> None:
    assert (
        build_from_line("", datetime(2001, 11, 1, tzinfo=UTC))
        == "MAILER-DAEMON Thu Nov  1 00:00:00 2001"
    )


_lines = st.lists(
    st.sampled_from(
        [
            b"",
            b"From x",
            b">From y",
            b">>From ",
            b"text",
            b"From MAILER-DAEMON Thu Jan  1 00:00:00 1970",
        ]
    ),
    max_size=8,
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(_lines, st.sampled_from([b"\n", b"\r\n"])), min_size=1, max_size=5
    )
)
def test_round_trip_property(
    tmp_path_factory, messages: list[tuple[list[bytes], bytes]]
) -> None:
    raws = [
        b"Subject: s" + eol + eol + b"".join(line + eol for line in lines)
        for lines, eol in messages
    ]
    assert round_trip(tmp_path_factory.mktemp("rt"), raws) == raws
