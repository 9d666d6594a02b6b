"""mail/headers.py: the header fields of a message as a person reads them (a held post's page), and
`split_message`, which reads the header block in one pass and gives what two passes gave: the block's end
found first (`_BLOCK`), then its fields (`_FIELD`); `_header_end` finds the empty line after it with one
regular expression where two `bytes.find` found it. Checked against that reading on generated heads
(fields, continuations, stray lines, CRLF, From_ lines, odd bytes) and on real messages of the corpora
(the first 3,000 of each here; every message of both read the same when this was written).
"""

from __future__ import annotations

import re
from itertools import islice
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from listhaven.mail.headers import HeaderBlock, _header_end, field_lines, split_message
from listhaven.mail.sources import open_source

CORPORA = Path(__file__).resolve().parents[2] / "../shared/corpora"
MANY = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
if settings._current_profile == "long":
    MANY = settings(settings.get_profile("long"))

_FIELD = re.compile(rb"([!-9;-~]+)[ \t]*:(.*(?:\r?\n[ \t].*)*)")
_BLOCK = re.compile(rb"(?:[!-9;-~]+[ \t]*:.*(?:\r?\n[ \t].*)*(?:\n|\Z))*")


def two_finds(raw: bytes) -> tuple[int, int] | None:
    """`_header_end` as it was: the first LF LF, and a CR LF CR LF wholly before it."""
    lf = raw.find(b"\n\n")
    crlf = raw.find(b"\n\r\n", 0, lf if lf >= 0 else len(raw))
    if crlf >= 0:
        start = crlf - 1 if crlf and raw[crlf - 1] == 0x0D else crlf
        return start, crlf + 3
    if lf < 0:
        return None
    return (lf - 1 if lf and raw[lf - 1] == 0x0D else lf), lf + 2


def two_passes(raw: bytes, part: bool = False) -> tuple[HeaderBlock, bytes, list[str]]:
    """`split_message` as it was: the block's end, then its fields."""
    defects: list[str] = []
    if raw[:1] in (b"\n", b"\r"):
        if part:
            return HeaderBlock(), raw[2:] if raw[:2] == b"\r\n" else raw[1:], defects
        raw = raw.lstrip(b"\r\n")
        defects.append("blank lines before the header block removed")
    end = two_finds(raw)
    head = raw[: end[0]] if end else raw
    position = 0
    if not part and head.startswith(b"From "):
        position = head.find(b"\n") + 1 or len(head)
    headers = HeaderBlock()
    block_end = _BLOCK.match(head, position).end()  # type: ignore[union-attr]
    for name, value in _FIELD.findall(head, position, block_end):
        headers.fields.setdefault(name.lower(), []).append(value)
    if block_end < len(head):
        defects.append("header block ended without a blank line")
        return headers, head[block_end:] + raw[end[0] :] if end else head[block_end:], defects
    return headers, raw[end[1] :] if end else b"", defects


def _same(raw: bytes, part: bool = False) -> None:
    assert _header_end(raw) == two_finds(raw)
    got, want = split_message(raw, part), two_passes(raw, part)
    assert got == want
    assert list(got[0].fields) == list(want[0].fields)  # the same order of names too


name = st.sampled_from([b"From", b"to", b"CC", b"Subject", b"X-A", b"received", b"Received", b"a.b", b"Date"])
value = st.binary(max_size=12).map(lambda b: b.replace(b"\n", b""))
field = st.builds(lambda n, gap, v: n + gap + b":" + v, name, st.sampled_from([b"", b" ", b"\t"]), value)
continuation = st.builds(lambda lead, v: lead + v, st.sampled_from([b" ", b"\t", b"  "]), value)
stray = st.sampled_from([b"no colon here", b"From x Thu Jan  1 00:00:00 2015", b"\xe9t\xe9: x", b":x", b"\r",
                         b" lead", b"a b: c", b">From y"])
line = st.one_of(field, field, field, continuation, stray)
ending = st.sampled_from([b"\n", b"\r\n"])
body = st.sampled_from([b"", b"\n", b"body\n", b"\r\nbody\r\n", b"\n\nmore\n", b"x: y\n", b"\r\n\nz", b"\r\r\n"])


@MANY
@given(st.lists(st.tuples(line, ending), max_size=12), st.sampled_from([b"", b"\n", b"\r\n", b"From a@b x\n"]),
       body, st.booleans())
def test_one_pass_reads_what_two_passes_read(lines, start, rest, part) -> None:
    head = b"".join(text + end for text, end in lines)
    _same(start + head + rest, part)
    _same(start + head.rstrip(b"\r\n"), part)  # no blank line at all


@MANY
@given(st.lists(st.sampled_from([b"\n", b"\r", b"\r\n", b"a", b"\n\r\n\n", b"\n\n"]), max_size=12))
def test_the_empty_line_is_found_where_it_was(pieces) -> None:
    raw = b"".join(pieces)
    assert _header_end(raw) == two_finds(raw)


def test_known_heads() -> None:
    headers, body, defects = split_message(b"Subject: a\n b\nFrom: x\nsubject: c\n\nbody\n")
    assert headers.fields == {b"subject": [b" a\n b", b" c"], b"from": [b" x"]} and body == b"body\n"
    assert defects == []
    headers, body, defects = split_message(b"To: a\nnot a field\nCc: b\n\nrest\n")
    assert headers.fields == {b"to": [b" a"]} and body == b"not a field\nCc: b\n\nrest\n"
    assert defects == ["header block ended without a blank line"]
    headers, body, defects = split_message(b" leading\nTo: a\n\nrest\n")
    assert len(headers) == 0 and body == b" leading\nTo: a\n\nrest\n"


@pytest.mark.corpus
@pytest.mark.parametrize("corpus", ["linux-pm-10k.mbox.zst", "ltp.mbox.zst"])
def test_real_messages_read_the_same(corpus: str) -> None:
    path = CORPORA / corpus
    if not path.exists():
        pytest.skip(f"corpus {corpus} not found at {path} (../shared/corpora is absent here)")
    for source in islice(open_source(path), 3000):
        _same(source.raw)


def test_field_lines_keep_order_names_and_repeats_unfold_and_decode():
    raw = (b"From MAILER-DAEMON Thu Jan  1 00:00:00 1970\r\n"
           b"Received: by a\r\nReceived: by b\r\nFrom: =?utf-8?q?J=C3=B6rg?= <jorg@example.net>\r\n"
           b"To: one@example.com,\r\n\ttwo@example.com\r\nSubject: Hi\r\n\r\nX-Not-A-Field: body\r\n")  # fmt: skip
    assert field_lines(raw) == [
        ("Received", "by a"), ("Received", "by b"), ("From", "Jörg <jorg@example.net>"),
        ("To", "one@example.com, two@example.com"), ("Subject", "Hi"),
    ]  # fmt: skip


def test_field_lines_of_bytes_without_a_header_block():
    assert field_lines(b"") == []
    assert field_lines(b"just text, no field\n\nbody") == []
    assert field_lines(b"\n\nSubject: after blank lines\n") == [("Subject", "after blank lines")]
