"""An address replaced in a message's raw bytes, inside transfer-encoded text parts too, every
other byte kept as it was (the erasure of an address that keeps the messages' text).

A plain byte replacement reaches the header fields and the parts sent as they are (7bit, 8bit),
but not a text part sent base64 or quoted-printable, where the address's bytes do not appear, nor
an RFC 2047 encoded word of a header field (``=?utf-8?q?…?=``): such a word is decoded, the
address replaced, and the word encoded again with its charset and encoding; nor an RFC 2231
parameter (``filename*=utf-8''erin%40example.org``, continuations ``filename*0*=``), written
again in its own form by mail/parameter_replace.py.
Such a part is decoded, the address replaced in its text (under the part's own charset), and the
text encoded again with the same transfer encoding, charset, line length and line endings; a
quoted-printable part is rewritten one logical line at a time, so only the lines that named the
address change. Headers, boundaries, the other parts and their encodings stay byte for byte.

Parts that are not text (application/*, image/*, a message/rfc822 sent base64…) are left as they
are, whatever they hold: rewriting bytes inside a binary format breaks it (a PDF's offsets, a
zip's checksums, a signature), and an address in a compressed stream cannot be seen at all, so a
rewrite would give a false assurance. Those still naming the address in their decoded bytes are
reported (`Replaced.kept`), so the person erasing can remove those messages.
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass

from listhaven.mail.charsets import resolve_charset
from listhaven.mail.headers import parse_content_type, split_message
from listhaven.mail.limits import DEFAULT_LIMITS, ParseLimits
from listhaven.mail.message import UnparseableMessage
from listhaven.mail.mime import Leaf, decode_payload, multipart_spans
from listhaven.mail.parameter_replace import replace_in_parameters

_ENCODED = ("base64", "quoted-printable")
_IDENTITY = ("", "7bit", "8bit", "binary")
_LINES = re.compile(rb"[^\n]*\n|[^\n]+\Z")
_WORD = re.compile(rb"=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=")  # an RFC 2047 encoded word
_Q_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!*+-/")


@dataclass(frozen=True, slots=True)
class Replaced:
    raw: bytes
    rewritten: int  # transfer-encoded text parts whose text named the address, encoded again
    kept: tuple[str, ...]  # content types of the parts left as they were that still hold the address


@dataclass(frozen=True, slots=True)
class _Part:
    """A leaf part's payload, as a span of the whole message."""

    start: int
    end: int
    content_type: str
    charset: str | None
    encoding: str

    @property
    def is_text(self) -> bool:
        # message/delivery-status, message/disposition-notification… are header-like text
        return self.content_type.startswith("text/") or (
            self.content_type.startswith("message/") and self.content_type != "message/rfc822"
        )


def replace_address(raw: bytes, address: str, replacement: str, limits: ParseLimits = DEFAULT_LIMITS) -> Replaced:
    """`raw` with `address` (any case) replaced by `replacement` wherever a reader of the message sees it."""
    text_pattern = re.compile(re.escape(address), re.IGNORECASE)
    byte_pattern = re.compile(re.escape(address.encode("utf-8")), re.IGNORECASE)
    new = replacement.encode("utf-8")
    try:
        parts = _leaf_parts(raw, limits)
    except UnparseableMessage:  # more parts than the parser reads: the bytes as they are
        return Replaced(byte_pattern.sub(new, raw), 0, ())
    out: list[bytes] = []
    position = rewritten = 0
    kept: list[str] = []
    for part in parts:
        out.append(_in_headers(raw[position : part.start], byte_pattern, text_pattern, replacement))
        payload = raw[part.start : part.end]
        if part.is_text and part.encoding in _ENCODED:
            encoded = _rewrite_encoded(payload, part, text_pattern, replacement)
            if encoded is not None:
                payload, rewritten = encoded, rewritten + 1
        elif part.is_text:
            payload = byte_pattern.sub(new, payload)
        if byte_pattern.search(_decoded(payload, part)):
            kept.append(part.content_type)
        out.append(payload)
        position = part.end
    out.append(_in_headers(raw[position:], byte_pattern, text_pattern, replacement))
    return Replaced(b"".join(out), rewritten, tuple(kept))


def _in_headers(chunk: bytes, byte_pattern: re.Pattern[bytes], text_pattern: re.Pattern[str], replacement: str) -> bytes:
    """Header blocks, boundaries and preambles: the address as written, inside an RFC 2231
    parameter (a file name), and inside an RFC 2047 encoded word (a subject or display name sent
    as ``=?utf-8?q?…?=``), which is encoded again with its own charset and encoding."""
    chunk = replace_in_parameters(byte_pattern.sub(replacement.encode("utf-8"), chunk), text_pattern, replacement)
    if b"=?" not in chunk:
        return chunk

    def word(match: re.Match[bytes]) -> bytes:
        charset, kind, payload = match.groups()
        codec = resolve_charset(charset.decode("ascii", "replace").split("*")[0]) or "utf-8"
        try:
            if kind in b"Bb":
                data = binascii.a2b_base64(payload + b"=" * (-len(payload) % 4))
            else:
                data = binascii.a2b_qp(payload.replace(b"_", b" "))
        except (binascii.Error, ValueError):
            return match.group(0)
        text = _replaced_text(data, codec, text_pattern, replacement)
        if text is None:
            return match.group(0)
        encoded = binascii.b2a_base64(text, newline=False) if kind in b"Bb" else _q_word(text)
        return b"=?" + charset + b"?" + kind + b"?" + encoded + b"?="

    return _WORD.sub(word, chunk)


