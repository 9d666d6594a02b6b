"""Figures about a list's archive, for `listhaven stats`, the list overview and the API."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import Count, Max, Min
from django.db.models.functions import TruncMonth

from listhaven.archive.figures import MONTHS_SQLITE, ListStats
from listhaven.archive.models import Message, Quarantine, Thread

if TYPE_CHECKING:
    from listhaven.lists.models import MailingList


def month_counts(mlist: MailingList) -> list[tuple[str, int]]:
    """("YYYY-MM", messages) for every month with messages, oldest first (months in UTC)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(MONTHS_SQLITE, [mlist.pk])
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
