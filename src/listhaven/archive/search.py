"""Search as the web pages, the CLI and the JSON API use it: one `search(...)` call.

The search layer (`listhaven.search`) finds message primary keys; on the archive's side, search_pages.py turns
them into hits of stored messages and threads, reading them through this module's `OrmStore`. Access is the caller's business: pass only the lists the reader
may see (web: `readable_lists` / `get_readable_list`). Results are plain dataclasses with `to_dict()`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from django.db import connection, models

from listhaven.archive.models import Message
from listhaven.archive.search_pages import COUNT_CAP, GROUP_CANDIDATES, MAX_PAGE, MAX_PER_PAGE, Sort, search_page
from listhaven.archive.search_pages import scope_of as _scope_of
from listhaven.archive.search_reads import SearchReads
from listhaven.search.backends import backend_for
from listhaven.search.base import Scope
from listhaven.search.documents import document_for_message
from listhaven.search.query import QueryError, parse_query
from listhaven.search.results import SearchHit, SearchResults, ThreadHit

if TYPE_CHECKING:
    from listhaven.lists.models import MailingList

    Lists = MailingList | Iterable[MailingList]

__all__ = [
    "COUNT_CAP",
    "GROUP_CANDIDATES",
    "MAX_PAGE",
    "MAX_PER_PAGE",
    "QueryError",
    "SearchHit",
    "SearchResults",
    "ThreadHit",
    "remove_message",
    "search",
    "search_message_ids",
]


class OrmStore(SearchReads):
    """A search page's reads on the configured database, over Django's connection."""

    def __init__(self) -> None:
        self.backend = backend_for(connection)
        self.vendor = connection.vendor

    @contextmanager
    def cursor(self) -> Iterator[Any]:
        with connection.cursor() as cursor:
            yield cursor


def _as_list(lists: Lists) -> list[MailingList]:
    return [lists] if isinstance(lists, models.Model) else list(lists)


def scope_of(lists: Lists) -> Scope:
    return _scope_of(OrmStore(), _as_list(lists))


def search(
    lists: Lists,
    query_text: str,
    *,
    sort: Sort = "relevance",
    group: Literal["thread"] | None = None,
    page: int = 1,
    per_page: int = 20,
    now: datetime | None = None,
) -> SearchResults:
    """One page of results. Raises QueryError (with a message for the reader) for a bad query."""
    return search_page(
        OrmStore(), _as_list(lists), query_text, sort=sort, group=group, page=page, per_page=per_page, now=now
    )


def search_message_ids(lists: Lists, query_text: str, limit: int = 10_000, now: datetime | None = None) -> list[int]:
    """Primary keys of the newest `limit` matching messages, oldest first (for an mbox of a search)."""
    node = parse_query(query_text, now=now)
    with connection.cursor() as cursor:
        found = backend_for(connection).find(cursor, node, scope_of(lists), "date", limit, 0)
    return [pk for pk, _ in reversed(found)]


def remove_message(message: Message) -> None:
    """Takes a message out of the index. Call it before deleting or redacting the message (the
    index needs the text it was given), in the same transaction."""
    with connection.cursor() as cursor:
        backend_for(connection).remove(cursor, [document_for_message(message)])