def _q_word(data: bytes) -> bytes:
    """RFC 2047's Q encoding: letters, digits and !*+-/ as they are, space as _, the rest =XX."""
    return b"".join(
        bytes([c]) if c in _Q_SAFE else b"_" if c == 0x20 else b"=%02X" % c for c in data
    )


def _leaf_parts(raw: bytes, limits: ParseLimits) -> list[_Part]:
    """The leaves in document order, walked as `mime.mime_leaves` walks them, and into a
    message/rfc822 part sent as it is (a forwarded message is text its reader sees)."""
    headers, body, _ = split_message(raw)
    stack = [(headers, len(raw) - len(body), len(raw), 0)]
    parts: list[_Part] = []
    count = 0
    while stack:
        part_headers, start, end, depth = stack.pop()
        count += 1
        if count > limits.max_parts:
            raise UnparseableMessage(f"more than {limits.max_parts} MIME parts")
        ctype, params = parse_content_type(part_headers.text("content-type"))
        encoding = (part_headers.text("content-transfer-encoding") or "").strip().lower()
        if depth < limits.max_depth and ctype.startswith("multipart/"):
            spans = multipart_spans(raw[start:end], params.get("boundary", ""))
            if spans is not None:
                for child_start, child_end in reversed(spans[0]):
                    child, child_body, _ = split_message(raw[start + child_start : start + child_end], part=True)
                    stack.append((child, start + child_end - len(child_body), start + child_end, depth + 1))
                continue
            ctype = "text/plain"  # as the parser reads it
        elif depth < limits.max_depth and ctype == "message/rfc822" and encoding in _IDENTITY:
            inner, inner_body, _ = split_message(raw[start:end], part=True)
            stack.append((inner, end - len(inner_body), end, depth + 1))  # its header block stays in the gap
            continue
        parts.append(_Part(start, end, ctype, params.get("charset"), encoding))
    return sorted(parts, key=lambda p: p.start)


def _decoded(payload: bytes, part: _Part) -> bytes:
    return decode_payload(Leaf(part.content_type, {}, False, None, part.encoding, payload))[0]


def _rewrite_encoded(payload: bytes, part: _Part, pattern: re.Pattern[str], replacement: str) -> bytes | None:
    """The part's payload with the address replaced and encoded again; None when its text does not
    name it (or its charset cannot carry the text back unchanged: then it is left, and reported)."""
    codec = resolve_charset(part.charset) or "utf-8"
    if part.encoding == "base64":
        text = _replaced_text(_decoded(payload, part), codec, pattern, replacement)
        return None if text is None else _base64_like(text, payload)
    lines = _LINES.findall(payload)
    changed = False
    for first, last in _logical_lines(lines):
        group = b"".join(lines[first : last + 1])
        eol = group[len(group.rstrip(b"\r\n")) :]
        decoded = binascii.a2b_qp(group[: len(group) - len(eol)].replace(b"\r\n", b"\n"))
        text = _replaced_text(decoded, codec, pattern, replacement)
        if text is not None:
            encoded = binascii.b2a_qp(text, istext=True)  # soft breaks at 76 columns, as "=\n"
            encoded = encoded.replace(b"=\n", b"=\r\n") if b"\r" in eol else encoded
            lines[first : last + 1] = [encoded + eol] + [b""] * (last - first)  # the indices stay
            changed = True
    return b"".join(lines) if changed else None


def _logical_lines(lines: list[bytes]) -> list[tuple[int, int]]:
    """(first, last) index of each quoted-printable line: physical lines joined by soft breaks."""
    found: list[tuple[int, int]] = []
    first = 0
    for index, line in enumerate(lines):
        if line.endswith(b"\n") and line.rstrip(b"\r\n").rstrip(b" \t").endswith(b"="):
            continue  # a soft line break: the line goes on
        found.append((first, index))
        first = index + 1
    if first < len(lines):
        found.append((first, len(lines) - 1))
    return found


def _replaced_text(data: bytes, codec: str, pattern: re.Pattern[str], replacement: str) -> bytes | None:
    """`data` decoded under `codec`, the address replaced, encoded again; None when nothing named it
    or the codec does not give the same bytes back (the rest of the text must not change)."""
    try:
        text = data.decode(codec, "surrogateescape")
        if not pattern.search(text) or text.encode(codec, "surrogateescape") != data:
            return None
        return pattern.sub(replacement, text).encode(codec, "surrogateescape")
    except (UnicodeError, LookupError, ValueError):
        return None


def _base64_like(data: bytes, original: bytes) -> bytes:
    """`data` in base64 laid out as `original` was: its line length, line endings and ending."""
    body = original.rstrip(b"\r\n \t")
    trailing = original[len(body) :]
    first_line = body.split(b"\n", 1)
    width = len(first_line[0].rstrip(b"\r")) if len(first_line) > 1 else 0
    eol = b"\r\n" if b"\r\n" in original else b"\n"
    encoded = binascii.b2a_base64(data, newline=False)
    if width < 4:
        return encoded + trailing
    return eol.join(encoded[i : i + width] for i in range(0, len(encoded), width)) + trailing
