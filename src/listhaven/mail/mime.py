"""The leaf parts of a message: its MIME tree walked without recursion, payloads decoded.

The tree is split here rather than by `email.parser`: the stdlib parser reads line by
line, builds objects for every part and recurses once per nesting level (a RecursionError
at ~1,000 levels); splitting on boundaries with `bytes.find` is several times faster and
its work is bounded by `ParseLimits`.
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass, field

from listhaven.mail.encoded_words import decode_words
from listhaven.mail.headers import (
    HeaderBlock,
    parse_content_type,
    parse_params,
    split_message,
)
from listhaven.mail.limits import ParseLimits
from listhaven.mail.message import UnparseableMessage

_B64_JUNK = re.compile(rb"[^A-Za-z0-9+/]")


@dataclass(slots=True)
class Leaf:
    """One non-container MIME part, payload still transfer-encoded."""

    content_type: str
    params: dict[str, str]
    attachment: bool
    filename: str | None
    encoding: str
    payload: bytes
    defects: list[str] = field(default_factory=list)


def mime_leaves(headers: HeaderBlock, body: bytes, limits: ParseLimits) -> tuple[list[Leaf], list[str]]:
    """Leaves in document order and defects.

    Raises UnparseableMessage when the message has more parts than `limits.max_parts`.
    """
    leaves: list[Leaf] = []
    defects: list[str] = []
    stack: list[tuple[HeaderBlock, bytes, int]] = [(headers, body, 0)]
    count = 0
    while stack:
        part_headers, payload, depth = stack.pop()
        count += 1
        if count > limits.max_parts:
            raise UnparseableMessage(f"more than {limits.max_parts} MIME parts")
        ctype, params = parse_content_type(part_headers.text("content-type"))
        if ctype.startswith("multipart/"):
            if depth >= limits.max_depth:
                defects.append(f"MIME parts nested deeper than {limits.max_depth} ignored")
                continue
            parts = split_multipart(payload, params.get("boundary", ""))
            if parts is not None:
                children = [split_message(part, part=True) for part in parts[0]]
                stack.extend((child[0], child[1], depth + 1) for child in reversed(children))
                if not parts[1]:
                    defects.append("multipart without its closing boundary")
                continue
            defects.append("multipart without a usable boundary: read as text")
            ctype = "text/plain"
        leaves.append(_leaf(part_headers, payload, ctype, params))
    return leaves, defects


def split_multipart(payload: bytes, boundary: str) -> tuple[list[bytes], bool] | None:
    """(the parts between boundary lines, whether the closing line was seen); None if no boundary."""
    found = multipart_spans(payload, boundary)
    if found is None:
        return None
    return [payload[start:end] for start, end in found[0]], found[1]


def multipart_spans(payload: bytes, boundary: str) -> tuple[list[tuple[int, int]], bool] | None:
    """(each part's (start, end) in `payload`, whether the closing line was seen); None if no boundary.

    A boundary line is ``--boundary`` or ``--boundary--`` at the start of a line with only
    whitespace after it (so an inner boundary that extends the outer one is not confused).
    The line break before a boundary line belongs to the boundary (RFC 2046 §5.1.1).
    """
    if not boundary or len(boundary) > 200:
        return None
    marker = b"--" + boundary.encode("utf-8", "surrogateescape")
    spans: list[tuple[int, int]] = []
    start = -1
    position = 0
    while (found := payload.find(marker, position)) >= 0:
        position = found + 1
        if found and payload[found - 1] != 0x0A:
            continue
        line_end = payload.find(b"\n", found)
        line_end = len(payload) if line_end < 0 else line_end
        tail = payload[found + len(marker) : line_end]
        closing = tail[:2] == b"--"
        if tail[2 if closing else 0 :].strip(b" \t\r"):
            continue
        if start >= 0:
            end = found - 1  # the line break before the boundary belongs to it
            if end > start and payload[end - 1] == 0x0D:
                end -= 1
            spans.append((start, max(start, end)))
        if closing:
            return spans, True
        start = position = line_end + 1
    if start < 0:
        return None
    spans.append((min(start, len(payload)), len(payload)))
    return spans, False


def _leaf(headers: HeaderBlock, payload: bytes, ctype: str, params: dict[str, str]) -> Leaf:
    disposition, disposition_params = parse_params(headers.text("content-disposition"))
    filename = disposition_params.get("filename") or params.get("name")
    if filename and "=?" in filename:
        filename = decode_words(filename)
    encoding = (headers.text("content-transfer-encoding") or "").strip().lower()
    kept: dict[str, str] = {key: params[key].strip().lower() for key in ("charset", "format", "delsp") if key in params}
    return Leaf(ctype, kept, disposition == "attachment", filename, encoding, payload)


def decode_payload(leaf: Leaf) -> tuple[bytes, str | None]:
    """The payload with its Content-Transfer-Encoding undone, tolerating broken input."""
    encoding = leaf.encoding
    if encoding == "base64":
        try:
            return binascii.a2b_base64(leaf.payload), None
        except (binascii.Error, ValueError):
            data = _B64_JUNK.sub(b"", leaf.payload.split(b"=", 1)[0])
            if len(data) % 4 == 1:
                data = data[:-1]
            return binascii.a2b_base64(data + b"=" * (-len(data) % 4)), "invalid base64 repaired"
    if encoding == "quoted-printable":
        return binascii.a2b_qp(leaf.payload.replace(b"\r\n", b"\n")), None
    if encoding in ("", "7bit", "8bit", "binary") or encoding.startswith("x-"):
        return leaf.payload, None
    return leaf.payload, f"unknown transfer encoding {encoding[:40]!r}: left as is"
