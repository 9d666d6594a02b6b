"""Writing messages as mboxrd, the mbox variant whose escaping can be undone exactly.

Every line matching ``^>*From `` gets one more ``>``; the reader takes one away. Each message
is followed by a blank line. The one thing mbox cannot carry is a message that does not end
with a newline: one is added, so such a message reads back with a final ``\\n``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import BinaryIO

PLACEHOLDER_FROM_LINE = "MAILER-DAEMON Thu Jan  1 00:00:00 1970"
_FROM_TO_ESCAPE = re.compile(rb"^(>*From )", re.MULTILINE)
_LINE_BREAKS = re.compile(r"[\r\n]+")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def build_from_line(sender: str, date: datetime) -> str:
    """The From_ line text (without ``From ``) for a sender address and a date, in UTC asctime.

    >>> from datetime import datetime, UTC
    >>> build_from_line("jo@example.org", datetime(2014, 8, 1, 9, 5, 7, tzinfo=UTC))
    'jo@example.org Fri Aug  1 09:05:07 2014'
    """
    address = "".join(sender.split()) or "MAILER-DAEMON"
    utc = date.astimezone(UTC)
    # Names spelled out: strftime's %a and %b follow the locale, asctime does not.
    day, month = _DAYS[utc.weekday()], _MONTHS[utc.month - 1]
    return f"{address} {day} {month} {utc.day:2d} {utc:%H:%M:%S} {utc.year}"


def escape_from(raw: bytes) -> bytes:
    if b"From " not in raw:
        return raw
    return _FROM_TO_ESCAPE.sub(rb">\1", raw)


def _from_line_bytes(from_line: str | None) -> bytes:
    text = _LINE_BREAKS.sub(" ", from_line or "").strip() or PLACEHOLDER_FROM_LINE
    try:
        return b"From " + text.encode("latin-1")
    except UnicodeEncodeError:
        return b"From " + text.encode("utf-8", "surrogateescape")


def write_mboxrd(messages: Iterable[tuple[bytes, str | None]], out: BinaryIO) -> int:
    """Write each (raw bytes, from_line or None) as mboxrd to `out`; returns how many were written.

    `from_line` is the separator text without ``From `` (as `SourceMessage.from_line` holds it);
    None writes the placeholder public-inbox uses, ``MAILER-DAEMON Thu Jan  1 00:00:00 1970``.
    """
    count = 0
    for raw, from_line in messages:
        body = escape_from(raw)
        if body and not body.endswith(b"\n"):
            body += b"\n"
        out.write(_from_line_bytes(from_line) + b"\n" + body + b"\n")
        count += 1
    return count
