"""How the archive pages write dates, sizes, people and reply links.

Dates are never ambiguous: ``2014-08-17 09:05 −0600`` in the sender's own offset, with the UTC
time beside it. Addresses are written ``user at example.com`` when the list obfuscates them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from urllib.parse import quote

from listhaven.mail.subjects import is_reply_subject

UNKNOWN_SENDER = "(unknown sender)"  # a message with neither a name nor an address in From:

MINUS = "\u2212"


def format_offset(minutes: int) -> str:
    """``-360`` → ``−0600``; ``330`` → ``+0530``."""
    sign = MINUS if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}{mins:02d}"


def local_time(date: datetime, offset_minutes: int) -> datetime:
    """The instant as the sender's clock showed it."""
    return date.astimezone(timezone(timedelta(minutes=offset_minutes)))


def format_local(date: datetime | None, offset_minutes: int = 0) -> str:
    """``2014-08-17 09:05 −0600``."""
    if date is None:
        return ""
    local = local_time(date, offset_minutes)
    return f"{local:%Y-%m-%d %H:%M} {format_offset(offset_minutes)}"


def format_utc(date: datetime | None, seconds: bool = True) -> str:
    """``2014-08-17 15:05:09 UTC``."""
    if date is None:
        return ""
    utc = date.astimezone(UTC)
    return f"{utc:%Y-%m-%d %H:%M:%S} UTC" if seconds else f"{utc:%Y-%m-%d %H:%M} UTC"


def format_day(date: datetime | None) -> str:
    """``2014-08-17`` (UTC): for lists where the minute does not matter."""
    return "" if date is None else f"{date.astimezone(UTC):%Y-%m-%d}"


def iso_utc(date: datetime | None) -> str:
    """Machine-readable, for ``<time datetime=...>``."""
    return "" if date is None else date.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_size(size: int) -> str:
    """``532 bytes``, ``12.4 KB``, ``3.1 MB`` (powers of 1024, one decimal from KB up)."""
    if size < 1024:
        return f"{size} byte" if size == 1 else f"{size} bytes"
    value = float(size)
    for unit in ("KB", "MB", "GB"):
        value /= 1024
        if value < 1024 or unit == "GB":
            break
    return f"{value:.1f} {unit}"


def reply_subject(subject: str) -> str:
    return subject if is_reply_subject(subject) else f"Re: {subject}"


@lru_cache(maxsize=1024)
def _quoted_reply_subject(subject: str) -> str:
    # A thread page quotes the same subject for every message: percent-encoding is slow in Python.
    return quote(reply_subject(subject), safe="")


def reply_mailto(list_address: str, message_id: str, subject: str) -> str:
    """A mailto: link that answers in the thread: In-Reply-To and a ``Re:`` subject, to the list."""
    query = f"In-Reply-To={quote('<' + message_id + '>', safe='@')}&Subject={_quoted_reply_subject(subject)}"
    return f"mailto:{quote(list_address, safe='@')}?{query}"
