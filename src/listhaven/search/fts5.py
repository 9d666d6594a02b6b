"""SQLite FTS5 search index, the embedded default.

Contentless (``content=''``): the text lives once, in the message table; the index holds only
tokens. Rows are removed with FTS5's 'delete' command, which needs the indexed values back, so
documents are always rebuilt from the message by `documents.document_for_message` (SQLite 3.40
has no contentless_delete).

Besides the text columns, ``facets`` holds the message's list, date and attachment tokens
(fts5_match.facets_of), read from the stored message row when it is indexed or removed; that lets
one MATCH answer ``list:``, ``date:`` and ``has:`` together with the words.

Ranking: bm25 with the column weights of RANK below (stored in the table's 'rank' option, so
``ORDER BY rank`` uses them). A query matching more than RANK_CANDIDATES messages is ranked among
its RANK_CANDIDATES most recently stored matches: bm25 over a whole archive's worth of common-word
matches costs hundreds of milliseconds and tells little apart.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from listhaven.search.base import Order, Placement, Scope, SearchDocument
from listhaven.search.fts5_match import (
    MatchContext,
    ceil_day,
    compile_conjunction,
    compile_match,
    facets_of,
    is_fts,
    list_token,
    period_tokens,
    quote,
    ranking_columns,
    ranking_expression,
    words_only,
)
from listhaven.search.predicates import Values, has_text, predicate
from listhaven.search.query import DateIn, Node, Not, conjuncts, positive_texts

TABLE = "search_fts"
VOCAB = "search_fts_vocab"
# One row per occurrence of a word, in the index's order of words: read lazily, so the first row at
# or after a prefix is a seek, where VOCAB first adds up the word's whole posting list.
WORDS = "search_fts_words"
# A prefix standing for at most this many indexed words is searched as those words (fts5_match).
PREFIX_WORDS = 32
COLUMNS = ("subject", "sender", "recipients", "body", "quoted", "filenames", "facets")
# subject, sender, recipients, body, quoted, filenames, facets
WEIGHTS = {"subject": 10.0, "sender": 8.0, "recipients": 2.0, "body": 1.0, "quoted": 0.3, "filenames": 3.0,
           "facets": 0.0}  # fmt: skip
RANK = "bm25(" + ", ".join(str(WEIGHTS[c]) for c in COLUMNS) + ")"
RANK_CANDIDATES = 5000
# Up to this many matches, "newest first" joins and sorts them all; beyond, it walks back in time.
DIRECT_DATE_SORT = 2000
_CHUNK = 500
# Ranking candidates by their words alone reads the words over the candidates' span of ids: done
# while that span holds at most this many word matches per candidate, plus the slack. Reading a
# match costs ~0.2 us there, counting the messages of a list's token for bm25 ~0.1 us a message:
# past the bound the counting is the cheaper, and the probe that tells costs at most ~3 ms.
SPAN_PER_CANDIDATE = 4
SPAN_SLACK = 20_000


class Fts5Backend:
    vendor = "sqlite"

    def create_schema(self, cursor: Any) -> None:
        cursor.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5("
            + ", ".join(COLUMNS)
            + ", content='', tokenize='unicode61 remove_diacritics 2')"
        )
        cursor.execute(f"INSERT INTO {TABLE}({TABLE}, rank) VALUES ('rank', %s)", [RANK])
        # No prefix indexes (prefix='2 3' doubled the cost of indexing and the index's size; a
        # prefix query scans the term range instead), a 16 MB in-memory term buffer and merges
        # of 8 segments at a time instead of 4, so a big import writes fewer, larger segments
        # and merges less. Measured on the ltp archive: 8.1 s -> 2.7 s to index 35,114 messages.
        cursor.execute(f"INSERT INTO {TABLE}({TABLE}, rank) VALUES ('hashsize', %s)", [16 * 1024 * 1024])
        cursor.execute(f"INSERT INTO {TABLE}({TABLE}, rank) VALUES ('automerge', 8)")
        cursor.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {VOCAB} USING fts5vocab({TABLE}, 'col')")
        create_words_table(cursor)

    def drop_schema(self, cursor: Any) -> None:
        cursor.execute(f"DROP TABLE IF EXISTS {WORDS}")
        cursor.execute(f"DROP TABLE IF EXISTS {VOCAB}")
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")

    def index(
        self, cursor: Any, documents: Sequence[SearchDocument], placements: Sequence[Placement] | None = None
    ) -> None:
        if placements is None:
            facets = _facets(cursor, [d.rowid for d in documents])
        else:  # as `_facets` would read them back from the rows just written
            facets = {d.rowid: _placement_facets(p) for d, p in zip(documents, placements)}
        cursor.executemany(
            f"INSERT INTO {TABLE}(rowid, {', '.join(COLUMNS)}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            [(*d, facets.get(d.rowid, "")) for d in documents],
        )

    def remove(self, cursor: Any, documents: Sequence[SearchDocument]) -> None:
        facets = _facets(cursor, [d.rowid for d in documents])
        cursor.executemany(
            f"INSERT INTO {TABLE}({TABLE}, rowid, {', '.join(COLUMNS)}) "
            "VALUES ('delete', %s, %s, %s, %s, %s, %s, %s, %s)",
            [_values(d, facets.get(d.rowid, "")) for d in documents],
        )

    # --- reading ----------------------------------------------------------------------------

    def find(
        self, cursor: Any, node: Node, scope: Scope, order: Order, limit: int, offset: int = 0
    ) -> list[tuple[int, float | None]]:
        if not scope.list_ids:
            return []
        context = self._context(cursor, scope)
        match, where, params = self._plan(cursor, node, scope, context)
        if match is not None and not where and order == "rank":
            return self._ranked(cursor, node, scope, context, match, limit, offset)
        if match is not None and order == "date" and self.count(cursor, node, scope, DIRECT_DATE_SORT) > DIRECT_DATE_SORT:
            return self._newest_by_period(cursor, node, scope, match, where, params, limit, offset)
        if match is not None:
            return self._joined(cursor, match, where, params, order, limit, offset)
        sql = f"SELECT m.id FROM archive_message m WHERE 1 = 1 {where} ORDER BY m.date DESC, m.id DESC LIMIT %s OFFSET %s"
        cursor.execute(sql, [*params, limit, offset])
        return [(int(r), None) for (r,) in cursor.fetchall()]

    def _ranked(
        self, cursor: Any, node: Node, scope: Scope, context: MatchContext, match: str, limit: int, offset: int
    ) -> list[tuple[int, float | None]]:
        """The best of the newest RANK_CANDIDATES matches.

        bm25 first counts, over the whole index, the messages holding each phrase of the
        expression: for list, date and attachment tokens and for excluded words that is work
        spent on phrases that score nothing (their weight is 0 or they never occur in a match),
        7-25 ms a search at a million messages. So when the expression has such phrases the
        candidates are found first, without ranking, and then ranked by an expression of the
        wanted words alone, which gives every candidate the same score."""
        words = ranking_expression(node, context)
        if words is not None and not (scope.everything and words_only(node)) and not _has_prefix(node, context):
            columns = ranking_columns(node)
            if columns is not None:  # the words without their column filter, the other columns weighing 0
                words = ranking_expression(node, context, columns=False) or words
            found = self._ranked_by_words(cursor, match, words, limit, offset, _bm25(columns))
            if found is not None:
                return found
        sql = (
            f"SELECT rowid, rank FROM (SELECT rowid, rank FROM {TABLE} WHERE {TABLE} MATCH %s "
            "ORDER BY rowid DESC LIMIT %s) ORDER BY rank, rowid DESC LIMIT %s OFFSET %s"
        )
        cursor.execute(sql, [match, RANK_CANDIDATES, limit, offset])
        return [(int(r), float(s)) for r, s in cursor.fetchall()]

    def _ranked_by_words(
        self, cursor: Any, match: str, words: str, limit: int, offset: int, score: str = "rank"
    ) -> list[tuple[int, float | None]] | None:
        """The candidates ranked by the wanted words, or None when that would read too many
        messages: the words are read over the candidates' span of ids, which for a small list (or
        a rare date) among common words holds many times more of them than the candidates.

        When the words are all searched in the same columns they are read without the column
        filter, scored by bm25 with the other columns' weights at 0: the same count of each word
        in each message, but bm25's count of the messages holding each word over the whole index
        (its rarity) no longer checks the column of every occurrence, 40-55 % cheaper (`compost`
        at 270,000 messages: 5.8 -> 2.6 ms). That count then includes messages holding the word
        only in other columns (a name in the recipients): the order of a one-word query cannot
        change, the weight of such a word beside others can, a little."""
        cursor.execute(
            f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s ORDER BY rowid DESC LIMIT %s", [match, RANK_CANDIDATES]
        )
        candidates = [int(r) for (r,) in cursor.fetchall()]
        if not candidates:
            return []
        span = [candidates[-1], candidates[0]]
        cap = SPAN_PER_CANDIDATE * len(candidates) + SPAN_SLACK
        cursor.execute(
            f"SELECT count(*) FROM (SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s AND rowid BETWEEN %s AND %s "
            "LIMIT %s)", [words, *span, cap + 1]
        )
        if int(cursor.fetchone()[0]) > cap:
            return None
        # "+rowid": the list is a filter, not one lookup (and one bm25 set-up) per id.
        sql = (
            f"SELECT rowid, score FROM (SELECT rowid, {score} AS score FROM {TABLE} WHERE {TABLE} MATCH %s "
            "AND rowid BETWEEN %s AND %s AND +rowid IN (SELECT value FROM json_each(%s)) "
            "ORDER BY rowid DESC LIMIT %s) ORDER BY score, rowid DESC LIMIT %s OFFSET %s"
        )
        cursor.execute(sql, [words, *span, json.dumps(candidates), RANK_CANDIDATES, limit, offset])
        return [(int(r), float(s)) for r, s in cursor.fetchall()]

    def _joined(
        self, cursor: Any, match: str, where: str, params: list[object], order: Order, limit: int, offset: int
    ) -> list[tuple[int, float | None]]:
        # By date the rank is not read: bm25 would be computed for every match before the sort.
        score = f"{TABLE}.rank" if order == "rank" else "NULL"
        ordering = f"{TABLE}.rank" if order == "rank" else "m.date DESC, m.id DESC"
        sql = (
            f"SELECT m.id, {score} FROM {TABLE} JOIN archive_message m ON m.id = {TABLE}.rowid "
            f"WHERE {TABLE} MATCH %s {where} ORDER BY {ordering} LIMIT %s OFFSET %s"
        )
        cursor.execute(sql, [match, *params, limit, offset])
        return [(int(r), float(s) if order == "rank" else None) for r, s in cursor.fetchall()]

    def _newest_by_period(
        self, cursor: Any, node: Node, scope: Scope, match: str, where: str, params: list[object], limit: int,
        offset: int,
    ) -> list[tuple[int, float | None]]:
        """Newest first without sorting every match: periods back from the last message's day,
        of 1, 2, 4, ... days (as the fewest year, month and day tokens), until the page is full.
        The first period of a common word holds a page, and sorting it by date reads few rows."""
        span = _date_span(cursor, scope.list_ids)
        if span is None:
            return []
        floor, end = span[0].date(), span[1].date() + timedelta(days=1)
        for part in conjuncts(node):  # the periods a top-level date: range allows
            if isinstance(part, DateIn):
                floor = max(floor, part.start.date()) if part.start else floor
                end = min(end, ceil_day(part.end)) if part.end else end
        need = offset + limit
        collected: list[tuple[int, float | None]] = []
        days = 1
        while end > floor and len(collected) < need:
            start = max(floor, end - timedelta(days=days))
            period = "{facets} : (" + " OR ".join(quote(t) for t in period_tokens(start, end)) + ")"
            collected += self._joined(cursor, f"({match}) AND {period}", where, params, "date", need - len(collected), 0)
            end, days = start, days * 2
        return collected[offset:need]

    def count(self, cursor: Any, node: Node, scope: Scope, cap: int) -> int:
        if not scope.list_ids:
            return 0
        match, where, params = self._plan(cursor, node, scope)
        if match is not None and not where:
            sql = f"SELECT count(*) FROM (SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s LIMIT %s)"
            cursor.execute(sql, [match, cap + 1])
        elif match is not None:
            sql = (
                f"SELECT count(*) FROM (SELECT 1 FROM {TABLE} JOIN archive_message m ON m.id = {TABLE}.rowid "
                f"WHERE {TABLE} MATCH %s {where} LIMIT %s)"
            )
            cursor.execute(sql, [match, *params, cap + 1])
        else:
            sql = f"SELECT count(*) FROM (SELECT 1 FROM archive_message m WHERE 1 = 1 {where} LIMIT %s)"
            cursor.execute(sql, [*params, cap + 1])
        return int(cursor.fetchone()[0])

    def settle(self, cursor: Any) -> None:
        """Nothing: FTS5 merges its segments as it writes ('automerge')."""

    def count_and_find(
        self, cursor: Any, node: Node, scope: Scope, order: Order, cap: int, limit: int, offset: int = 0
    ) -> tuple[int, list[tuple[int, float | None]]]:
        return self.count(cursor, node, scope, cap), self.find(cursor, node, scope, order, limit, offset)

    def _context(self, cursor: Any, scope: Scope) -> MatchContext:
        return MatchContext(
            scope.names, lambda: _date_span(cursor, scope.list_ids), lambda prefix: words_starting(cursor, prefix)
        )

    def _plan(
        self, cursor: Any, node: Node, scope: Scope, context: MatchContext | None = None
    ) -> tuple[str | None, str, list[object]]:
        """(MATCH expression or None, "AND ..." SQL over m, its parameters).

        The positive full-text parts of the top-level AND drive the query (and its rank); what the
        index cannot answer (id:, thread:, their mixes) becomes SQL over the joined message row."""
        context = context or self._context(cursor, scope)
        parts = conjuncts(node)
        text_parts = [p for p in parts if is_fts(p)]
        rest = [p for p in parts if not is_fts(p)]
        match = None
        values = None
        if not has_text(node):  # filters only: the message table's indexes answer them
            values = Values(scope.names, _adapt_datetime)
            text_parts, rest = [], parts
        if any(not isinstance(p, Not) for p in text_parts):
            match = compile_conjunction(text_parts, context)
            if not scope.everything:
                lists = " OR ".join(quote(list_token(i)) for i in scope.list_ids)
                match = "{facets} : (" + lists + ") AND (" + match + ")"
        else:
            rest = text_parts + rest
        clauses: list[str] = []
        params: list[object] = []
        if rest or match is None:
            clauses.append(scope.visible)
            # Even for every list: the condition lets the (list, date) index serve date ranges.
            if match is None:
                clauses.append("m.mailing_list_id IN (" + ", ".join(["%s"] * len(scope.list_ids)) + ")")
                params.extend(scope.list_ids)

        def subquery(sub: Node) -> tuple[str, list[object]]:
            return f"m.id IN (SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s)", [compile_match(sub, context)]

        for part in rest:
            sql, ps = predicate(part, subquery, is_fts, values)
            clauses.append(sql)
            params.extend(ps)
        where = "".join(" AND " + c for c in clauses)
        return match, where, params


def _values(d: SearchDocument, facets: str) -> tuple[object, ...]:
    return (*d, facets)


def _placement_facets(placement: Placement) -> str:
    """`facets_of` for a placement, once per list, day and attachment flag: an import's messages
    share their days (ltp: 35,114 messages on about 5,000 days), and the tokens cost several
    microseconds a message to format."""
    moment = placement.date
    if moment.tzinfo is not UTC:
        moment = _utc(moment)
    return _day_facets(placement.list_id, moment.date(), placement.has_attachments)


@lru_cache(maxsize=4096)
def _day_facets(list_id: int, day: date, has_attachments: bool) -> str:
    return facets_of(list_id, datetime(day.year, day.month, day.day, tzinfo=UTC), has_attachments)


def _facets(cursor: Any, rowids: list[int]) -> dict[int, str]:
    """The facets column of stored messages, read from their rows (in the caller's transaction)."""
    found: dict[int, str] = {}
    for start in range(0, len(rowids), _CHUNK):
        chunk = rowids[start : start + _CHUNK]
        cursor.execute(
            "SELECT id, mailing_list_id, date, has_attachments FROM archive_message WHERE id IN ("
            + ", ".join(["%s"] * len(chunk))
            + ")",
            chunk,
        )
        for rowid, list_id, moment, has_attachments in cursor.fetchall():
            found[int(rowid)] = facets_of(int(list_id), _utc(moment), bool(has_attachments))
    return found


def _utc(value: object) -> datetime:
    if isinstance(value, str):
        from django.utils.dateparse import parse_datetime

        parsed = parse_datetime(value)
        if parsed is None:
            raise ValueError(f"unreadable stored date {value!r}")
        value = parsed
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _bm25(columns: tuple[str, ...] | None) -> str:
    """bm25 with the weights of RANK, columns outside `columns` at 0 (None: the table's rank)."""
    if columns is None:
        return "rank"
    return f"bm25({TABLE}, " + ", ".join(str(WEIGHTS[c] if c in columns else 0.0) for c in COLUMNS) + ")"


def _has_prefix(node: Node, context: MatchContext) -> bool:
    # A prefix left to FTS5 (no prefix index) merges the posting lists of every word it starts:
    # reading it once more over the span would cost what the facets' counting saves.
    return any(t.prefix and context.expansion(t) is None for t in positive_texts(node))


def create_words_table(cursor: Any) -> None:
    cursor.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {WORDS} USING fts5vocab({TABLE}, 'instance')")


def words_starting(cursor: Any, prefix: str) -> list[str] | None:
    """The indexed words (of any column) starting with `prefix`, a lower-case ASCII word: one seek
    per word, each past the last word found (~50 us). None when there are more than PREFIX_WORDS.

    A prefix query without a prefix index merges the posting lists of its words before reading
    any (~20 ms for one word in 272,279 messages), and a search reads its expression three times
    (count, candidates, bm25's count of matches). The words themselves are read as they go."""
    if not _has_words_table(cursor):
        return None
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)  # the first string past every word with the prefix
    found: list[str] = []
    low = prefix
    while len(found) <= PREFIX_WORDS:
        cursor.execute(f"SELECT term FROM {WORDS} WHERE term >= %s AND term < %s LIMIT 1", [low, upper])
        row = cursor.fetchone()
        if row is None:
            return found
        found.append(row[0])
        low = row[0] + "\x01"  # tokens hold no control characters: the next word, not this one's rows
    return None


