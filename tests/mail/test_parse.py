from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from listhaven.mail.message import Address, SourceMessage, UnparseableMessage
from listhaven.mail.parse import ParseLimits, parse_message
from tests.mail.conftest import make_message, multipart, parse


def test_basic_fields() -> None:
    parsed = parse(make_message({"Cc": "Bob <bob@EXAMPLE.net>", "List-Id": "Test list <test.lists.example.org>"}))
    assert parsed.message_id == "hello@example.org" and not parsed.message_id_derived
    assert parsed.sender == Address("Ada Lovelace", "ada@example.org")
    assert parsed.to == (Address("", "list@lists.example.org"),)
    assert parsed.cc == (Address("Bob", "bob@example.net"),)
    assert parsed.date == datetime(2024, 3, 5, 9, 15, tzinfo=UTC) and parsed.utc_offset_minutes == 60
    assert parsed.date_source == "date"
    assert (parsed.subject, parsed.subject_normalised) == ("[Test] Hello", "Hello")
    assert (parsed.body_text, parsed.body_source) == ("Hello.\n", "text/plain")
    assert parsed.list_id == "test.lists.example.org"
    assert parsed.attachments == () and parsed.defects == ()


def test_pipermail_message() -> None:
    raw = make_message({"From": "jjl at pobox.com (John J. Lee)", "Date": "Thu Nov  1 11:19:12 2001"})
    parsed = parse(raw, from_line="jjl at pobox.com  Thu Nov  1 11:19:12 2001")
    assert parsed.sender == Address("John J. Lee", "jjl@pobox.com")
    assert parsed.date == datetime(2001, 11, 1, 11, 19, 12, tzinfo=UTC) and parsed.date_source == "date"


def test_missing_message_id_gets_a_stable_derived_id() -> None:
    raw = make_message({"Message-ID": None})
    first, second = parse(raw), parse(raw)
    assert first.message_id_derived and first.message_id == second.message_id
    assert first.message_id.endswith(".invalid") and first.defects


def test_references_order_dedup_and_in_reply_to() -> None:
    raw = make_message({
        "Message-ID": "<me@x>",
        "References": "<a@x> <b@x>\n\t<a@x> <me@x>",
        "In-Reply-To": "<c@x> (Someone's message of \"Thu, 1 Nov 2001\") <d@x>",
    })
    parsed = parse(raw)
    assert parsed.references == ("a@x", "b@x", "c@x")
    assert parsed.in_reply_to == "c@x"


def test_in_reply_to_already_in_references_and_bare_ids() -> None:
    parsed = parse(make_message({"References": "<a@x> <b@x>", "In-Reply-To": "<a@x>"}))
    assert parsed.references == ("a@x", "b@x") and parsed.in_reply_to == "a@x"
    assert parse(make_message({"In-Reply-To": "bare@x"})).references == ("bare@x",)


def test_date_fallbacks() -> None:
    received = "from a by b; Fri, 26 Apr 2019 21:53:53 -0700"
    assert parse(make_message({"Date": None, "Received": received})).date_source == "received"
    from_line = "x@y  Thu Nov  1 11:19:12 2001"
    assert parse(make_message({"Date": "garbage"}), from_line=from_line).date_source == "from_line"
    placeholder = parse(make_message({"Date": None}), from_line="MAILER-DAEMON Thu Jan  1 00:00:00 1970")
    assert placeholder.date_source == "none" and placeholder.date.tzinfo is not None


def test_html_only_message() -> None:
    raw = make_message({"Content-Type": "text/html; charset=utf-8"}, "<p>Hi <b>there</b></p><script>x()</script>")
    parsed = parse(raw)
    assert (parsed.body_text, parsed.body_source) == ("Hi there", "text/html")


def _part(headers: str, content: bytes) -> bytes:
    return headers.encode() + b"\n\n" + content


def test_alternative_prefers_plain_and_lists_html_as_attachment() -> None:
    body = multipart("alternative", "alt", [
        _part("Content-Type: text/html", b"<p>html</p>"),
        _part("Content-Type: text/plain; charset=iso-8859-1", "plain café".encode("latin-1")),
    ])
    parsed = parse(make_message({"Content-Type": 'multipart/alternative; boundary="alt"'}, body))
    assert parsed.body_text == "plain café" and parsed.body_source == "text/plain"
    assert [(a.index, a.filename, a.content_type) for a in parsed.attachments] == [(0, "attachment-1.html", "text/html")]


def test_attachments_with_rfc2231_and_hostile_names() -> None:
    names = [
        "Content-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf",
        "Content-Disposition: attachment; filename*0*=utf-8''long%20; filename*1=\"name.txt\"",
        'Content-Disposition: attachment; filename="../../etc/passwd"',
        'Content-Disposition: attachment; filename="a\x00b"',
        'Content-Disposition: attachment; filename="evil\u202egpj.exe"',
        'Content-Disposition: attachment; filename="' + "n" * 1000 + '.bin"',
        'Content-Disposition: inline; name="ignored"\nContent-Type: image/png; name="=?utf-8?q?na=C3=AFve.doc?="',
        "Content-Disposition: attachment",
    ]
    parts = [_part("Content-Type: text/plain", b"the body")]
    parts += [_part(f"{header}\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64",
                    base64.b64encode(b"12345")) for header in names]
    parsed = parse(make_message({"Content-Type": "multipart/mixed; boundary=m"}, multipart("mixed", "m", parts)))
    assert parsed.body_text == "the body"
    names_found = [a.filename for a in parsed.attachments]
    assert names_found[:5] == ["résumé.pdf", "long name.txt", "passwd", "ab", "evilgpj.exe"]
    assert len(names_found[5]) == 200 and names_found[5].endswith(".bin")
    assert names_found[6:] == ["naïve.doc", "attachment-8.bin"]
    assert all(a.size == 5 for a in parsed.attachments)
    assert [a.index for a in parsed.attachments] == list(range(8))


