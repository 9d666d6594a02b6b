"""Dates of messages: the Date header, else the earliest Received hop, else the mbox From_ line.

Every result is timezone-aware UTC plus the sender's offset in minutes. Values outside
1971..2100 are treated as garbage: clocks set to 0, 1970 placeholders (public-inbox writes
``From MAILER-DAEMON Thu Jan  1 00:00:00 1970``) and typos like year 20014.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import _parseaddr  # type: ignore[attr-defined]  # parsedate_tz hides a missing zone

from listhaven.mail.message import DateSource

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EARLIEST = datetime(1971, 1, 1, tzinfo=UTC)
_LATEST = datetime(2100, 1, 1, tzinfo=UTC)
_MAX_OFFSET_SECONDS = 14 * 3600
_MONTHS = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
# asctime, as in mbox From_ lines and Pipermail's Date: "Thu Nov  1 11:19:12 2001".
_ASCTIME = re.compile(
    r"(?:[A-Za-z]{3},?\s+)?([A-Za-z]{3})\s+(\d{1,2})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?"
    r"(?:\s+([+-]\d{4}|[A-Z]{1,5}))?\s+(\d{4})\s*$"
)


@dataclass(frozen=True, slots=True)
class MessageDate:
    when: datetime  # aware, UTC
    utc_offset_minutes: int
    source: DateSource
    defect: str | None = None


def parse_date_value(value: str) -> tuple[datetime, int, str | None] | None:
    """(UTC datetime, offset minutes, defect) for an RFC 5322 or asctime date; None if unusable."""
    value = value.strip()[:200]
    if not value:
        return None
    try:
        parsed = _parseaddr._parsedate_tz(value)
    except Exception:  # noqa: BLE001 - the stdlib parser raises on several garbled forms
        parsed = None
    if parsed is None:
        return _parse_asctime(value)
    year, month, day, hour, minute, second = parsed[:6]
    offset = parsed[9]
    defect = None
    if offset is None:
        # "-0000" is RFC 5322's UTC-with-unknown-local-offset: UTC, nothing to repair.
        offset, defect = 0, None if "-0000" in value else "date without a time zone: taken as UTC"
    elif abs(offset) > _MAX_OFFSET_SECONDS:
        offset, defect = 0, "implausible time zone offset: taken as UTC"
    try:
        local = datetime(year, month, day, hour, minute, min(second, 59))
        when = (local - timedelta(seconds=offset)).replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        return None
    if not _EARLIEST <= when < _LATEST:
        return None
    return when, offset // 60, defect


def _parse_asctime(value: str) -> tuple[datetime, int, str | None] | None:
    match = _ASCTIME.search(value)
    if match is None:
        return None
    month = _MONTHS.get(match.group(1).lower())
    if month is None:
        return None
    tz = match.group(6) or ""
    offset = 0
    if tz[:1] in "+-" and tz:
        offset = (int(tz[1:3]) * 60 + int(tz[3:5])) * (1 if tz[0] == "+" else -1)
    try:
        local = datetime(int(match.group(7)), month, int(match.group(2)), int(match.group(3)),
                         int(match.group(4)), int(match.group(5) or 0))
    except ValueError:
        return None
    when = (local - timedelta(minutes=offset)).replace(tzinfo=UTC)
    if not _EARLIEST <= when < _LATEST:
        return None
    return when, offset, None if tz else "date without a time zone: taken as UTC"


def received_date(received: list[str]) -> tuple[datetime, int, str | None] | None:
    """The date of the bottom-most Received header (the first hop) with a readable date after ';'."""
    for value in reversed(received):
        found = parse_date_value(value.rpartition(";")[2]) if ";" in value else None
        if found is not None:
            return found
    return None


def from_line_date(from_line: str | None) -> tuple[datetime, int, str | None] | None:
    """The asctime date at the end of an mbox From_ line (``addr  Thu Nov  1 11:19:12 2001``)."""
    if not from_line:
        return None
    return _parse_asctime(from_line.strip()[-120:])


def message_date(date: str | None, received: Callable[[], list[str]], from_line: str | None) -> MessageDate:
    """The best date available, with where it came from and what was repaired.

    `received` gives the Received values, top to bottom, when needed (rarely: reading them is slow).
    """
    defects: list[str] = []
    if date is not None and date.strip():
        found = parse_date_value(date)
        if found is not None:
            return MessageDate(found[0], found[1], "date", found[2])
        defects.append("unreadable Date header")
    else:
        defects.append("no Date header")
    fallback = received_date(received())
    source: DateSource = "received"
    if fallback is None:
        fallback, source = from_line_date(from_line), "from_line"
    if fallback is None:
        return MessageDate(EPOCH, 0, "none", "; ".join(defects + ["no usable date"]))
    return MessageDate(fallback[0], fallback[1], source, "; ".join(defects + [f"date taken from {source}"]))
