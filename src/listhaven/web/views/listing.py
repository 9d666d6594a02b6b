"""A list's overview (recent threads, activity, months) and one month of its archive."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from listhaven.archive.models import Thread
from listhaven.mail.presenter import Presenter
from listhaven.web.access import get_readable_list
from listhaven.web.charts import activity_chart
from listhaven.web.fragments import month_rows
from listhaven.web.links import ArchiveUrls
from listhaven.web.listings import SORTS, PageOutOfRange, month_page
from listhaven.web.months import archive_version, month_counts, parse_month
from listhaven.web.page_cache import archive_page

RECENT_THREADS = 15
SHOWN_PARTICIPANTS = 3


@archive_page
def overview(request: HttpRequest, list_name: str) -> HttpResponse:
    mlist = get_readable_list(request, list_name)
    months = month_counts(mlist)
    threads = list(
        Thread.objects.filter(mailing_list=mlist)
        .order_by("-last_date")
        .only("public_id", "subject", "message_count", "participant_count", "participants", "first_date", "last_date")[
            :RECENT_THREADS
        ]
    )
    present = Presenter.for_list(mlist)
    for thread in threads:
        thread.replies = max(0, thread.message_count - 1)
        shown = (thread.participants or [])[:SHOWN_PARTICIPANTS]
        # a participant without a display name is an address
        thread.shown_participants = [present.text(p) for p in shown]
        thread.more_participants = max(0, thread.participant_count - len(thread.shown_participants))
    context = {
        "mlist": mlist,
        "threads": threads,
        "months": list(reversed(months)),
        "total": sum(n for _, n in months),
        "first_month": months[0][0] if months else None,
        "chart": activity_chart(months),
        "present": present,
        # the chart and the month table are rendered once per state of the archive (the template caches them)
        "version": archive_version(mlist),
    }
    return render(request, "listhaven/overview.html", context)


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    if not raw.isdigit() or len(raw) > 6:
        raise Http404("There is no such page of this month.")
    return int(raw)


@archive_page
def month(request: HttpRequest, list_name: str, month: str) -> HttpResponse:
    mlist = get_readable_list(request, list_name)
    parsed = parse_month(month)
    if parsed is None:
        raise Http404(f"“{month}” is not a month: months are written YYYY-MM, from 01 to 12.")
    sort = request.GET.get("sort", "thread")
    if sort not in SORTS:
        sort = "thread"
    try:
        page = month_page(mlist, parsed, sort, _page_number(request))
    except PageOutOfRange:
        raise Http404(f"The {mlist.title} archive has no messages for {parsed.label} on that page.") from None
    counts = month_counts(mlist)
    keys = [m.key for m, _ in counts]
    here = keys.index(parsed.key) if parsed.key in keys else None
    context = {
        "mlist": mlist,
        "page": page,
        "rows": month_rows(page.rows, ArchiveUrls(mlist.name), Presenter.for_list(mlist)),
        "month": parsed,
        "sorts": SORTS,
        "previous_month": counts[here - 1][0] if here else None,
        "next_month": counts[here + 1][0] if here is not None and here + 1 < len(counts) else None,
        "present": Presenter.for_list(mlist),
    }
    return render(request, "listhaven/month.html", context)
