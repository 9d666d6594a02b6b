"""Figures about a list's archive, for `listhaven stats`, the list overview and the API."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import Count, Max, Min
from django.db.models.functions import TruncMonth

from listhaven.archive.models import Message, Quarantine, Thread

if TYPE_CHECKING:
    from listhaven.lists.models import MailingList


@dataclass
class ListStats:
    list: str
    messages: int
    threads: int
    authors: int
    quarantined: int
    first_date: datetime | None
    last_date: datetime | None
    months: list[tuple[str, int]]  # ("YYYY-MM", count), oldest first

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["first_date"] = self.first_date.isoformat() if self.first_date else None
        data["last_date"] = self.last_date.isoformat() if self.last_date else None
        data["months"] = [{"month": m, "messages": n} for m, n in self.months]
        return data


def month_counts(mlist: MailingList) -> list[tuple[str, int]]:
    """("YYYY-MM", messages) for every month with messages, oldest first (months in UTC)."""
    if connection.vendor == "sqlite":
        # Dates are stored as ISO text: the first 7 characters are the month, and the
        # (mailing_list, date) index covers the scan. TruncMonth would call Python per row.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT substr(date, 1, 7), COUNT(*) FROM archive_message WHERE mailing_list_id = %s "
                "GROUP BY 1 ORDER BY 1",
                [mlist.pk],
            )
            return [(month, n) for month, n in cursor.fetchall()]
    rows = (
        Message.objects.filter(mailing_list=mlist)
        .annotate(month=TruncMonth("date"))
        .values("month")
        .annotate(n=Count("id"))
        .order_by("month")
    )
    return [(row["month"].strftime("%Y-%m"), row["n"]) for row in rows]


def list_stats(mlist: MailingList) -> ListStats:
    messages = Message.objects.filter(mailing_list=mlist)
    bounds = messages.aggregate(first=Min("date"), last=Max("date"), n=Count("id"))
    return ListStats(
        list=mlist.address,
        messages=bounds["n"],
        threads=Thread.objects.filter(mailing_list=mlist).count(),
        authors=messages.values("sender_email").distinct().count(),
        quarantined=Quarantine.objects.filter(mailing_list=mlist).count(),
        first_date=bounds["first"],
        last_date=bounds["last"],
        months=month_counts(mlist),
    )
