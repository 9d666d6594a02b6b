"""RFC 2047 encoded words (``=?charset?Q?...?=``) in header values, decoded leniently.

`email.header.decode_header` raises on bad base64 and `make_header` on unknown charsets;
archives are full of both. Here a broken word decodes as well as it can and an
unterminated one stays as written.
"""

from __future__ import annotations

import binascii
import re

from listhaven.mail.charsets import decode_text

_WORD = re.compile(r"=\?([^?\s]{1,80})\?([qQbB])\?([^?]*?)\?=")
_BETWEEN_WORDS = re.compile(r"[ \t\r\n]*")
_B64_CHARS = re.compile(rb"[^A-Za-z0-9+/]")


def decode_words(value: str) -> str:
    """`value` with encoded words decoded; whitespace between adjacent words dropped (RFC 2047 §6.2)."""
    if "=?" not in value:
        return value
    out: list[str] = []
    pending: list[bytes] = []
    pending_charset = ""
    position = 0
    for match in _WORD.finditer(value):
        gap = value[position : match.start()]
        if pending and not _BETWEEN_WORDS.fullmatch(gap):
            out.append(_flush(pending, pending_charset))
            pending = []
        if not pending:
            out.append(gap)
        charset = match.group(1).split("*", 1)[0]
        data = _decode_word(match.group(2), match.group(3))
        if pending and charset.lower() != pending_charset.lower():
            out.append(_flush(pending, pending_charset))
            pending = []
        pending.append(data)
        pending_charset = charset
        position = match.end()
    if pending:
        out.append(_flush(pending, pending_charset))
    out.append(value[position:])
    return "".join(out)


def _flush(pending: list[bytes], charset: str) -> str:
    # Adjacent words in one charset are joined as bytes first: senders split multi-byte
    # characters across words.
    text, _ = decode_text(b"".join(pending), charset)
    return text


def _decode_word(encoding: str, payload: str) -> bytes:
    data = payload.encode("ascii", "replace")
    if encoding in "qQ":
        return binascii.a2b_qp(data.replace(b"_", b" "))
    data = _B64_CHARS.sub(b"", data)
    if len(data) % 4 == 1:
        data = data[:-1]
    data += b"=" * (-len(data) % 4)
    try:
        return binascii.a2b_base64(data)
    except (binascii.Error, ValueError):
        return b""