def _has_words_table(cursor: Any) -> bool:
    """True when WORDS can be read: the store's (migration archive.0014), or else, for a store
    that newer code reads before it is migrated, a table of this connection's own (TEMP: nothing
    is written to the store; a read-only connection cannot make it, and the prefix stays one)."""
    cursor.execute("SELECT 1 FROM sqlite_master WHERE name = %s", [WORDS])
    if cursor.fetchone() is not None:
        return True
    try:
        cursor.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{WORDS} USING fts5vocab(main, {TABLE}, 'instance')")
    except Exception as exc:  # the DB-API's error, as sqlite3 or Django raises it
        if "readonly" not in str(exc) and "read-only" not in str(exc):
            raise
        return False
    return True


def _date_span(cursor: Any, list_ids: Sequence[int]) -> tuple[datetime, datetime] | None:
    """The dates of the first and last messages of the lists (UTC), read from the ends of the
    (list, date) index: a few page reads, where the index's vocabulary of year tokens cost 16 ms
    a search at a million messages (fts5vocab adds up every posting list it names)."""
    cursor.execute(
        "SELECT min((SELECT min(date) FROM archive_message WHERE mailing_list_id = ids.value)), "
        "max((SELECT max(date) FROM archive_message WHERE mailing_list_id = ids.value)) FROM json_each(%s) AS ids",
        [json.dumps([int(i) for i in list_ids])],
    )
    first, last = cursor.fetchone()
    if first is None or last is None:
        return None
    return _stored_utc(first), _stored_utc(last)


def _stored_utc(value: object) -> datetime:
    """A date read by raw SQL: SQLite's text (naive UTC), or a datetime."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    assert isinstance(moment, datetime)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def sqlite_datetime(moment: datetime | None) -> str | None:
    """A datetime as a SQLite store keeps it: naive UTC text, as Django's SQLite backend writes it
    (the store runs with USE_TZ and UTC). Without Django: the command line's quick path searches
    with it, and the ingest writes with it (Django's own adapter costs more than the conversion)."""
    if moment is None:
        return None
    if moment.tzinfo is UTC:  # every date the parser makes: no conversion to ask for
        moment = moment.replace(tzinfo=None)
    elif moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return str(moment)


def _adapt_datetime(moment: datetime) -> str | None:
    return sqlite_datetime(moment)
