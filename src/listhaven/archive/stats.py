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


def month_counts_since(mlist: MailingList, after_id: int = 0) -> tuple[list[tuple[str, int]], int]:
    """`month_counts` of the messages with an id above `after_id` only (ids grow as messages are
    stored), and the highest id counted (`after_id` when there is none): a big list's months are
    counted once and then kept up to date by counting what was stored since."""
    if connection.vendor == "sqlite":
        # without an id bound the (list, date) index covers the scan; with one, (list, id) finds the new rows
        bound = " AND id > %s" if after_id else ""
        sql = (
            "SELECT substr(date, 1, 7), COUNT(*), MAX(id) FROM archive_message "
            f"WHERE mailing_list_id = %s{bound} GROUP BY 1 ORDER BY 1"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [mlist.pk, after_id] if after_id else [mlist.pk])
            rows = [(month, n, top) for month, n, top in cursor.fetchall()]
    else:
        rows = [
            (row["month"].strftime("%Y-%m"), row["n"], row["top"])
            for row in Message.objects.filter(mailing_list=mlist, id__gt=after_id)
            .annotate(month=TruncMonth("date"))
            .values("month")
            .annotate(n=Count("id"), top=Max("id"))
            .order_by("month")
        ]
    return [(month, n) for month, n, _ in rows], max((top for *_, top in rows), default=after_id)


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
