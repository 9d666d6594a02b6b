"""Finding members in a roster of 100,000 without reading it: a case-insensitive prefix of the address
or the display name, answered from the (list, lower(...)) indexes of lists/models/member.py; only when
no address or name starts with the text, the slower search for addresses and names that contain it.
The pager counts at most COUNT_CAP rows: past that the page says "more than" and the owner narrows."""

from __future__ import annotations

from functools import cached_property

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower

from listhaven.lists.models import Member

COUNT_CAP = 5000
# Above every character a text can hold: `x >= q AND x < q + TOP` is the prefix range of q.
TOP = "\U0010ffff"


def _prefix(field: str, text: str) -> Q:
    """`field` starts with `text`, ignoring case. On SQLite the range (over the lower(...) index)
    finds the rows and the LIKE keeps them exact; PostgreSQL gets the LIKE alone (its collation may
    order strings so that a range is not a prefix)."""
    exact = Q(**{f"{field}_ci__startswith": text})
    if connection.vendor != "sqlite":
        return exact
    return Q(**{f"{field}_ci__gte": text, f"{field}_ci__lt": text + TOP}) & exact


def search(rows: QuerySet[Member], text: str) -> tuple[QuerySet[Member], bool]:
    """(the rows matching `text`, whether it fell back to a substring search).

    The prefix matches are selected by id in a subquery: asked for in address order directly, SQLite
    walks the whole list in the unique index's order (no sort) instead of the two lower(...) indexes."""
    key = text.strip().lower()
    annotated = rows.order_by().annotate(address_ci=Lower("address"), display_name_ci=Lower("display_name"))
    by_prefix = annotated.filter(_prefix("address", key) | _prefix("display_name", key))
    if by_prefix.exists():
        return Member.objects.filter(pk__in=by_prefix.values("pk")), False
    return rows.filter(Q(address__icontains=key) | Q(display_name__icontains=key)), True


class CappedPaginator(Paginator):
    """A Paginator that counts no further than COUNT_CAP (counting 100,000 rows costs more than
    showing a page): past it, the pages stop at COUNT_CAP and `capped` says there are more."""

    @cached_property
    def _counted(self) -> int:
        return int(self.object_list[: COUNT_CAP + 1].count())

    @cached_property
    def count(self) -> int:  # type: ignore[override]
        return min(self._counted, COUNT_CAP)

    @property
    def capped(self) -> bool:
        return self._counted > COUNT_CAP
