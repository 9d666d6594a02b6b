"""SQL predicates over ``archive_message m`` for what a full-text index cannot answer (id:, thread:),
and for boolean mixes of those with words. Values are always bound parameters (``%s``, Django's
style on every database)."""

from __future__ import annotations

from collections.abc import Callable

from listhaven.search.query import And, MessageIdIs, Node, Not, Or, ThreadIs

# Compiles a full-text-answerable subtree into "m.id IN (...)" with its parameters.
TextSubquery = Callable[[Node], tuple[str, list[object]]]


def predicate(node: Node, text_subquery: TextSubquery, is_text: Callable[[Node], bool]) -> tuple[str, list[object]]:
    if isinstance(node, Not):
        sql, params = predicate(node.child, text_subquery, is_text)
        return f"NOT ({sql})", params
    if is_text(node):
        return text_subquery(node)
    if isinstance(node, MessageIdIs):
        return "m.message_id = %s", [node.message_id]
    if isinstance(node, ThreadIs):
        sql = (
            "m.thread_id IN (SELECT t.id FROM archive_thread t WHERE t.public_id = %s "
            "UNION SELECT a.thread_id FROM archive_threadalias a WHERE a.public_id = %s)"
        )
        return sql, [node.public_id, node.public_id]
    if isinstance(node, (And, Or)):
        joiner = " AND " if isinstance(node, And) else " OR "
        parts = [predicate(c, text_subquery, is_text) for c in node.children]
        return "(" + joiner.join(s for s, _ in parts) + ")", [p for _, ps in parts for p in ps]
    raise ValueError(f"no predicate for {node!r}")
