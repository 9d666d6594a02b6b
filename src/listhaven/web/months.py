"""Months of an archive: parsing ``YYYY-MM`` and Pipermail's ``YYYY-Month``, and per-month counts.

Counting a big list's messages by month reads every row, so the counts are cached; the key
carries the list's next archive number, which every stored message advances, so a new message
makes a new key and the page is never stale.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.cache import cache
from django.db.models import Count, Max

from listhaven.archive.models import Message
from listhaven.archive.stats import month_counts as archive_month_counts
from listhaven.lists.models import MailingList

CACHE_SECONDS = 600
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
    """Every month with messages and how many, oldest first (cached; see the module note)."""
    key = f"listhaven:months:{archive_version(mlist)}"
    counts = cache.get(key)
    if counts is None:
        counts = archive_month_counts(mlist)
        cache.set(key, counts, CACHE_SECONDS)
    return [(parse_month(month) or Month(1970, 1), n) for month, n in counts]


@dataclass(frozen=True, slots=True)
class ListActivity:
    messages: int
    last_post: datetime | None


def list_activity(mlists: list[MailingList]) -> dict[int, ListActivity]:
    """Messages and last post of each list, in one (cached) query, for the index page."""
    if not mlists:
        return {}
    key = "listhaven:activity:" + ",".join(archive_version(m) for m in mlists)
    found = cache.get(key)
    if found is None:
        rows = (
            Message.objects.filter(mailing_list__in=[m.pk for m in mlists])
            .values("mailing_list")
            .annotate(n=Count("id"), last=Max("date"))
            .order_by()
        )
        found = {row["mailing_list"]: ListActivity(row["n"], row["last"]) for row in rows}
        cache.set(key, found, CACHE_SECONDS)
    return {m.pk: found.get(m.pk, ListActivity(0, None)) for m in mlists}
