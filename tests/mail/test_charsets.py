from __future__ import annotations

import pytest

from listhaven.mail.charsets import decode_text, resolve_charset


@pytest.mark.parametrize(
    ("text", "charset"),
    [("Grüße, señor", "iso-8859-1"), ("Привет, мир", "koi8-r"), ("日本語のテキスト", "shift_jis"),
     ("€ price", "windows-1252"), ("中文", "gb2312"), ("plain", "us-ascii")],
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
