"""Bytes to str under a declared charset that may be wrong, unknown or malicious. Never raises."""

from __future__ import annotations

import codecs
import contextlib
from functools import lru_cache

# Names seen in mail that Python does not know, or knows as a smaller charset than what
# senders really use (browsers make the same substitutions, per the WHATWG Encoding spec).
_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "ascii",
    "ascii": "ascii",
    "ansi_x3.4-1968": "ascii",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "x-sjis": "shift_jis",
    "shift-jis": "shift_jis",
    "windows-31j": "cp932",
    "iso-8859-8-i": "iso-8859-8",
    "windows-874": "cp874",
    "x-mac-roman": "mac_roman",
    "unicode-1-1-utf-7": "utf-7",
    "utf8": "utf-8",
    "x-unknown": "",
    "unknown-8bit": "",
    "unknown": "",
    "x-user-defined": "",
    "default": "",
}
# Python codecs that are not charsets: they would turn mail into something else entirely.
_REFUSED = {"unicode_escape", "raw_unicode_escape", "idna", "punycode", "undefined", "mbcs", "oem", "charmap"}


@lru_cache(maxsize=512)
def resolve_charset(name: str | None) -> str:
    """The Python codec name for a declared charset, or '' when it is unknown or refused."""
    if not name:
        return ""
    key = name.strip().strip("\"'").lower()
    if key in _ALIASES:
        return _ALIASES[key]
    try:
        info = codecs.lookup(key)
    except (LookupError, ValueError, TypeError):
        return ""
    if info.name.replace("-", "_") in _REFUSED or not getattr(info, "_is_text_encoding", True):
        return ""
    return info.name


# Charsets whose encoded bytes are all ASCII: their escape sequences (ISO-2022-JP's ESC $ B, UTF-7's
# +...-, HZ's ~{) must go through the codec, not the ASCII shortcut.
_SEVEN_BIT_CODECS = ("iso2022", "utf_7", "hz")


def decode_text(data: bytes, charset: str | None) -> tuple[str, str | None]:
    """(text, defect or None). Declared charset first, then UTF-8, then cp1252 with replacement."""
    if data.isascii() and not (charset and resolve_charset(charset).replace("-", "_").startswith(_SEVEN_BIT_CODECS)):
        return data.decode("ascii"), None
    codec = resolve_charset(charset)
    if codec and codec != "ascii":
        with contextlib.suppress(Exception):  # codecs raise more than UnicodeError on malicious input
            return data.decode(codec), None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252", "replace")
    if not charset:
        return text, None
    reason = "unknown" if not codec else "wrong"
    return text, f"{reason} charset {charset[:40]!r}: decoded with a fallback"