def test_attached_text_is_not_the_body() -> None:
    parts = [_part("Content-Type: text/plain\nContent-Disposition: attachment; filename=x.txt", b"file"),
             _part("Content-Type: text/html", b"<p>shown</p>")]
    parsed = parse(make_message({"Content-Type": "multipart/mixed; boundary=m"}, multipart("mixed", "m", parts)))
    assert parsed.body_text == "shown" and parsed.attachments[0].filename == "x.txt"


@pytest.mark.parametrize(
    ("charset", "text"),
    [("iso-8859-1", "Grüße"), ("koi8-r", "Привет"), ("shift_jis", "日本語"), ("x-foo", "café"), ("us-ascii", "naïve")],
)
def test_body_charsets(charset: str, text: str) -> None:
    data = text.encode("utf-8" if charset in ("x-foo", "us-ascii") else charset)
    parsed = parse(make_message({"Content-Type": f"text/plain; charset={charset}"}, data))
    assert parsed.body_text == text


def test_format_flowed_crlf_nul_and_qp() -> None:
    raw = make_message(
        {"Content-Type": "text/plain; charset=utf-8; format=flowed; delsp=yes",
         "Content-Transfer-Encoding": "quoted-printable"},
        b"Long para=\ngraph \ncontinues.\n\x00Next=C3=A9 =ZZ\n", crlf=True)
    parsed = parse(raw)
    assert parsed.body_text == "Long paragraphcontinues.\nNexté =ZZ\n"


def test_broken_base64_body() -> None:
    raw = make_message({"Content-Transfer-Encoding": "base64"}, b"SGVsbG8gd29y*bGQ\n!!!")
    assert parse(raw).body_text.startswith("Hello")


def test_pipermail_scrubbed_attachment_stays_text() -> None:
    body = "Text.\n-------------- next part --------------\nAn HTML attachment was scrubbed...\nURL: http://x/a.htm\n"
    assert parse(make_message(body=body)).body_text == body


def test_content_hash_ignores_transport_headers_and_line_endings() -> None:
    plain = make_message(body="Body text\n\n")
    relayed = b"Received: from a by b; Tue, 05 Mar 2024 10:15:01 +0100\nX-Spam: no\n" + make_message(
        body="Body text\r\n  \r\n", crlf=True)
    assert parse(plain).content_hash == parse(relayed).content_hash
    assert parse(plain).content_hash != parse(make_message(body="Other text\n")).content_hash


def test_source_raw_is_untouched() -> None:
    raw = make_message(crlf=True)
    source = SourceMessage(raw, "x#1")
    parse_message(source)
    assert source.raw == raw


def test_unparseable_inputs() -> None:
    for raw, reason in [(b"", "empty"), (b"  \n\n ", "empty"), (b"just some words\nno headers\n", "no header")]:
        with pytest.raises(UnparseableMessage, match=reason):
            parse(raw)
    with pytest.raises(UnparseableMessage, match="over the limit"):
        parse(make_message(body="x" * 2000), limits=ParseLimits(max_bytes=1000))


def test_part_limit() -> None:
    parts = [_part("Content-Type: text/plain", b"p") for _ in range(20)]
    raw = make_message({"Content-Type": "multipart/mixed; boundary=m"}, multipart("mixed", "m", parts))
    with pytest.raises(UnparseableMessage, match="more than 10 MIME parts"):
        parse(raw, limits=ParseLimits(max_parts=10))
    assert len(parse(raw).attachments) == 19


def test_hundred_deep_nesting() -> None:
    body = b""
    for level in range(100):
        body += b"--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n" % (level, level + 1)
    body += b"--b100\nContent-Type: text/plain\n\ndeep\n--b100--\n"
    raw = make_message({"Content-Type": "multipart/mixed; boundary=b0"}, body)
    parsed = parse(raw)
    assert any("nested deeper than 50" in defect for defect in parsed.defects)
    assert parse(raw, limits=ParseLimits(max_depth=200)).body_text == "deep"


def test_missing_boundary_reads_as_text() -> None:
    parsed = parse(make_message({"Content-Type": "multipart/mixed"}, "--x\n\nhello\n"))
    assert parsed.body_text == "--x\n\nhello\n" and parsed.defects


def test_header_block_without_blank_line_and_unixfrom() -> None:
    parsed = parse(b"From x@y Thu Nov  1 11:19:12 2001\nSubject: hi\nMessage-ID: <u@x>\nbody line\nmore\n")
    assert parsed.subject == "hi" and parsed.body_text == "body line\nmore\n" and parsed.date_source == "from_line"


def test_broken_headers_give_defects_not_errors() -> None:
    raw = make_message({"From": "<<<", "Subject": "=?utf-8?B?broken", "Date": "Thu, 99 Foo 20014"})
    parsed = parse(raw)
    assert parsed.sender == Address("", "") and parsed.subject == "=?utf-8?B?broken"
    assert parsed.date_source == "none" and len(parsed.defects) >= 2
