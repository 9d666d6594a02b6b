"""Compiles the query AST for PostgreSQL: words become a ``tsquery`` (written in its input syntax
from lexemes folded by pg_document, so PostgreSQL's parser never splits them differently), filters
become SQL over ``search_document d``.

Every value is a bound parameter, the tsquery included (``%s::tsquery``); the lexemes inside it
are quoted, so nothing typed can change its structure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any

from listhaven.search.pg_document import FILENAME, PAIRS_CUT, RECIPIENT, SENDER, SUBJECT, pair, quote_lexeme, words
from listhaven.search.predicates import THREAD_IDS_SQL, date_range
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
    is_text_only,
    positive_texts,
)

# A lexeme no document holds (pg_document never writes a bare "~").
NEVER = "'~'"
# Which lexemes a field's words are: (prefix, weights) alternatives; "" weights means any.
FIELD_LEXEMES: dict[str | None, tuple[tuple[str, str], ...]] = {
    None: (("", ""), (FILENAME, "")),
    "subject": ((SUBJECT, ""),),
    "sender": ((SENDER, ""),),
    "body": (("", "CD"),),
    "filenames": ((FILENAME, ""),),
    "recipients": ((RECIPIENT, ""),),
}


# A prefix's words, read from the vocabulary (postgres.PostgresBackend.prefix_words): the prefix's
# lexeme (``~frhubar``) -> every lexeme of the index it starts. A prefix not named keeps ``:*``.
PrefixWords = Mapping[str, Sequence[str]]


def prefix_lexemes(node: Node) -> list[str]:
    """The lexemes the prefixes of a query start (each Text written with ``*``, under a Not too),
    in every place its field covers: what PostgresBackend.prefix_words looks up."""
    if isinstance(node, Text):
        found = words(node.text)
        if not node.prefix or not found:
            return []
        return [prefix + found[-1] for prefix, _ in FIELD_LEXEMES[node.field]]
    if isinstance(node, Not):
        return prefix_lexemes(node.child)
    if isinstance(node, (And, Or)):
        return [lexeme for c in node.children for lexeme in prefix_lexemes(c)]
    return []


# The places whose words are also written bare, in the subject, sender and text (pg_document.PAIR):
# there each two words that follow each other are a pair lexeme.
PAIRED = ("", SUBJECT, SENDER)


def text_tsquery(node: Text, prefix_words: PrefixWords | None = None, pairs: bool = False) -> str:
    """The words of one Text as a phrase (``<->``) in each place its field covers. A prefix found
    in `prefix_words` becomes the OR of the words it starts (none: a lexeme no document holds),
    which the GIN index reads like any word (a ``:*`` entry is read in full, whatever else the
    query asks), with the same matches. With `pairs` (matching, not ranking: a head holds no
    pairs), a phrase is asked for by its pairs of words too (_paired)."""
    found = words(node.text)
    if not found:
        return NEVER
    alternatives = []
    for prefix, weights in FIELD_LEXEMES[node.field]:
        terms = []
        for i, word in enumerate(found):
            star = "*" if node.prefix and i == len(found) - 1 else ""
            expanded = prefix_words.get(prefix + word) if star and prefix_words else None
            if expanded is not None:
                label = ":" + weights if weights else ""
                terms.append("(" + " | ".join(quote_lexeme(w) + label for w in expanded) + ")" if expanded else NEVER)
                continue
            label = ":" + star + weights if star or weights else ""
            terms.append(quote_lexeme(prefix + word) + label)
        phrase = " <-> ".join(terms)
        if pairs and prefix in PAIRED:
            phrase = _paired(phrase, found[:-1] if node.prefix else found, exact=not prefix and not weights)
        alternatives.append(phrase)
    if len(alternatives) == 1:
        return "(" + alternatives[0] + ")"
    return "(" + " | ".join("(" + a + ")" for a in alternatives) + ")"


def _paired(phrase: str, found: list[str], exact: bool) -> str:
    """A phrase of positions (`phrase`, of the words `found`: a prefix's last word left out) with
    its pairs (pg_document.PAIR). The GIN index finds a pair's vectors without reading them, where
    a phrase of positions is checked against every vector holding its words. A phrase of two bare
    words (`exact`) is its pair alone, but in a vector whose pairs stopped short (PAIRS_CUT), where
    it is checked by positions; any other (more words, a field, a prefix) must hold its pairs and is
    checked by positions among the vectors that do. A pair too long to be written leaves the
    phrase as it was."""
    lexemes = []
    for first, second in pairwise(found):
        lexeme = pair(first, second)
        if lexeme is None:
            return phrase
        lexemes.append(quote_lexeme(lexeme))
    if not lexemes:
        return phrase
    held = " & ".join(lexemes)
    held = f"({held})" if len(lexemes) > 1 else held
    cut = quote_lexeme(PAIRS_CUT)
    if exact and len(lexemes) == 1:
        return f"{held} | ({cut} & {phrase})"
    return f"({held} | {cut}) & {phrase}"


def tsquery(node: Node, prefix_words: PrefixWords | None = None, pairs: bool = False) -> str:
    """The tsquery of a subtree holding only words (query.is_text_only)."""
    if isinstance(node, Text):
        return text_tsquery(node, prefix_words, pairs)
    if isinstance(node, Not):
        return "!" + tsquery(node.child, prefix_words, pairs)
    if isinstance(node, (And, Or)):
        joiner = " & " if isinstance(node, And) else " | "
        return "(" + joiner.join(tsquery(c, prefix_words, pairs) for c in node.children) + ")"
    raise ValueError(f"{node!r} is not made of words")


def rank_tsquery(node: Node) -> str | None:
    """Every word a hit is expected to hold, any of them counting towards its rank."""
    texts = positive_texts(node)
    return " | ".join(text_tsquery(t) for t in texts) if texts else None


@dataclass(frozen=True)
class Compiler:
    """SQL over ``search_document d`` for any subtree; `adapt_datetime` is the connection's."""

    list_ids: dict[str, int]
    adapt_datetime: Callable[[datetime], Any]
    prefix_words: PrefixWords | None = None

    def where(self, node: Node) -> tuple[str, list[object]]:
        if is_text_only(node):
            return "d.document @@ %s::tsquery", [tsquery(node, self.prefix_words, pairs=True)]
        if isinstance(node, Not):
            sql, params = self.where(node.child)
            return f"NOT ({sql})", params
        if isinstance(node, (And, Or)):
            return self._junction(node)
        if isinstance(node, ListIs):
            list_id = self.list_ids.get(node.name)
            return ("FALSE", []) if list_id is None else ("d.list_id = %s", [list_id])
        if isinstance(node, HasAttachment):
            return "d.has_attachment", []
        if isinstance(node, DateIn):
            return self._dates(node)
        if isinstance(node, MessageIdIs):
            return "d.message_id IN (SELECT m.id FROM archive_message m WHERE m.message_id = %s)", [node.message_id]
        if isinstance(node, ThreadIs):
            sql = f"d.message_id IN (SELECT m.id FROM archive_message m WHERE m.thread_id IN ({THREAD_IDS_SQL}))"
            return sql, [node.public_id, node.public_id]
        raise ValueError(f"no SQL for {node!r}")

    def _junction(self, node: And | Or) -> tuple[str, list[object]]:
        """Children made only of words share one tsquery (one index probe); the rest are SQL."""
        joiner, ts_joiner = (" AND ", " & ") if isinstance(node, And) else (" OR ", " | ")
        words_only = [c for c in node.children if is_text_only(c)]
        parts: list[tuple[str, list[object]]] = []
        if words_only:
            joined = ts_joiner.join(tsquery(c, self.prefix_words, pairs=True) for c in words_only)
            parts.append(("d.document @@ %s::tsquery", ["(" + joined + ")"]))
        parts += [self.where(c) for c in node.children if not is_text_only(c)]
        return "(" + joiner.join(s for s, _ in parts) + ")", [p for _, ps in parts for p in ps]

    def _dates(self, node: DateIn) -> tuple[str, list[object]]:
        return date_range("d.date", node, self.adapt_datetime)
