"""Compiles the query AST into an FTS5 MATCH expression.

Every word the reader typed becomes an FTS5 string ("..." with inner quotes doubled), so nothing
typed can change the expression's structure. Lists, dates and attachments are answered inside the
same expression through the ``facets`` column, which holds tokens such as ``l12 att y2019 m201905
d20190501``: the index intersects them with the words in C, far faster than joining rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from listhaven.search.query import (
    And,
    DateIn,
    HasAttachment,
    ListIs,
    Node,
    Not,
    Or,
    Text,
)

# Columns searched by a word without a field: not recipients (every message is "to" its list).
FREE_COLUMNS = ("subject", "sender", "body", "quoted", "filenames")
FIELD_COLUMNS = {
    "subject": ("subject",),
    "sender": ("sender",),
    "recipients": ("recipients",),
    "body": ("body", "quoted"),
    "filenames": ("filenames",),
}
NEVER = '{facets} : "none0"'  # a facet no message has
ATTACHMENT_TOKEN = "att"


def list_token(list_id: int) -> str:
    return f"l{list_id}"


def date_tokens_of(moment: datetime) -> list[str]:
    return [f"y{moment:%Y}", f"m{moment:%Y%m}", f"d{moment:%Y%m%d}"]


def facets_of(list_id: int, moment: datetime, has_attachments: bool) -> str:
    """The facets column of one message (its date in UTC)."""
    tokens = [list_token(list_id), *date_tokens_of(moment)]
    if has_attachments:
        tokens.append(ATTACHMENT_TOKEN)
    return " ".join(tokens)


def quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


@dataclass
class MatchContext:
    """What compiling needs from the store: list ids by name and the years that hold messages."""

    list_ids: dict[str, int]
    years: Callable[[], tuple[int, int] | None]
    _years: tuple[int, int] | None = field(default=None, init=False)
    _years_known: bool = field(default=False, init=False)

    def year_span(self) -> tuple[int, int] | None:
        if not self._years_known:
            self._years, self._years_known = self.years(), True
        return self._years


def is_fts(node: Node) -> bool:
    """True when a subtree can be answered by one MATCH expression (words, lists, dates, attachments)."""
    if isinstance(node, (Text, ListIs, DateIn, HasAttachment)):
        return True
    if isinstance(node, Not):
        return is_fts(node.child)
    if isinstance(node, (And, Or)):
        return all(is_fts(c) for c in node.children)
    return False


def compile_match(node: Node, context: MatchContext) -> str:
    """The MATCH expression of an FTS-answerable subtree whose top is positive."""
    if isinstance(node, Text):
        return _text(node)
    if isinstance(node, ListIs):
        list_id = context.list_ids.get(node.name)
        return NEVER if list_id is None else "{facets} : " + quote(list_token(list_id))
    if isinstance(node, HasAttachment):
        return "{facets} : " + quote(ATTACHMENT_TOKEN)
    if isinstance(node, DateIn):
        return _dates(node, context)
    if isinstance(node, Or):
        return "(" + " OR ".join(compile_match(c, context) for c in node.children) + ")"
    if isinstance(node, And):
        return compile_conjunction(node.children, context)
    raise ValueError(f"cannot compile {node!r} on its own")


def compile_conjunction(parts: Iterable[Node], context: MatchContext) -> str:
    """Positive parts joined by AND, then the exclusions: (a AND b) NOT (c OR d)."""
    parts = list(parts)
    positive = [compile_match(p, context) for p in parts if not isinstance(p, Not)]
    negative = [compile_match(p.child, context) for p in parts if isinstance(p, Not)]
    if not positive:
        raise ValueError("a conjunction needs a positive part")
    expression = "(" + " AND ".join(positive) + ")"
    if negative:
        expression += " NOT (" + " OR ".join(negative) + ")"
    return expression


def _text(node: Text) -> str:
    columns = FIELD_COLUMNS[node.field] if node.field else FREE_COLUMNS
    # The words joined by spaces: a phrase of the tokens, as the tokenizer will split them.
    phrase = quote(" ".join(node.words()))
    if node.prefix:
        phrase += " *"
    return "{" + " ".join(columns) + "} : " + phrase


def _dates(node: DateIn, context: MatchContext) -> str:
    span = context.year_span()
    if span is None:
        return NEVER
    first = date(span[0], 1, 1)
    after = date(span[1] + 1, 1, 1)
    start = max(node.start.date(), first) if node.start else first
    end = min(_ceil_day(node.end), after) if node.end else after
    tokens = period_tokens(start, end)
    if not tokens:
        return NEVER
    return "{facets} : (" + " OR ".join(quote(t) for t in tokens) + ")"


def _ceil_day(moment: datetime) -> date:
    day = moment.date()
    return day if moment == datetime.combine(day, datetime.min.time(), moment.tzinfo) else day + timedelta(days=1)


def period_tokens(start: date, end: date) -> list[str]:
    """The fewest year/month/day tokens covering [start, end)."""
    tokens: list[str] = []
    day = start
    while day < end:
        next_year = date(day.year + 1, 1, 1)
        next_month = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
        if day.month == 1 and day.day == 1 and next_year <= end:
            tokens.append(f"y{day:%Y}")
            day = next_year
        elif day.day == 1 and next_month <= end:
            tokens.append(f"m{day:%Y%m}")
            day = next_month
        else:
            tokens.append(f"d{day:%Y%m%d}")
            day += timedelta(days=1)
    return tokens
