"""Search as the web pages, the CLI and the JSON API use it: one `search(...)` call.

The search layer (`listhaven.search`) finds message primary keys; this module, on the archive's side, turns
them into hits of stored messages and threads. Access is the caller's business: pass only the lists the reader
may see (web: `readable_lists` / `get_readable_list`). Results are plain dataclasses with `to_dict()`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from django.db import connection, models

from listhaven.archive.models import Message, Thread, visible_sql
from listhaven.mail.presenter import Presenter
from listhaven.search.backends import backend_for
from listhaven.search.base import Order, Scope
from listhaven.search.documents import document_for_message
from listhaven.search.highlight import highlight_line, snippet
from listhaven.search.query import Node, QueryError, Text, parse_query, positive_texts
from listhaven.search.results import SearchHit, SearchResults, ThreadHit

if TYPE_CHECKING:
    from listhaven.lists.models import MailingList

    Lists = MailingList | Iterable[MailingList]

__all__ = [
    "COUNT_CAP",
    "QueryError",
    "SearchHit",
    "SearchResults",
    "ThreadHit",
    "remove_message",
    "search",
    "search_message_ids",
]

COUNT_CAP = 10_000  # exact counts up to here; beyond, "more than 10,000"
GROUP_CANDIDATES = 1000  # best matching messages grouped into threads
MAX_PER_PAGE = 100
MAX_PAGE = 500
Sort = Literal["relevance", "date"]


def scope_of(lists: Lists) -> Scope:
    mlists = [lists] if isinstance(lists, models.Model) else list(lists)
    ids = tuple(sorted({m.pk for m in mlists}))
    # The lists arrive as instances: their own model counts every list (the archive imports no list code).
    everything = bool(ids) and len(ids) == type(mlists[0])._default_manager.count()
    return Scope(ids, everything, {m.name.lower(): m.pk for m in mlists}, visible=visible_sql("m"))


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
    node = parse_query(query_text, now=now)
    scope = scope_of(lists)
    page = min(max(1, page), MAX_PAGE)
    per_page = min(max(1, per_page), MAX_PER_PAGE)
    terms = positive_texts(node)
    order: Order = "rank" if sort == "relevance" and terms else "date"
    backend = backend_for(connection)
    with connection.cursor() as cursor:
        if group == "thread":
            threads, total, exact = _thread_page(backend, cursor, node, scope, order, terms, page, per_page)
            hits: list[SearchHit] = []
        else:
            total = backend.count(cursor, node, scope, COUNT_CAP)
            exact = total <= COUNT_CAP
            found = backend.find(cursor, node, scope, order, per_page, (page - 1) * per_page)
            hits = _hits(found, terms)
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


def _hits(found: list[tuple[int, float | None]], terms: list[Text]) -> list[SearchHit]:
    ids = [pk for pk, _ in found]
    rows = {
        m.pk: m
        for m in Message.objects.visible().filter(pk__in=ids)
        .select_related("mailing_list", "thread")
        .only(
            "pk", "public_id", "message_id", "subject", "sender_name", "sender_email", "date", "body_text",
            "mailing_list__name", "mailing_list__obfuscate_addresses", "thread__public_id", "thread__message_count",
        )
    }
    return [_hit(rows[pk], score, terms) for pk, score in found if pk in rows]


def _hit(message: Message, score: float | None, terms: list[Text]) -> SearchHit:
    present = Presenter.for_list(message.mailing_list)
    address = present.address(message.sender_email)
    return SearchHit(
        pk=message.pk,
        list_name=message.mailing_list.name,
        public_id=message.public_id,
        message_id=message.message_id,
        subject=message.subject,
        subject_html=highlight_line(message.subject or "(no subject)", terms, present=present),
        author=present.author(message.sender_name, message.sender_email),
        address=address,
        date=message.date,
        thread_id=message.thread.public_id,
        thread_size=message.thread.message_count,
        snippet_html=snippet(message.body_text, terms, present=present),
        score=score,
    )


def _thread_page(
    backend: Any, cursor: Any, node: Node, scope: Scope, order: Order, terms: list[Text], page: int, per_page: int
) -> tuple[list[ThreadHit], int, bool]:
    """Threads in the order of their best matching message, among the best GROUP_CANDIDATES."""
    found = backend.find(cursor, node, scope, order, GROUP_CANDIDATES + 1, 0)
    exact = len(found) <= GROUP_CANDIDATES
    found = found[:GROUP_CANDIDATES]
    thread_of = dict(Message.objects.filter(pk__in=[pk for pk, _ in found]).values_list("pk", "thread_id"))
    grouped: dict[int, list[tuple[int, float | None]]] = {}
    for pk, score in found:
        if pk in thread_of:
            grouped.setdefault(thread_of[pk], []).append((pk, score))
    chosen = list(grouped.items())[(page - 1) * per_page : page * per_page]
    best = [hit for _, members in chosen for hit in members[:3]]
    hits = {h.pk: h for h in _hits(best, terms)}
    threads = Thread.objects.select_related("mailing_list").in_bulk([tid for tid, _ in chosen])
    result = []
    for tid, members in chosen:
        thread = threads[tid]
        result.append(
            ThreadHit(
                list_name=thread.mailing_list.name,
                thread_id=thread.public_id,
                subject=thread.subject,
                message_count=thread.message_count,
                first_date=thread.first_date,
                last_date=thread.last_date,
                matches=len(members),
                hits=[hits[pk] for pk, _ in members[:3] if pk in hits],
            )
        )
    return result, len(grouped), exact
