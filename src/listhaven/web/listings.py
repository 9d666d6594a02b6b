"""A month's messages in Pipermail's four orders: thread, date, subject, author.

Two queries: the sort keys of every message of the month (small tuples read along the
(mailing_list, date) index, cached), then the display columns of the one page shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.cache import cache

from listhaven.archive.models import Message
from listhaven.lists.models import MailingList
from listhaven.web.months import CACHE_SECONDS, Month, archive_version
from listhaven.web.navigation import MAX_INDENT, ROW_FIELDS

SORTS = ("thread", "date", "subject", "author")
PAGE_SIZE = 300


@dataclass
class MonthPage:
    month: Month
    sort: str
    total: int
    threads: int
    page: int
    pages: int
    rows: list[dict] = field(default_factory=list)


class PageOutOfRange(LookupError):
    pass


# A message's place in a month's order, what the page needs beyond the row itself:
# (id, indent, new_thread, same_subject). Plain tuples: the cache pickles thousands of them.
_Line = tuple[int, int, bool, bool]


# Columns each order needs; rows come from SQL in (date, id) order along the index, so no
# date has to be read (turning thousands of them into datetimes costs more than the query).
_KEY_COLUMNS = {
    "date": ("id", "thread_id"),
    "subject": ("id", "thread_id", "subject_normalised"),
    "author": ("id", "thread_id", "sender_name", "sender_email"),
    "thread": ("id", "thread_id", "thread_order", "thread_depth", "subject_normalised"),
}


def _sort_keys(mlist: MailingList, month: Month, sort: str) -> list[tuple]:
    return list(
        Message.objects.filter(mailing_list=mlist, date__gte=month.start, date__lt=month.end)
        .order_by("date", "id")
        .values_list(*_KEY_COLUMNS[sort])
    )


def _thread_lines(by_date: list[tuple]) -> list[_Line]:
    """Threads in the order their first message of this month arrived, each in tree order,
    indented from the shallowest message of the thread shown this month."""
    first_seen: dict[int, int] = {}
    base: dict[int, int] = {}
    for rank, (_, thread, _, depth, _) in enumerate(by_date):
        first_seen.setdefault(thread, rank)
        base[thread] = min(base.get(thread, depth), depth)
    ordered = sorted(by_date, key=lambda k: (first_seen[k[1]], k[2], k[0]))
    lines, previous = [], None
    for key in ordered:
        new_thread = previous is None or key[1] != previous[1]
        # A reply that only adds "Re:" is shown by its author, as mail clients do.
        same_subject = not new_thread and previous is not None and key[4] == previous[4]
        lines.append((key[0], key[3] - base[key[1]], new_thread, same_subject))
        previous = key
    return lines


def _lines(keys: list[tuple], sort: str) -> list[_Line]:
    if sort == "thread":
        return _thread_lines(keys)
    if sort == "subject":
        keys = sorted(keys, key=lambda k: k[2].casefold())  # stable: date order within a subject
    elif sort == "author":
        keys = sorted(keys, key=lambda k: (k[2] or k[3]).strip().casefold())
    return [(k[0], 0, False, False) for k in keys]


def _month_order(mlist: MailingList, month: Month, sort: str) -> tuple[list[_Line], int]:
    """The month's messages in `sort` order and its number of threads, cached until a new
    message arrives in the list (the key holds its next archive number)."""
    key = f"listhaven:month:{archive_version(mlist)}:{month.key}:{sort}"
    found = cache.get(key)
    if found is None:
        keys = _sort_keys(mlist, month, sort)
        found = (_lines(keys, sort), len({k[1] for k in keys}))
        cache.set(key, found, CACHE_SECONDS)
    return found


def month_page(mlist: MailingList, month: Month, sort: str, page: int) -> MonthPage:
    """One page of the month; PageOutOfRange when `page` is past the end (or the month is empty)."""
    lines, threads = _month_order(mlist, month, sort)
    pages = max(1, -(-len(lines) // PAGE_SIZE))
    if not lines or not 1 <= page <= pages:
        raise PageOutOfRange(page)
    shown = lines[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    by_id = {row["id"]: row for row in Message.objects.filter(id__in=[line[0] for line in shown]).rows(*ROW_FIELDS)}
    rows = []
    for message_pk, indent, new_thread, same_subject in shown:
        row = by_id[message_pk]
        row["indent"] = min(indent, MAX_INDENT)
        row["deep"] = indent > MAX_INDENT
        row["new_thread"] = new_thread
        row["same_subject"] = same_subject
        rows.append(row)
    return MonthPage(month=month, sort=sort, total=len(lines), threads=threads, page=page, pages=pages, rows=rows)
