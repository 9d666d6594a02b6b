"""A month's messages in Pipermail's four orders: thread, date, subject, author.

Two queries: the sort keys of every message of the month (small tuples read from the
(mailing_list, date) index range), then the display columns of the one page shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from listhaven.archive.models import MailingList, Message
from listhaven.web.months import Month
from listhaven.web.navigation import MAX_INDENT, ROW_FIELDS

SORTS = ("thread", "date", "subject", "author")
PAGE_SIZE = 500


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


def _sort_keys(mlist: MailingList, month: Month) -> list[tuple]:
    return list(
        Message.objects.filter(mailing_list=mlist, date__gte=month.start, date__lt=month.end)
        .order_by()
        .values_list("id", "thread_id", "thread_order", "thread_depth", "date", "subject_normalised", "sender_name", "sender_email")
    )


def _order(keys: list[tuple], sort: str) -> list[tuple]:
    by_date = sorted(keys, key=lambda k: (k[4], k[0]))
    if sort == "date":
        return by_date
    if sort == "subject":
        return sorted(by_date, key=lambda k: k[5].casefold())
    if sort == "author":
        return sorted(by_date, key=lambda k: (k[6] or k[7]).strip().casefold())
    # thread: threads in the order their first message of this month arrived, each in tree order
    first_seen: dict[int, int] = {}
    for rank, key in enumerate(by_date):
        first_seen.setdefault(key[1], rank)
    return sorted(keys, key=lambda k: (first_seen[k[1]], k[2], k[0]))


def _indents(ordered: list[tuple]) -> dict[int, int]:
    """Depth within the month's part of each thread: a thread begun last month starts at the left."""
    base: dict[int, int] = {}
    for key in ordered:
        base[key[1]] = min(base.get(key[1], key[3]), key[3])
    return {key[0]: key[3] - base[key[1]] for key in ordered}


def month_page(mlist: MailingList, month: Month, sort: str, page: int) -> MonthPage:
    """One page of the month; PageOutOfRange when `page` is past the end (or the month is empty)."""
    keys = _sort_keys(mlist, month)
    pages = max(1, -(-len(keys) // PAGE_SIZE))
    if not keys or not 1 <= page <= pages:
        raise PageOutOfRange(page)
    ordered = _order(keys, sort)
    shown = ordered[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    indents = _indents(ordered) if sort == "thread" else {}
    by_id = {row["id"]: row for row in Message.objects.filter(id__in=[k[0] for k in shown]).values(*ROW_FIELDS)}
    rows = []
    previous: tuple | None = None
    for key in shown:
        row = by_id[key[0]]
        depth = indents.get(key[0], 0)
        row["indent"] = min(depth, MAX_INDENT)
        row["deep"] = depth > MAX_INDENT
        row["new_thread"] = sort == "thread" and (previous is None or key[1] != previous[1])
        # In thread order a reply that only adds "Re:" is shown by its author, as mail clients do.
        row["same_subject"] = sort == "thread" and not row["new_thread"] and key[5] == previous[5]
        previous = key
        rows.append(row)
    return MonthPage(
        month=month, sort=sort, total=len(keys), threads=len({k[1] for k in keys}), page=page, pages=pages, rows=rows
    )
