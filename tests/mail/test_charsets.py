from __future__ import annotations

import pytest

from listhaven.mail.charsets import decode_text, resolve_charset


@pytest.mark.parametrize(
    ("text", "charset"),
    [
        ("Grüße, señor", "iso-8859-1"),
        ("Привет, мир", "koi8-r"),
        ("日本語のテキスト", "shift_jis"),
        ("€ price", "windows-1252"),
        ("中文", "gb2312"),
        ("plain", "us-ascii"),
    ],
)
def test_declared_charsets(text: str, charset: str) -> None:
    assert decode_text(text.encode(charset), charset) == (text, None)


def test_unknown_charset_falls_back_to_utf8_then_cp1252() -> None:
    text, defect = decode_text("café".encode(), "x-foo")
    assert text == "café" and defect and "unknown" in defect
    text, _ = decode_text("café".encode("latin-1"), "x-foo")
    assert text == "café"


def test_lying_charsets() -> None:
    assert decode_text("café".encode(), "us-ascii")[0] == "café"
    assert decode_text("café".encode("cp1252"), "us-ascii")[0] == "café"
    text, defect = decode_text(b"caf\xe9 \x81", "utf-8")
    assert text.startswith("café") and defect


@pytest.mark.parametrize("name", ["rot13", "base64", "zlib", "unicode_escape", "idna", "undefined", "x" * 500, "\x00"])
def test_non_charset_codecs_are_refused(name: str) -> None:
    assert resolve_charset(name) == ""
    text, _ = decode_text(b"\\u0041 \xff", name)
    assert text.startswith("\\u0041")


def test_seven_bit_charsets_go_through_their_codec():
    # ISO-2022-JP, UTF-7 and HZ are all-ASCII on the wire: the ASCII shortcut would show their escapes.
    japanese = "件名の文字化けについて"
    assert decode_text(japanese.encode("iso-2022-jp"), "ISO-2022-JP") == (japanese, None)
    assert decode_text("Caf\u00e9".encode("utf-7"), "utf-7") == ("Caf\u00e9", None)
    assert decode_text("中文".encode("hz"), "hz-gb-2312") == ("中文", None)
    assert decode_text(b"+AOk- plain", "us-ascii") == ("+AOk- plain", None)


def test_an_iso_2022_jp_subject_decodes():
    from email.header import Header

    from listhaven.mail.encoded_words import decode_words

    subject = "件名の文字化けについて"
    assert decode_words("Re: " + Header(subject, "iso-2022-jp").encode()) == "Re: " + subject


def test_an_iso_2022_jp_body_decodes():
    subject, body = "会議", "明日の会議は十時からです。\n"
    raw = (
        b"From: a@example.org\nSubject: =?iso-2022-jp?b?GyRCMnE1RBsoQg==?=\nMessage-ID: <jp@example.org>\n"
        b"MIME-Version: 1.0\nContent-Type: text/plain; charset=ISO-2022-JP\nContent-Transfer-Encoding: 7bit\n\n"
    ) + body.encode("iso-2022-jp")
    from tests.mail.conftest import parse

    parsed = parse(raw)
    assert parsed.subject == subject
    assert body.strip() in parsed.body_text
