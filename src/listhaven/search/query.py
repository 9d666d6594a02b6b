"""The search query language, parsed into a small AST.

    fano "exact phrase" (patch OR diff) -draft NOT spam
    from:alice to:bob cc:carol subject:release s:release body:oops b:oops filename:log
    list:ltp has:attachment id:<abc@example.com> thread:ABCD... fano*
    date:2024  date:2019-01..2019-06  date:..2020-03-15  date:2019-05-01..  date:2w..

Free words must all match (AND); ``OR`` binds looser than the implied AND; ``-word`` and ``NOT word``
exclude. Nothing here builds SQL: backends compile the AST, binding every value as a parameter.
Whatever cannot be understood raises `QueryError` with a message saying how to write it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from listhaven.search.dates import DateSyntaxError, parse_date_range

# Text fields: the query prefix and the index columns it searches.
TEXT_FIELDS: dict[str, str] = {
    "from": "sender",
    "to": "recipients",
    "cc": "recipients",
    "subject": "subject",
    "s": "subject",
    "body": "body",
    "b": "body",
    "filename": "filenames",
}
FILTER_FIELDS = ("list", "has", "id", "thread", "date")
KNOWN_FIELDS = tuple(TEXT_FIELDS) + FILTER_FIELDS
MAX_QUERY_LENGTH = 1000
MAX_TERMS = 50


class QueryError(ValueError):
    """A query that cannot be understood; the message says what was wrong and how to write it."""


# --- the AST --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Text:
    """Words to find. `field` is an index field (see TEXT_FIELDS values) or None for the usual text."""

    text: str
    field: str | None = None
    phrase: bool = False
    prefix: bool = False

    def words(self) -> list[str]:
        return WORD.findall(self.text)


@dataclass(frozen=True, slots=True)
class ListIs:
    name: str


@dataclass(frozen=True, slots=True)
class HasAttachment:
    pass


@dataclass(frozen=True, slots=True)
class MessageIdIs:
    message_id: str


@dataclass(frozen=True, slots=True)
class ThreadIs:
    public_id: str


@dataclass(frozen=True, slots=True)
class DateIn:
    """start <= date < end; either bound may be None (open)."""

    start: datetime | None
    end: datetime | None


@dataclass(frozen=True, slots=True)
class Not:
    child: Node


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]


Filter = ListIs | HasAttachment | MessageIdIs | ThreadIs | DateIn
Node = Text | Filter | Not | And | Or

# Characters the index tokenizer (unicode61) keeps: letters and digits; everything else separates.
WORD = re.compile(r"[^\W_]+")


def is_text_only(node: Node) -> bool:
    """True when the subtree holds only words (so one full-text expression can answer it)."""
    if isinstance(node, Text):
        return True
    if isinstance(node, Not):
        return is_text_only(node.child)
    if isinstance(node, (And, Or)):
        return all(is_text_only(c) for c in node.children)
    return False


def positive_texts(node: Node) -> list[Text]:
    """The words a hit is expected to contain (for highlighting): every Text not under a Not."""
    if isinstance(node, Text):
        return [node]
    if isinstance(node, (And, Or)):
        return [t for c in node.children for t in positive_texts(c)]
    return []


def conjuncts(node: Node) -> list[Node]:
    return list(node.children) if isinstance(node, And) else [node]


# --- tokens ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "(", ")", "OR", "AND", "NOT", "-", "term"
    position: int
    field: str | None = None
    value: str = ""
    phrase: bool = False


_FIELD = re.compile(r"([A-Za-z]+):")


def _tokens(text: str) -> Iterator[_Token]:
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            yield _Token(ch, i)
            i += 1
        elif ch == "-" and i + 1 < n and not text[i + 1].isspace() and text[i + 1] != ")":
            yield _Token("-", i)
            i += 1
        else:
            token, i = _term(text, i)
            yield token


def _term(text: str, start: int) -> tuple[_Token, int]:
    field = None
    i = start
    m = _FIELD.match(text, i)
    if m:
        field = m.group(1).lower()
        if field not in KNOWN_FIELDS:
            raise QueryError(
                f"Unknown field “{m.group(1)}:”. Known fields: {', '.join(f + ':' for f in KNOWN_FIELDS)}. "
                f"To search for the text itself, put it in quotes: \"{_word_at(text, start)}\"."
            )
        i = m.end()
    if i < len(text) and text[i] == '"':
        end = text.find('"', i + 1)
        if end < 0:
            raise QueryError(
                f"Unbalanced quotes: the phrase starting at character {i + 1} has no closing \". "
                'Write phrases as "exact words".'
            )
        value, i = text[i + 1 : end], end + 1
        if i < len(text) and text[i] == "*":
            return _Token("term", start, field, value + "*", phrase=True), i + 1
        return _Token("term", start, field, value, phrase=True), i
    end = i
    while end < len(text) and not text[end].isspace() and text[end] not in '()"':
        end += 1
    value = text[i:end]
    if field is not None and not value:
        raise QueryError(f"“{field}:” needs a value right after the colon, e.g. {_example(field)}.")
    if field is None and value in ("OR", "AND", "NOT"):
        return _Token(value, start), end
    return _Token("term", start, field, value), end


def _word_at(text: str, start: int) -> str:
    end = start
    while end < len(text) and not text[end].isspace():
        end += 1
    return text[start:end].replace('"', "")


_EXAMPLES = {
    "from": "from:alice or from:alice@example.com",
    "to": "to:bob",
    "cc": "cc:bob",
    "subject": 'subject:release or subject:"release notes"',
    "s": "s:release",
    "body": 'body:"segmentation fault"',
    "b": "b:oops",
    "filename": "filename:config.log",
    "list": "list:ltp",
    "has": "has:attachment",
    "id": "id:<1234@example.com>",
    "thread": "thread:ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
    "date": "date:2024, date:2019-01..2019-06, date:..2020-03-15 or date:2w..",
}


def _example(field: str) -> str:
    return _EXAMPLES.get(field, field + ":value")


# --- the parser -----------------------------------------------------------------------------


class _Parser:
    """Recursive descent over the tokens: or := and ("OR" and)*; and := unary+; unary := ("-"|"NOT") unary | atom."""

    def __init__(self, tokens: list[_Token], now: datetime) -> None:
        self.tokens = tokens
        self.pos = 0
        self.now = now
        self.depth = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def parse(self) -> Node | None:
        node = self.or_expr()
        token = self.peek()
        if token is not None:  # only a stray ")" stops or_expr early
            raise QueryError(
                f"Unbalanced parentheses: the “)” at character {token.position + 1} closes nothing. "
                "Write groups as (patch OR diff)."
            )
        return node

    def or_expr(self) -> Node | None:
        parts = [self.and_expr()]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.take()
            if self.peek() is None or self.peek().kind in (")", "OR"):  # type: ignore[union-attr]
                raise QueryError("“OR” needs something on both sides, e.g. patch OR diff.")
            parts.append(self.and_expr())
        if parts[0] is None and len(parts) > 1:
            raise QueryError("“OR” needs something on both sides, e.g. patch OR diff.")
        kept = [p for p in parts if p is not None]
        if not kept:
            return None
        return kept[0] if len(kept) == 1 else Or(tuple(kept))

    def and_expr(self) -> Node | None:
        parts: list[Node] = []
        while (token := self.peek()) is not None and token.kind not in (")", "OR"):
            if token.kind == "AND":
                self.take()
                continue
            node = self.unary()
            if node is not None:
                parts.append(node)
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def unary(self) -> Node | None:
        token = self.take()
        if token.kind in ("-", "NOT"):
            nxt = self.peek()
            if nxt is None or nxt.kind in (")", "OR", "AND"):
                raise QueryError(f"“{token.kind}” must be followed by what to exclude, e.g. -draft or NOT draft.")
            child = self.unary()
            if child is None:
                return None
            return child.child if isinstance(child, Not) else Not(child)
        if token.kind == "(":
            return self.group(token)
        if token.kind == ")":
            raise QueryError(f"Unbalanced parentheses at character {token.position + 1}.")
        return self.term(token)

    def group(self, opening: _Token) -> Node | None:
        self.depth += 1
        if self.depth > 20:
            raise QueryError("Too many nested parentheses (at most 20).")
        node = self.or_expr()
        closing = self.peek()
        if closing is None or closing.kind != ")":
            raise QueryError(
                f"Unbalanced parentheses: the “(” at character {opening.position + 1} is never closed. "
                "Write groups as (patch OR diff)."
            )
        self.take()
        self.depth -= 1
        return node

    def term(self, token: _Token) -> Node | None:
        field, value = token.field, token.value
        if field in TEXT_FIELDS or field is None:
            return _text(value, TEXT_FIELDS.get(field or ""), token.phrase)
        if field == "list":
            return ListIs(value.strip().lower())
        if field == "has":
            if value.lower() not in ("attachment", "attachments"):
                raise QueryError(f"“has:{value}” is not known; the only one is has:attachment.")
            return HasAttachment()
        if field == "id":
            message_id = value.strip().strip("<>").strip()
            if not message_id:
                raise QueryError("“id:” needs a Message-ID, e.g. id:<1234@example.com>.")
            return MessageIdIs(message_id)
        if field == "thread":
            return ThreadIs(value.strip().upper())
        try:
            start, end = parse_date_range(value, self.now)
        except DateSyntaxError as exc:
            raise QueryError(f"{exc} Write dates as {_example('date')}.") from exc
        return DateIn(start, end)


def _text(value: str, field: str | None, phrase: bool) -> Text | None:
    prefix = value.endswith("*")
    if prefix:
        value = value.rstrip("*")
        if not WORD.search(value):
            raise QueryError("“*” matches words starting with what comes before it, e.g. fano* — it needs a letter.")
    if "*" in value:
        raise QueryError("“*” may only end a word, e.g. fano*.")
    if not WORD.search(value):
        return None  # punctuation only: the index holds no such token, so it constrains nothing
    return Text(value, field, phrase or len(WORD.findall(value)) > 1, prefix)


def _check_negations(node: Node) -> None:
    """Every exclusion needs something positive beside it: "-draft" alone would list the whole archive."""
    if isinstance(node, Not):
        raise QueryError(
            "A query cannot only exclude: say what to find as well, e.g. patch -draft (not just -draft)."
        )
    if isinstance(node, Or):
        for child in node.children:
            if isinstance(child, Not):
                raise QueryError("“OR” cannot join an exclusion: write (patch OR diff) -draft, not patch OR -draft.")
            _check_negations(child)
    if isinstance(node, And):
        if all(isinstance(c, Not) for c in node.children):
            raise QueryError(
                "A query cannot only exclude: say what to find as well, e.g. patch -draft (not just -draft)."
            )
        for child in node.children:
            _check_negations(child.child if isinstance(child, Not) else child)


def _count_terms(node: Node) -> int:
    if isinstance(node, Not):
        return _count_terms(node.child)
    if isinstance(node, (And, Or)):
        return sum(_count_terms(c) for c in node.children)
    return 1


def parse_query(text: str, now: datetime | None = None) -> Node:
    """The AST of a query. `now` anchors relative dates (date:2w..); it defaults to the current time."""
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(f"The query is too long (at most {MAX_QUERY_LENGTH} characters).")
    now = now or datetime.now(UTC)
    node = _Parser(list(_tokens(text)), now).parse()
    if node is None:
        raise QueryError('Nothing to search for: type some words, a "phrase" or a field such as from:alice.')
    if _count_terms(node) > MAX_TERMS:
        raise QueryError(f"Too many terms (at most {MAX_TERMS}).")
    _check_negations(node)
    return node
