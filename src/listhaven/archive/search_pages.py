"""One page of search results, built the same way from any store.

The paging, counting, ordering, grouping by thread and the making of each hit (highlighting,
snippets, obfuscated addresses) are here, once. What differs is how rows are read: through the
ORM (`archive/search.py`, every database) or through the sqlite3 module alone (the command line's
quick path, `archive/sqlite_reads.py`). Both give a `SearchStore`; this module imports no Django.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Literal, Protocol

from listhaven.archive.search_reads import HitRow, ThreadRow
from listhaven.archive.visibility import visible_sql
from listhaven.mail.presenter import Presenter
from listhaven.search.base import Order, Scope, SearchBackend
from listhaven.search.highlight import highlight_line, snippet
from listhaven.search.query import Node, Text, parse_query, positive_texts
from listhaven.search.results import SearchHit, SearchResults, ThreadHit

COUNT_CAP = 10_000  # exact counts up to here; beyond, "more than 10,000"
GROUP_CANDIDATES = 1000  # best matching messages grouped into threads
MAX_PER_PAGE = 100
MAX_PAGE = 500
Sort = Literal["relevance", "date"]


class ListRef(Protocol):
    """What a search needs of a list: a MailingList, or the quick path's row."""

    @property
    def pk(self) -> Any: ...

    @property
    def name(self) -> str: ...


class SearchStore(Protocol):
    """Reads for a search page. `cursor()` gives a DB-API cursor taking ``%s`` parameters."""

    backend: SearchBackend

    def cursor(self) -> AbstractContextManager[Any]: ...

    def list_count(self) -> int: ...

    def visible_hits(self, ids: Sequence[int]) -> dict[int, HitRow]: ...

    def thread_ids(self, ids: Sequence[int]) -> dict[int, int]: ...

    def threads(self, ids: Sequence[int]) -> dict[int, ThreadRow]: ...


def scope_of(store: SearchStore, lists: Iterable[ListRef]) -> Scope:
    mlists = list(lists)
    ids = tuple(sorted({m.pk for m in mlists}))
    everything = bool(ids) and len(ids) == store.list_count()
    return Scope(ids, everything, {m.name.lower(): m.pk for m in mlists}, visible=visible_sql("m"))


def search_page(
    store: SearchStore,
    lists: Iterable[ListRef],
    query_text: str,
    *,
    sort: Sort = "relevance",
    group: Literal["thread"] | None = None,
    page: int = 1,
    per_page: int = 20,
    now: datetime | None = None,
) -> SearchResults:
    """One page of results. Raises QueryError (with a message for the reader) for a bad query."""
    node = parse_query(query_text, now=now)
    scope = scope_of(store, lists)
    page = min(max(1, page), MAX_PAGE)
    per_page = min(max(1, per_page), MAX_PER_PAGE)
    terms = positive_texts(node)
    order: Order = "rank" if sort == "relevance" and terms else "date"
    with store.cursor() as cursor:
        if group == "thread":
            threads, total, exact = _thread_page(store, cursor, node, scope, order, terms, page, per_page)
            hits: list[SearchHit] = []
        else:
            total, found = store.backend.count_and_find(
                cursor, node, scope, order, COUNT_CAP, per_page, (page - 1) * per_page
            )
            exact = total <= COUNT_CAP
            hits = _hits(store, found, terms)
            threads = []
    return SearchResults(
        query=query_text,
        sort="relevance" if order == "rank" else "date",
        group=group,
        page=page,
        per_page=per_page,
        total=min(total, COUNT_CAP),
        total_exact=exact,
        hits=hits,
        threads=threads,
    )


def _hits(store: SearchStore, found: list[tuple[int, float | None]], terms: list[Text]) -> list[SearchHit]:
    rows = store.visible_hits([pk for pk, _ in found])
    return [hit_of(rows[pk], score, terms) for pk, score in found if pk in rows]


def hit_of(row: HitRow, score: float | None, terms: list[Text]) -> SearchHit:
    present = Presenter(obfuscates=bool(row.obfuscate_addresses))
    return SearchHit(
        pk=row.pk,
        list_name=row.list_name,
        public_id=row.public_id,
        message_id=row.message_id,
        subject=row.subject,
        subject_html=highlight_line(row.subject or "(no subject)", terms, present=present),
        author=present.author(row.sender_name, row.sender_email),
        address=present.address(row.sender_email),
        date=row.date,
        thread_id=row.thread_id,
        thread_size=row.thread_size,
        snippet_html=snippet(row.body_text, terms, present=present),
        score=score,
    )


def _thread_page(
    store: SearchStore, cursor: Any, node: Node, scope: Scope, order: Order, terms: list[Text], page: int,
    per_page: int,
) -> tuple[list[ThreadHit], int, bool]:
    """Threads in the order of their best matching message, among the best GROUP_CANDIDATES."""
    found = store.backend.find(cursor, node, scope, order, GROUP_CANDIDATES + 1, 0)
    exact = len(found) <= GROUP_CANDIDATES
    found = found[:GROUP_CANDIDATES]
    thread_of = store.thread_ids([pk for pk, _ in found])
    grouped: dict[int, list[tuple[int, float | None]]] = {}
    for pk, score in found:
        if pk in thread_of:
            grouped.setdefault(thread_of[pk], []).append((pk, score))
    chosen = list(grouped.items())[(page - 1) * per_page : page * per_page]
    best = [hit for _, members in chosen for hit in members[:3]]
    hits = {h.pk: h for h in _hits(store, best, terms)}
    threads = store.threads([tid for tid, _ in chosen])
    result = [
        ThreadHit(
            list_name=threads[tid].list_name,
            thread_id=threads[tid].public_id,
            subject=threads[tid].subject,
            message_count=threads[tid].message_count,
            first_date=threads[tid].first_date,
            last_date=threads[tid].last_date,
            matches=len(members),
            hits=[hits[pk] for pk, _ in members[:3] if pk in hits],
        )
        for tid, members in chosen
    ]
    return result, len(grouped), exact
