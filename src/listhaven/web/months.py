"""Months of an archive: parsing ``YYYY-MM`` and Pipermail's ``YYYY-Month``, and per-month counts.

The counts are read from the table archive/month_counts.py keeps up to date as messages are
written: O(months) per list, nothing cached, never stale (before, a big list's months were counted
from its messages once per process every 10 minutes: 100-580 ms at a million messages).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime

from listhaven.archive.month_counts import activity, months
from listhaven.lists.models import MailingList

CACHE_SECONDS = 600  # how long a month's order is kept (listings.py)
MONTH_NAMES = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}


@dataclass(frozen=True, slots=True)
class Month:
    year: int
    month: int

    @property
    def key(self) -> str:
        """``2014-08``: the form in URLs."""
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def pipermail(self) -> str:
        """``2014-August``: Pipermail's folder name."""
        return f"{self.year:04d}-{calendar.month_name[self.month]}"

    @property
    def label(self) -> str:
        return f"{calendar.month_name[self.month]} {self.year}"

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """The first instant of the next month."""
        if self.month == 12:
            return datetime(self.year + 1, 1, 1, tzinfo=UTC)
        return datetime(self.year, self.month + 1, 1, tzinfo=UTC)


def parse_month(value: str) -> Month | None:
    """``2014-08`` → Month; anything else (``2019-13``, ``0000-01``) → None."""
    year_text, _, month_text = value.partition("-")
    if not (len(year_text) == 4 and year_text.isdigit() and len(month_text) == 2 and month_text.isdigit()):
        return None
    year, month = int(year_text), int(month_text)
    if not (1 <= year <= 9999 and 1 <= month <= 12):
        return None
    return Month(year, month)


def parse_pipermail_month(value: str) -> Month | None:
    """``2014-August`` (any case) → Month; anything else → None."""
    year_text, _, name = value.partition("-")
    if not (len(year_text) == 4 and year_text.isdigit()) or name.lower() not in MONTH_NAMES:
        return None
    year = int(year_text)
    return Month(year, MONTH_NAMES[name.lower()]) if year >= 1 else None


def archive_version(mlist: MailingList) -> str:
    """Changes whenever a message is stored in the list (its next archive number grows); the
    creation time tells apart two lists that had the same id (a test's rolled-back list)."""
    created = mlist.created_at.timestamp() if mlist.created_at else 0
    return f"{mlist.pk}.{created}.{mlist.next_archive_number}"


def month_counts(mlist: MailingList) -> list[tuple[Month, int]]:
    """Every month with messages and how many, oldest first (archive/month_counts.py keeps them)."""
    return [(parse_month(month) or Month(1970, 1), n) for month, n in months(mlist.pk)]


@dataclass(frozen=True, slots=True)
class ListActivity:
    messages: int
    last_post: datetime | None


def list_activity(mlists: list[MailingList]) -> dict[int, ListActivity]:
    """Messages and last post of each list, for the index page: the kept month counts summed and
    one probe of the (list, date) index per list, in one query."""
    found = activity(m.pk for m in mlists)
    return {m.pk: ListActivity(*found[m.pk]) for m in mlists}
