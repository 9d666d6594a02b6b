"""Generated and mutated messages: each one parses or raises UnparseableMessage, quickly.

The default run is short; ``make fuzz`` runs it with ``--hypothesis-profile=long``.
"""

from __future__ import annotations

import time
from datetime import UTC

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from listhaven.mail.message import ParsedMessage, SourceMessage, UnparseableMessage
from listhaven.mail.parse import parse_message
from tests.mail.conftest import make_message

SECONDS_PER_MESSAGE = 2.0
DEFAULT = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
if settings._current_profile == "long":
    DEFAULT = settings(settings.get_profile("long"))

NAMES = ["From", "To", "Cc", "Subject", "Date", "Message-ID", "References", "In-Reply-To", "Content-Type",
         "Content-Transfer-Encoding", "Content-Disposition", "List-Id", "Received", "MIME-Version"]
ODD_VALUES = [
    "=?utf-8?q?unterminated", "=?utf-8?B?!!!?=", "=?x-foo?q?a=ZZ?=", "=?unicode_escape?q?\\u0041?=",
    "<a b@c d>", "<../../etc/passwd>", "<<script>alert(1)</script>@x>", "<a\x01b@c>", "<>", "< >",
    "Thu, 99 Foo 20014 99:99:99 +9999", "Wed, 01 Dec 0 14:26:40 +0100", "Thu Jan  1 00:00:00 1970",
    "multipart/mixed; boundary=", 'multipart/mixed; boundary="b"', "multipart/alternative; boundary=b",
    "text/plain; charset=x-foo; format=flowed; delsp=yes", "text/html; charset=shift_jis", "base64",
    "quoted-printable", "attachment; filename*0*=x''%ZZ; filename*1=\"..\\\\..\"", "jjl at pobox.com (J",
    "\u202e\u0000\r", "a" * 3000,
]
BODY_PIECES = [b"--b\n", b"--b--\n", b"\n", b"\r", b"\x00", b"Content-Type: text/html\n\n<p>x", b"=ZZ=\n",
               b"SGVsbG8*===", b"\xff\xfe", b"> quoted \n", b"-- \n", b"\xe9t\xe9", b"<script>x</script>"]

header_value = st.one_of(st.sampled_from(ODD_VALUES), st.text(max_size=80), st.binary(max_size=60))
header = st.tuples(st.sampled_from(NAMES), header_value)
body = st.lists(st.one_of(st.sampled_from(BODY_PIECES), st.binary(max_size=40)), max_size=30).map(b"".join)


def _check(raw: bytes) -> None:
    start = time.perf_counter()
    try:
        parsed = parse_message(SourceMessage(raw, "fuzz#1", "x@y  Thu Nov  1 11:19:12 2001"))
    except UnparseableMessage as refused:
        assert refused.reason
        return
    assert time.perf_counter() - start < SECONDS_PER_MESSAGE
    _assert_sane(parsed)


def _assert_sane(parsed: ParsedMessage) -> None:
    assert parsed.message_id and parsed.message_id not in parsed.references
    assert parsed.date.tzinfo is UTC
    assert "\r" not in parsed.body_text and "\x00" not in parsed.body_text
    for attachment in parsed.attachments:
        assert attachment.filename and "/" not in attachment.filename and "\\" not in attachment.filename
        assert len(attachment.filename) <= 200 and attachment.size >= 0
        assert not any(ord(c) < 32 or 0x202A <= ord(c) <= 0x202E for c in attachment.filename)


@DEFAULT
@given(st.lists(header, max_size=12), body)
def test_generated_messages(headers: list[tuple[str, str | bytes]], content: bytes) -> None:
    _check(make_message(headers, content))


@DEFAULT
@given(st.binary(max_size=2000))
def test_arbitrary_bytes(raw: bytes) -> None:
    _check(raw)


def _multipart_sample() -> bytes:
    parts = (
        b"--b\nContent-Type: multipart/alternative; boundary=c\n\n--c\nContent-Type: text/plain; charset=utf-8\n"
        b"Content-Transfer-Encoding: quoted-printable\n\ncaf=C3=A9\n--c\nContent-Type: text/html\n\n<p>x</p>\n--c--\n"
        b"--b\nContent-Type: application/pdf; name=\"a.pdf\"\nContent-Transfer-Encoding: base64\n\nJVBERi0=\n--b--\n"
    )
    return make_message({"Content-Type": "multipart/mixed; boundary=b"}, parts, crlf=False)


@DEFAULT
@given(st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 40), st.sampled_from(BODY_PIECES + [b""])),
                min_size=1, max_size=8))
def test_mutated_messages(edits: list[tuple[int, int, bytes]]) -> None:
    raw = _multipart_sample()
    for position, cut, insert in edits:
        position %= len(raw) + 1
        raw = raw[:position] + insert + raw[position + cut :]
    _check(raw)
    _check(raw.replace(b"\n", b"\r"))


def test_megabyte_header_line_is_quick() -> None:
    for name in ("Subject", "From", "To", "References", "Message-ID", "Date", "Content-Type"):
        _check(make_message({name: "=?utf-8?q?" + "a, <b@c> " * 110_000}))


def test_many_parts_and_long_lines_are_quick() -> None:
    parts = b"".join(b"--b\n\n%d\n" % i for i in range(900)) + b"--b--\n"
    _check(make_message({"Content-Type": "multipart/mixed; boundary=b"}, parts))
    _check(make_message(body=b"x" * 5_000_000))
    _check(b"From: a@b\n" + b"X-H: v\n" * 100_000 + b"\nbody")
