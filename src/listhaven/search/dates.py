"""The values of ``date:``: a period, or a range of them, absolute or relative to now.

    2024            the year 2024            2019-01..2019-06   January to June 2019, both included
    2019-05         May 2019                 ..2020-03-15       up to and including 15 March 2020
    2019-05-01      that day                 2019-05-01..       from that day on
    2w..            the last two weeks       ..1y               older than a year (d, w, m, y)

Dates are UTC and compared by whole days: a relative date starts at midnight of the day it names. A range is start <= date < end, end being the start of the period after the last one.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_ABSOLUTE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")
_RELATIVE = re.compile(r"(\d{1,4})([dwmy])")


class DateSyntaxError(ValueError):
    pass


def _add_months(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    if year < 1:
        raise DateSyntaxError("That date is too far back.")
    day = min(moment.day, _days_in_month(year, month + 1))
    return moment.replace(year=year, month=month + 1, day=day)


def _days_in_month(year: int, month: int) -> int:
    nxt = datetime(year + (month == 12), month % 12 + 1, 1)
    return (nxt - timedelta(days=1)).day


def _absolute(text: str) -> tuple[datetime, datetime]:
    """The period a date names: [its first moment, the first moment after it)."""
    m = _ABSOLUTE.fullmatch(text)
    if not m:
        raise DateSyntaxError(f"“{text}” is not a date.")
    year, month, day = int(m.group(1)), m.group(2), m.group(3)
    try:
        if month is None:
            start = datetime(year, 1, 1, tzinfo=UTC)
            return start, _add_months(start, 12)
        if day is None:
            start = datetime(year, int(month), 1, tzinfo=UTC)
            return start, _add_months(start, 1)
        start = datetime(year, int(month), int(day), tzinfo=UTC)
        return start, start + timedelta(days=1)
    except ValueError as exc:  # month 13, 30 February, year 0
        raise DateSyntaxError(f"“{text}” is not a real date.") from exc


def _relative(text: str, now: datetime) -> datetime | None:
    m = _RELATIVE.fullmatch(text)
    if not m:
        return None
    count, unit = int(m.group(1)), m.group(2)
    # Whole UTC days: "2w.." starts at midnight, so the index can answer it with day tokens.
    now = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    try:
        if unit == "d":
            return now - timedelta(days=count)
        if unit == "w":
            return now - timedelta(weeks=count)
        return _add_months(now, -count * (12 if unit == "y" else 1))
    except OverflowError as exc:
        raise DateSyntaxError("That date is too far back.") from exc


def _bound(text: str, now: datetime, is_start: bool) -> datetime:
    moment = _relative(text, now)
    if moment is not None:
        return moment
    start, end = _absolute(text)
    return start if is_start else end


def parse_date_range(value: str, now: datetime) -> tuple[datetime | None, datetime | None]:
    """(start, end) with start <= date < end; None for an open side."""
    value = value.strip().lower()
    if not value:
        raise DateSyntaxError("“date:” needs a value.")
    if ".." not in value:
        moment = _relative(value, now)
        if moment is not None:  # "date:2w" reads as "in the last two weeks"
            return moment, None
        return _absolute(value)
    left, _, right = value.partition("..")
    if ".." in right:
        raise DateSyntaxError(f"“{value}” has more than one “..”.")
    if not left and not right:
        raise DateSyntaxError("“date:..” needs a date on at least one side of “..”.")
    start = _bound(left, now, True) if left else None
    end = _bound(right, now, False) if right else None
    if start is not None and end is not None and start >= end:
        raise DateSyntaxError(f"The range “{value}” ends before it starts.")
    return start, end
