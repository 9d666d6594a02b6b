"""Search as the web pages, the CLI and the JSON API use it: one `search(...)` call.

The search layer (`listhaven.search`) finds message primary keys; on the archive's side, search_pages.py turns
them into hits of stored messages and threads, reading them through this module's `OrmStore`. Access is the caller's business: pass only the lists the reader
may see (web: `readable_lists` / `get_readable_list`). Results are plain dataclasses with `to_dict()`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from django.db import connection, models

from listhaven.archive.models import Message, Thread
from listhaven.archive.search_pages import (
    COUNT_CAP,
    GROUP_CANDIDATES,
    MAX_PAGE,
    MAX_PER_PAGE,
    HitRow,
    Sort,
    ThreadRow,
    search_page,
)
from listhaven.archive.search_pages import scope_of as _scope_of
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


class OrmStore:
    """The reads of a search page through the ORM, on the configured database."""

    def __init__(self) -> None:
        self.backend = backend_for(connection)

    @contextmanager
    def cursor(self) -> Iterator[Any]:
        with connection.cursor() as cursor:
            yield cursor

    def list_count(self) -> int:
        from django.apps import apps  # the archive imports no list code: the model by its label

        return apps.get_model("lists", "MailingList")._default_manager.count()

    def visible_hits(self, ids: Sequence[int]) -> dict[int, HitRow]:
        # Tuples, not models: a page of threads shows up to 60 hits, and three model instances a
        # hit (message, list, thread) cost more than their reading.
        rows = Message.objects.visible().filter(pk__in=ids).values_list(
            "pk", "public_id", "message_id", "subject", "sender_name", "sender_email", "date", "body_text",
            "mailing_list__name", "mailing_list__obfuscate_addresses", "thread__public_id", "thread__message_count",
        )  # fmt: skip
        return {row[0]: HitRow(*row) for row in rows}

    def thread_ids(self, ids: Sequence[int]) -> dict[int, int]:
        if connection.vendor == "postgresql":
            # Up to 1,001 ids (thread grouping): one parameter, where the ORM's IN (%s, ...) made
            # psycopg rewrite a thousand placeholders (a third of that search's Python time). Written
            # as the array's text: psycopg quoting a list of a thousand ints took ~4 ms.
            table = Message._meta.db_table
            array = "{" + ",".join(str(int(pk)) for pk in ids) + "}"
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT id, thread_id FROM {table} WHERE id = ANY(%s::bigint[])", [array])
                return {int(pk): int(tid) for pk, tid in cursor.fetchall()}
        # SQLite: the ids as one JSON parameter; the ORM's IN (%s, ...) of a thousand ids cost more
        # than the statement (building the lookup, ~5 ms a thread search).
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, thread_id FROM {Message._meta.db_table} WHERE id IN (SELECT value FROM json_each(%s))",
                [json.dumps([int(i) for i in ids])],
            )
            return {int(pk): int(tid) for pk, tid in cursor.fetchall()}

    def threads(self, ids: Sequence[int]) -> dict[int, ThreadRow]:
        rows = Thread.objects.filter(pk__in=ids).values_list(
            "pk", "mailing_list__name", "public_id", "subject", "message_count", "first_date", "last_date"
        )
        return {row[0]: ThreadRow(*row[1:]) for row in rows}


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
