"""SQL predicates over ``archive_message m`` for what a full-text index cannot answer (id:, thread:),
and for boolean mixes of those with words. Values are always bound parameters (``%s``, Django's
style on every database)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from listhaven.search.query import (
    And,
    DateIn,
    HasAttachment,
    ListIs,
    MessageIdIs,
    Node,
    Not,
    Or,
    Text,
    ThreadIs,
)

# Compiles a full-text-answerable subtree into "m.id IN (...)" with its parameters.
TextSubquery = Callable[[Node], tuple[str, list[object]]]


@dataclass(frozen=True)
class Values:
    """How filter values become parameters: list ids by name, the database's datetime format."""

    list_ids: dict[str, int]
    adapt_datetime: Callable[[datetime], Any]


def has_text(node: Node) -> bool:
    if isinstance(node, Text):
        return True
    if isinstance(node, Not):
        return has_text(node.child)
    if isinstance(node, (And, Or)):
        return any(has_text(c) for c in node.children)
    return False


def filter_predicate(node: ListIs | DateIn | HasAttachment, values: Values) -> tuple[str, list[object]]:
    """SQL for the filters the index could also answer, used when a query has no words at all
    (then the message table's (list, date) index is the faster way)."""
    if isinstance(node, ListIs):
        list_id = values.list_ids.get(node.name)
        return ("1 = 0", []) if list_id is None else ("m.mailing_list_id = %s", [list_id])
    if isinstance(node, HasAttachment):
        return "m.has_attachments = %s", [True]
    return date_range("m.date", node, values.adapt_datetime)


# The threads a thread: query names: the thread with that public id, or the one it was merged into.
THREAD_IDS_SQL = (
    "SELECT t.id FROM archive_thread t WHERE t.public_id = %s "
    "UNION SELECT a.thread_id FROM archive_threadalias a WHERE a.public_id = %s"
)


def date_range(column: str, node: DateIn, adapt_datetime: Callable[[datetime], Any]) -> tuple[str, list[object]]:
    """SQL for a date: range over `column` (start inclusive, end exclusive; either may be open)."""
    clauses, params = [], []
    if node.start is not None:
        clauses.append(f"{column} >= %s")
        params.append(adapt_datetime(node.start))
    if node.end is not None:
        clauses.append(f"{column} < %s")
        params.append(adapt_datetime(node.end))
    return "(" + " AND ".join(clauses or ["1 = 1"]) + ")", params


def predicate(
    node: Node, text_subquery: TextSubquery, is_text: Callable[[Node], bool], values: Values | None = None
) -> tuple[str, list[object]]:
    if isinstance(node, Not):
        sql, params = predicate(node.child, text_subquery, is_text, values)
        return f"NOT ({sql})", params
    if values is not None and isinstance(node, (ListIs, DateIn, HasAttachment)):
        return filter_predicate(node, values)
    if is_text(node):
        return text_subquery(node)
    if isinstance(node, MessageIdIs):
        return "m.message_id = %s", [node.message_id]
    if isinstance(node, ThreadIs):
        return f"m.thread_id IN ({THREAD_IDS_SQL})", [node.public_id, node.public_id]
    if isinstance(node, (And, Or)):
        joiner = " AND " if isinstance(node, And) else " OR "
        parts = [predicate(c, text_subquery, is_text, values) for c in node.children]
        return "(" + joiner.join(s for s, _ in parts) + ")", [p for _, ps in parts for p in ps]
    raise ValueError(f"no predicate for {node!r}")
