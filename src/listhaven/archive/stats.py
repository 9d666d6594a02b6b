"""Figures about a list's archive, for `listhaven stats`, the list overview and the API."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Max, Min

from listhaven.archive import month_counts as month_counts_table
from listhaven.archive.figures import ListStats
from listhaven.archive.models import Message, Quarantine, Thread

if TYPE_CHECKING:
    from listhaven.lists.models import MailingList


def month_counts(mlist: MailingList) -> list[tuple[str, int]]:
    """("YYYY-MM", messages) for every month with messages, oldest first (months in UTC)."""
    return month_counts_table.months(mlist.pk)


def list_stats(mlist: MailingList) -> ListStats:
    messages = Message.objects.filter(mailing_list=mlist)
    # apart: SQLite reads one end of the (list, date) index for a lone MIN or MAX, the whole range for both
    first, last = messages.aggregate(d=Min("date"))["d"], messages.aggregate(d=Max("date"))["d"]
    months = month_counts(mlist)
    return ListStats(
        list=mlist.address,
        messages=sum(n for _, n in months),
        threads=Thread.objects.filter(mailing_list=mlist).count(),
        # A purged message's poster is emptied: it is nobody's post any more (the (list, sender)
        # index still answers alone). A hidden one keeps its place, in the counts as on the pages.
        authors=messages.exclude(sender_email="").values("sender_email").distinct().count(),
        quarantined=Quarantine.objects.filter(mailing_list=mlist).count(),
        first_date=first,
        last_date=last,
        months=months,
    )
