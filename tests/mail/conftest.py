"""Builders for the small messages the parser tests write, and the "long" fuzz profile.

`make_message(headers, body)` joins header fields and a body into raw bytes (CRLF or LF);
`parse(raw)` runs the parser on them. `make fuzz` runs test_fuzz.py with
``--hypothesis-profile=long``.
"""

from __future__ import annotations

from collections.abc import Iterable

from hypothesis import HealthCheck, settings

from listhaven.mail.message import ParsedMessage, SourceMessage
from listhaven.mail.parse import ParseLimits, parse_message

settings.register_profile(
    "long", max_examples=20_000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

HeaderFields = Iterable[tuple[str, str | bytes]] | dict[str, str | bytes]

BASIC_HEADERS: dict[str, str | bytes] = {
    "From": "Ada Lovelace <ada@Example.ORG>",
    "To": "list@lists.example.org",
    "Subject": "[Test] Hello",
    "Date": "Tue, 05 Mar 2024 10:15:00 +0100",
    "Message-ID": "<hello@example.org>",
}


def make_message(headers: HeaderFields | None = None, body: str | bytes = "Hello.\n", crlf: bool = False) -> bytes:
    """Raw message bytes: `headers` (in order; None values omitted) over BASIC_HEADERS, blank line, body."""
    fields = dict(BASIC_HEADERS)
    items = headers.items() if isinstance(headers, dict) else (headers or [])
    for name, value in items:
        fields.pop(name, None)
        fields[name] = value
    lines = [
        name.encode() + b": " + (value if isinstance(value, bytes) else value.encode("utf-8"))
        for name, value in fields.items()
        if value is not None
    ]
    data = body if isinstance(body, bytes) else body.encode("utf-8")
    raw = b"\n".join(lines) + b"\n\n" + data
    return raw.replace(b"\n", b"\r\n") if crlf else raw


def multipart(subtype: str, boundary: str, parts: list[bytes], preamble: bytes = b"") -> bytes:
    """A multipart body: each part is raw part bytes (its own headers, blank line, content)."""
    out = [preamble]
    for part in parts:
        out.append(b"--" + boundary.encode() + b"\n" + part + b"\n")
    out.append(b"--" + boundary.encode() + b"--\n")
    return b"".join(out)


def parse(raw: bytes, from_line: str | None = None, limits: ParseLimits | None = None) -> ParsedMessage:
    source = SourceMessage(raw, "test#1", from_line)
    return parse_message(source) if limits is None else parse_message(source, limits)
