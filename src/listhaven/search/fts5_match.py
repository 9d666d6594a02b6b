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
    positive_texts,
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
    year = moment.year
    if year >= 1000:  # %Y is then the year's four digits: formatted as numbers, a sixth of strftime's time
        month, day = moment.month, moment.day
        return [f"y{year}", f"m{year}{month:02d}", f"d{year}{month:02d}{day:02d}"]
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
    """What compiling needs from the store: list ids by name, and the dates of the first and last
    messages of the searched lists (UTC; None when they hold none), asked for once and only when a
    date: needs them."""

    list_ids: dict[str, int]
    dates: Callable[[], tuple[datetime, datetime] | None]
    # The indexed words starting with a prefix (lower-case ASCII), or None when there are too many
    # to list (the prefix is then left to FTS5, which merges their posting lists on each reading).
    words_starting: Callable[[str], list[str] | None] | None = None
    _span: tuple[datetime, datetime] | None = field(default=None, init=False)
    _span_known: bool = field(default=False, init=False)
    _expanded: dict[str, list[str] | None] = field(default_factory=dict, init=False)

    def date_span(self) -> tuple[datetime, datetime] | None:
        if not self._span_known:
            self._span, self._span_known = self.dates(), True
        return self._span

    def covers_all(self, node: DateIn) -> bool:
        """True when the range holds every searched message, so that it restricts nothing: as
        tokens it would be the years of the whole archive, whose posting lists name every message."""
        span = self.date_span()
        if span is None:
            return False
        return (node.start is None or node.start <= span[0]) and (node.end is None or node.end > span[1])

    def expansion(self, node: Text) -> list[str] | None:
        """The words a prefix stands for, asked for once per prefix; None when it stays a prefix
        (too many words, a non-ASCII prefix whose folding only the tokenizer knows, no lookup)."""
        words = node.words()
        last = words[-1].lower() if words else ""
        if not node.prefix or self.words_starting is None or not last.isascii():
            return None
        if last not in self._expanded:
            self._expanded[last] = self.words_starting(last)
        return self._expanded[last]


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
        return _text(node, context)
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


def ranking_expression(node: Node, context: MatchContext, *, columns: bool = True) -> str | None:
    """The wanted words of an FTS-answerable query as one OR (None when it has none): ranking by
    it gives a message that matches the query the score the whole expression would, since bm25
    adds a score per phrase and the others (facets, weight 0; exclusions, absent) add nothing.
    Without `columns`, the words without their column filter (see ranking_columns)."""
    texts = positive_texts(node)
    return " OR ".join(_text(t, context, columns=columns) for t in texts) if texts else None


def ranking_columns(node: Node) -> tuple[str, ...] | None:
    """The columns every wanted word of the query is searched in, when they are the same for all
    (free words, or one field), else None."""
    sets = {FIELD_COLUMNS[t.field] if t.field else FREE_COLUMNS for t in positive_texts(node)}
    return sets.pop() if len(sets) == 1 else None


def words_only(node: Node) -> bool:
    """True when the expression is made of wanted words alone (AND, OR; nothing excluded)."""
    if isinstance(node, Text):
        return True
    if isinstance(node, (And, Or)):
        return all(words_only(c) for c in node.children)
    return False


def compile_conjunction(parts: Iterable[Node], context: MatchContext) -> str:
    """Positive parts joined by AND, then the exclusions: (a AND b) NOT (c OR d)."""
    parts = list(parts)
    if any(isinstance(p, Not) and isinstance(p.child, DateIn) and context.covers_all(p.child) for p in parts):
        return NEVER
    kept = [p for p in parts if not (isinstance(p, DateIn) and context.covers_all(p))]
    if any(not isinstance(p, Not) for p in kept):
        parts = kept  # a range over the whole archive restricts nothing beside another condition
    positive = [compile_match(p, context) for p in parts if not isinstance(p, Not)]
    negative = [compile_match(p.child, context) for p in parts if isinstance(p, Not)]
    if not positive:
        raise ValueError("a conjunction needs a positive part")
    expression = "(" + " AND ".join(positive) + ")"
    if negative:
        expression += " NOT (" + " OR ".join(negative) + ")"
    return expression


def _text(node: Text, context: MatchContext | None = None, *, columns: bool = True) -> str:
    names = FIELD_COLUMNS[node.field] if node.field else FREE_COLUMNS
    columns_ = "{" + " ".join(names) + "} : " if columns else ""
    words = node.words()
    expansion = context.expansion(node) if context is not None else None
    if expansion is not None:
        # A prefix as the words it stands for: FTS5 reads their posting lists as it goes, where
        # a prefix query (no prefix index) first merges them whole, on every reading of it. One
        # word gives the prefix's matches and bm25 scores exactly; several, the same matches.
        if not expansion:
            return NEVER
        phrases = [quote(" ".join([*words[:-1], word])) for word in expansion]
        return columns_ + (phrases[0] if len(phrases) == 1 else "(" + " OR ".join(phrases) + ")")
    # The words joined by spaces: a phrase of the tokens, as the tokenizer will split them.
    phrase = quote(" ".join(words))
    if node.prefix:
        phrase += " *"
    return columns_ + phrase


def _dates(node: DateIn, context: MatchContext) -> str:
    span = context.date_span()
    if span is None:
        return NEVER
    first = date(span[0].year, 1, 1)
    after = date(span[1].year + 1, 1, 1)
    start = max(node.start.date(), first) if node.start else first
    end = min(ceil_day(node.end), after) if node.end else after
    tokens = period_tokens(start, end)
    if not tokens:
        return NEVER
    return "{facets} : (" + " OR ".join(quote(t) for t in tokens) + ")"


def ceil_day(moment: datetime) -> date:
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
