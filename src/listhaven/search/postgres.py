"""PostgreSQL search index: one ``tsvector`` per message in ``search_document``, a GIN index over it.

The vectors are built in Python (pg_document.py: same tokens as the query language, fields told
apart by weights and lexeme prefixes); queries are compiled by pg_query.py. The list, date and
attachment flag are copied from the stored message row when it is indexed, in the same
transaction, so ``list:``, ``date:`` and ``has:`` are answered from this table without a join.

Ranking: ts_rank with the weights of RANK_WEIGHTS (subject 1.0, sender and file names 0.8, own
words 0.1, quoted words 0.03: what one quotes ranks below what one writes) over the message's head
(pg_document.Vectors: the short fields and the first words of the text, kept in RANK_TABLE),
divided by the log of the whole message's length as bm25 favours short messages. ts_rank counts
a word's repeats with diminishing weight, as bm25 does. As with FTS5, a query with more than
RANK_CANDIDATES matches is ranked among its most recently stored ones.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from math import ceil
from typing import Any

from listhaven.search.base import Order, Placement, Scope, SearchDocument
from listhaven.search.pg_document import (
    ID_BLOCK,
    ID_BLOCK_SIZE,
    LIST,
    PAIR,
    RANK_RECIPIENT_WORDS,
    RANK_TEXT_WORDS,
    RECIPIENT,
    quote_lexeme,
    vectors,
)
from listhaven.search.pg_query import Compiler, PrefixWords, prefix_lexemes, rank_tsquery
from listhaven.search.predicates import date_range, has_text
from listhaven.search.query import And, DateIn, Node, is_text_only, positive_texts

TABLE = "search_document"
# What ranking reads (pg_document.Vectors' head and length), a row per message: kept apart so that
# the candidates' scan over TABLE stays narrow, and out of TOAST so that reading it costs no lookup.
RANK_TABLE = "search_rank"
# ts_rank's weights, in its order: {D, C, B, A}.
RANK_WEIGHTS = "'{0.03, 0.1, 0.8, 1.0}'::float4[]"
# ts_rank's normalization 1 (divided by log(1 + length), so that, as with bm25, a word weighs more
# in a shorter message), with the whole document's length: the head is a part of it. (ts_rank_cd,
# the cover density, cost four times as much CPU per candidate, measured on ltp.)
RANK_SCORE = f"ts_rank({RANK_WEIGHTS}, h.head, %s::tsquery, 0) / ln(greatest(h.words, 1) + 1)"
RANK_CANDIDATES = 5000
# Words asked for newest first: up to this many matches are sorted by date from the scan that finds
# them (_dated_statement); a word with more is read along the date index.
SORTED_MATCHES = 10_000
_CHUNK = 500
# The index's vocabulary: every lexeme of every stored vector but the id blocks', one row each,
# written with the vectors (index()). A prefix is searched as the words it starts when there are at
# most PREFIX_WORDS of them (prefix_words): the GIN index reads a ``:*`` entry's matches in full
# whatever the window of id blocks beside it (~20 ms for `rhubar*` on a million messages), a word's
# only within the window. A word leaves the vocabulary when the last vector holding it is removed
# (remove(): a removed message's words go at once, as its vector does).
WORDS_TABLE = "search_word"
PREFIX_WORDS = 32
# remove() looks for a removed message's words first in the vectors of the ids around it (the same
# list's messages of the same days: one read of them finds its common words, whose GIN entries are
# long), NEIGHBOURS of them shared among the removed messages, then asks the GIN index for each word
# not found there (a rare word's entry is short).
NEIGHBOURS = 512
# The dates each id block spans (pg_document.ID_BLOCK): its earliest and latest message date, widened
# by every write (index()), never narrowed (a removed message's date may stay). Words with a date
# range are asked of the GIN index within the blocks whose span meets the range (date_blocks): a
# block outside it holds no match, and the GIN index then skips the words' entries elsewhere. Mail is
# mostly stored in date order, so a range names few blocks; a range naming many is left as it was.
BLOCKS_TABLE = "search_block"
MAX_RANGE_BLOCKS = 64
RANGE_SHARE = 0.5

# A row follows its message by triggers rather than a foreign key: a key would make PostgreSQL refuse
# `TRUNCATE archive_message` (Django's flush, which the test suite and `django-admin flush` use) while
# the search table, which Django does not know, keeps rows. A row is only ever written from its stored
# message (index() copies list, date and attachment flag from it), so no row can name a missing message.
SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} ("
    "message_id bigint PRIMARY KEY, "
    "list_id bigint NOT NULL, date timestamptz NOT NULL, has_attachment boolean NOT NULL, "
    "document tsvector NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS {RANK_TABLE} (message_id bigint PRIMARY KEY, head tsvector NOT NULL, words integer NOT NULL)",
    # byte order (code point order in UTF-8), so that a prefix's words are one range of the key
    f'CREATE TABLE IF NOT EXISTS {WORDS_TABLE} (word text COLLATE "C" PRIMARY KEY)',
    f"CREATE TABLE IF NOT EXISTS {BLOCKS_TABLE} (block bigint PRIMARY KEY, first timestamptz NOT NULL, "
    "last timestamptz NOT NULL)",
    f"ALTER TABLE {TABLE} DROP CONSTRAINT IF EXISTS {TABLE}_message_id_fkey",
    f"CREATE OR REPLACE FUNCTION {TABLE}_follow_delete() RETURNS trigger LANGUAGE plpgsql AS "
    f"$$BEGIN DELETE FROM {TABLE} WHERE message_id = OLD.id; DELETE FROM {RANK_TABLE} WHERE message_id = OLD.id; "
    "RETURN NULL; END$$",
    f"CREATE OR REPLACE FUNCTION {TABLE}_follow_truncate() RETURNS trigger LANGUAGE plpgsql AS "
    f"$$BEGIN TRUNCATE {TABLE}, {RANK_TABLE}, {WORDS_TABLE}, {BLOCKS_TABLE}; RETURN NULL; END$$",
    f"DROP TRIGGER IF EXISTS {TABLE}_follow_delete ON archive_message",
    f"CREATE TRIGGER {TABLE}_follow_delete AFTER DELETE ON archive_message "
    f"FOR EACH ROW EXECUTE FUNCTION {TABLE}_follow_delete()",
    f"DROP TRIGGER IF EXISTS {TABLE}_follow_truncate ON archive_message",
    f"CREATE TRIGGER {TABLE}_follow_truncate AFTER TRUNCATE ON archive_message "
    f"FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_follow_truncate()",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_document ON {TABLE} USING gin (document)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_list_date ON {TABLE} (list_id, date)",
    # "Newest first" for a common word reads this index backwards and stops after a page.
    f"CREATE INDEX IF NOT EXISTS {TABLE}_date ON {TABLE} (date, message_id)",
    # A list's newest id, where a search within it starts (_walk): its matches may all be far older
    # than the store's newest ids.
    f"CREATE INDEX IF NOT EXISTS {TABLE}_list_id ON {TABLE} (list_id, message_id)",
)

# pg_document.vectors' head and length, computed from a stored vector (rows written before the head
# existed): every position weighted A or B (subject, sender, file names), the first
# RANK_RECIPIENT_WORDS of the recipients ("~r" lexemes), the first RANK_TEXT_WORDS of the rest.
# Lexemes are letters and digits behind "~" at most (pg_document.WORD): nothing to escape.
HEAD_SQL = (
    "SELECT coalesce(string_agg('''' || h.lexeme || ''':' || h.labels, ' '), '')::tsvector FROM ("
    "SELECT x.lexeme, string_agg(x.pos || x.weight, ',' ORDER BY x.pos) AS labels FROM ("
    "SELECT u.lexeme, p.pos, p.weight, g.part, row_number() OVER (PARTITION BY g.part ORDER BY p.pos, u.lexeme) AS n "
    "FROM unnest({vector}) u, unnest(u.positions, u.weights) AS p(pos, weight), LATERAL (SELECT CASE "
    f"WHEN p.weight IN ('A', 'B') THEN 0 WHEN starts_with(u.lexeme, '{RECIPIENT}') THEN 1 ELSE 2 END AS part) g"
    f") x WHERE x.part = 0 OR (x.part = 1 AND x.n <= {RANK_RECIPIENT_WORDS}) OR (x.part = 2 AND x.n <= {RANK_TEXT_WORDS}) "
    "GROUP BY x.lexeme) h"
)
# Positions only: the id block's lexeme has none (every other lexeme has at least one).
WORDS_SQL = "SELECT coalesce(sum(cardinality(u.positions)), 0) FROM unnest({vector}) u"
# A lexeme ``w`` that is a word of the vocabulary: not an id block's, a list's or a pair's (pg_document).
IS_A_WORD = f"NOT starts_with(w, '{ID_BLOCK}') AND NOT starts_with(w, '{LIST}') AND NOT starts_with(w, '{PAIR}')"
# The distinct lexemes of the vectors in ``{rows}`` (a relation with a ``document`` column) that
# the vocabulary lacks, written to it in order: a writer meeting a word another's transaction has
# just added waits for that transaction, and two writers that each add their words in order do not
# wait for each other in a circle within one statement.
VOCABULARY_SQL = (
    f"INSERT INTO {WORDS_TABLE} (word) SELECT DISTINCT w FROM {{rows}} r, unnest(tsvector_to_array(r.document)) w "
    f"WHERE {IS_A_WORD} ORDER BY w ON CONFLICT DO NOTHING"
)


def listed(document: str, list_id: str) -> str:
    """SQL: the vector `document` (an SQL expression) with the lexeme of the list `list_id` added
    (pg_document.LIST). A lexeme without positions: the other positions stay as they are."""
    return f"{document} || array_to_tsvector(ARRAY['{LIST}' || {list_id}])"


def blocks_sql(rows: str) -> str:
    """The id blocks' spans of dates widened to hold the rows of ``rows`` (message_id, date)."""
    return (
        f"INSERT INTO {BLOCKS_TABLE} (block, first, last) SELECT r.message_id / {ID_BLOCK_SIZE}, min(r.date), "
        f"max(r.date) FROM {rows} r GROUP BY 1 ORDER BY 1 ON CONFLICT (block) DO UPDATE SET "
        f"first = least({BLOCKS_TABLE}.first, excluded.first), last = greatest({BLOCKS_TABLE}.last, excluded.last)"
    )


class PostgresBackend:
    vendor = "postgresql"

    def create_schema(self, cursor: Any) -> None:
        for statement in SCHEMA:
            cursor.execute(statement)

    def drop_schema(self, cursor: Any) -> None:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}, {RANK_TABLE}, {WORDS_TABLE}, {BLOCKS_TABLE}")
        for name in ("delete", "truncate"):
            cursor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_follow_{name} ON archive_message")
            cursor.execute(f"DROP FUNCTION IF EXISTS {TABLE}_follow_{name}()")

    def index(
        self, cursor: Any, documents: Sequence[SearchDocument], placements: Sequence[Placement] | None = None
    ) -> None:
        """Inserts (or replaces) the documents' rows; list, date and attachment flag come from
        their stored messages (in the same statement: `placements` are not needed). Their words
        the vocabulary lacks and their dates are added to the vocabulary and their blocks' spans
        by the same statement."""
        for start in range(0, len(documents), _CHUNK):
            chunk = documents[start : start + _CHUNK]
            built = [vectors(d) for d in chunk]
            ids = [d.rowid for d in chunk]
            cursor.execute(
                f"WITH written AS (INSERT INTO {TABLE} (message_id, list_id, date, has_attachment, document) "
                f"SELECT m.id, m.mailing_list_id, m.date, m.has_attachments, {listed('v.document', 'm.mailing_list_id')} "
                "FROM unnest(%s::bigint[], %s::tsvector[]) AS v(id, document) "
                "JOIN archive_message m ON m.id = v.id "
                "ON CONFLICT (message_id) DO UPDATE SET list_id = excluded.list_id, date = excluded.date, "
                "has_attachment = excluded.has_attachment, document = excluded.document "
                f"RETURNING message_id, date, document), spans AS ({blocks_sql('written')}) "
                + VOCABULARY_SQL.format(rows="written"),
                [ids, [b.document for b in built]],
            )
            cursor.execute(
                f"INSERT INTO {RANK_TABLE} (message_id, head, words) "
                "SELECT v.id, v.head, v.words FROM unnest(%s::bigint[], %s::tsvector[], %s::integer[]) AS v(id, head, words) "
                "JOIN archive_message m ON m.id = v.id "
                "ON CONFLICT (message_id) DO UPDATE SET head = excluded.head, words = excluded.words",
                [ids, [b.head for b in built], [b.words for b in built]],
            )

    def remove(self, cursor: Any, documents: Sequence[SearchDocument]) -> None:
        """Deletes the documents' rows, and the words of theirs no other vector holds from the
        vocabulary (NEIGHBOURS: where they are looked for first). On 200,000 generated messages at
        load ~20, 60-250 ms for one message."""
        ids = [d.rowid for d in documents]
        cursor.execute(
            f"WITH gone AS (DELETE FROM {TABLE} WHERE message_id = ANY(%s::bigint[]) RETURNING document) "
            "SELECT coalesce(array_agg(DISTINCT w), '{}') FROM gone, unnest(tsvector_to_array(gone.document)) w "
            f"WHERE {IS_A_WORD}",
            [ids],
        )
        words = list(cursor.fetchone()[0])
        cursor.execute(f"DELETE FROM {RANK_TABLE} WHERE message_id = ANY(%s::bigint[])", [ids])
        if not words:
            return
        runs = _runs(sorted(ids))
        around = max(8, NEIGHBOURS // 2 // len(runs))
        cursor.execute(
            f"SELECT coalesce(array_agg(DISTINCT w), '{{}}') FROM unnest(%s::bigint[], %s::bigint[]) AS r(first, last) "
            f"JOIN {TABLE} d ON d.message_id BETWEEN r.first - {around} AND r.last + {around}, "
            "unnest(tsvector_to_array(d.document)) w WHERE w = ANY(%s::text[])",
            [[first for first, _ in runs], [last for _, last in runs], words],
        )
        kept = set(cursor.fetchone()[0])
        rest = [w for w in words if w not in kept]
        if rest:
            cursor.execute(
                f"DELETE FROM {WORDS_TABLE} v WHERE v.word = ANY(%s::text[]) AND NOT EXISTS "
                f"(SELECT FROM {TABLE} d WHERE d.document @@ quote_literal(v.word)::tsquery)",
                [rest],
            )

    def settle(self, cursor: Any) -> None:
        """The GIN index's pending list (fastupdate: new entries kept unsorted until a vacuum or 4 MB)
        merged into it: every search reads the whole list (after an ltp import: 194 pages, ~3 ms of
        server CPU for a rare word). ANALYZE, so that the planner knows the new rows."""
        cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [f"{TABLE}_document"])
        cursor.execute(f"ANALYZE {TABLE}, {RANK_TABLE}")

    # --- reading ----------------------------------------------------------------------------

    def prefix_words(self, cursor: Any, node: Node) -> dict[str, list[str]]:
        """The words each prefix of the query starts (pg_query.prefix_lexemes), from the vocabulary,
        in one round trip; a prefix that starts more than PREFIX_WORDS is left out (kept as ``:*``)."""
        lexemes = sorted(set(prefix_lexemes(node)))
        if not lexemes:
            return {}
        beyond = [lexeme[:-1] + chr(ord(lexeme[-1]) + 1) for lexeme in lexemes]
        cursor.execute(
            f"SELECT p.lexeme, array(SELECT w.word FROM {WORDS_TABLE} w WHERE w.word >= p.lexeme "
            f"AND w.word < p.beyond ORDER BY w.word LIMIT {PREFIX_WORDS + 1}) "
            "FROM unnest(%s::text[], %s::text[]) AS p(lexeme, beyond)",
            [lexemes, beyond],
        )
        return {lexeme: list(found) for lexeme, found in cursor.fetchall() if len(found) <= PREFIX_WORDS}

    def date_blocks(self, cursor: Any, node: Node) -> list[tuple[int, bool]] | None:
        """For words with date ranges (an AND of them; lists are the scope), the id blocks whose span
        of dates meets every range (BLOCKS_TABLE), in order, each with whether its span lies within
        every range (then each of its messages does: a span is never narrower than its messages'
        dates); None for any other query, or when the range meets more than MAX_RANGE_BLOCKS blocks
        or RANGE_SHARE of them (the GIN index reads each named block's entry whole: a range over
        most of the store is better left to the date index)."""
        if not isinstance(node, And):
            return None
        ranges = [c for c in node.children if isinstance(c, DateIn)]
        rest = [c for c in node.children if not isinstance(c, DateIn)]
        if not ranges or not rest or not all(is_text_only(c) for c in rest):
            return None
        meets, within, params = ["TRUE"], ["TRUE"], []
        for dates in ranges:
            if dates.start is not None:
                meets.append("b.last >= %s")
                within.append("b.first >= %s")
                params.append(_adapt_datetime(dates.start))
            if dates.end is not None:
                meets.append("b.first < %s")
                within.append("b.last < %s")
                params.append(_adapt_datetime(dates.end))
        cursor.execute(
            f"SELECT coalesce(array_agg(b.block ORDER BY b.block) FILTER (WHERE {' AND '.join(meets)}), '{{}}'), "
            f"coalesce(array_agg({' AND '.join(within)} ORDER BY b.block) FILTER (WHERE {' AND '.join(meets)}), '{{}}'), "
            f"count(*) FROM {BLOCKS_TABLE} b",
            [*params, *params, *params],
        )
        met, inside, blocks = cursor.fetchone()
        if len(met) > MAX_RANGE_BLOCKS or len(met) > RANGE_SHARE * blocks:
            return None
        return [(int(block), bool(whole)) for block, whole in zip(met, inside, strict=True)]

    def find(
        self, cursor: Any, node: Node, scope: Scope, order: Order, limit: int, offset: int = 0
    ) -> list[tuple[int, float | None]]:
        if not scope.list_ids:
            return []
        words = self.prefix_words(cursor, node)
        if order == "date" and has_text(node):
            (counted,) = _run(cursor, [_dated_statement(node, scope, SORTED_MATCHES, limit, offset, words)])
            return counted[1]
        (found,) = _run(cursor, [_find_statement(node, scope, order, limit, offset, words)])
        return found

    def count(self, cursor: Any, node: Node, scope: Scope, cap: int) -> int:
        if not scope.list_ids:
            return 0
        (total,) = _run(cursor, [_count_statement(node, scope, cap, self.prefix_words(cursor, node))])
        return total

    def count_and_find(
        self, cursor: Any, node: Node, scope: Scope, order: Order, cap: int, limit: int, offset: int = 0
    ) -> tuple[int, list[tuple[int, float | None]]]:
        """The count and the page sent together, in one round trip to the server."""
        if not scope.list_ids:
            return 0, []
        words = self.prefix_words(cursor, node)
        ranking = rank_tsquery(node) if order == "rank" and has_text(node) else None
        if ranking is not None:
            blocks = self.date_blocks(cursor, node)
            if blocks == []:
                return 0, []  # no message's date is in the range
            # Ranked by the query as written (a prefix as ``:*``): the same scores whatever the
            # vocabulary says; matched with the prefixes' words where it names them.
            if blocks is not None:
                assert isinstance(node, And)  # date_blocks names blocks for an AND of words and ranges
                found = _range_walk(node, scope, words, blocks, cap + 1)
                statement = _ranked_statement("", [], ranking, limit, offset, cap, False, found=found)
                (counted,) = _run(cursor, [statement])
                return counted
            where, params = _where(node, scope, words)
            prefixed = any(
                t.prefix and not all(lexeme in words for lexeme in prefix_lexemes(t)) for t in positive_texts(node)
            )
            statement = _ranked_statement(
                where, params, ranking, limit, offset, cap, is_text_only(node), prefixed, start=_newest(scope)
            )
            (counted,) = _run(cursor, [statement])
            return counted
        if order == "date" and has_text(node):
            (counted,) = _run(cursor, [_dated_statement(node, scope, cap, limit, offset, words)])
            return counted
        statements = [_count_statement(node, scope, cap, words), _find_statement(node, scope, order, limit, offset, words)]
        total, found = _run(cursor, statements)
        return total, found


def _runs(ids: Sequence[int], gap: int = 16) -> list[tuple[int, int]]:
    """Sorted ids as (first, last) runs, an id at most `gap` past the one before joining its run."""
    runs: list[tuple[int, int]] = []
    for pk in ids:
        if runs and pk - runs[-1][1] <= gap:
            runs[-1] = (runs[-1][0], pk)
        else:
            runs.append((pk, pk))
    return runs


@dataclass(frozen=True)
class _Statement:
    """One statement for _run: its SQL and parameters, whether it must be planned without
    sequential scans (it asks the GIN index), and what its rows mean."""

    sql: str
    params: list[object]
    without_seq_scan: bool
    read: Callable[[list[tuple[Any, ...]]], Any]


def _run(cursor: Any, statements: Sequence[_Statement]) -> list[Any]:
    """Sends the statements in one message and reads each one's rows. Django's PostgreSQL cursors
    bind parameters on the client, so one execute may hold several statements: under load each
    round trip waits for the server process to be scheduled, and a ranked search made seven.

    Sequential scans are set off around the statements that ask the GIN index: the planner prices
    ``@@`` as cheap and, under a LIMIT, reads the table in order testing every vector (52 ms for a
    common word on 35,000 messages) rather than the GIN index's bitmap (9 ms); it does not count
    the cost of reading long vectors. The JIT compiler is set off too: the walk's plan (_walk) is
    priced high enough for PostgreSQL to compile its expressions, ~100 ms of a search that takes
    20 ms to run on a million messages. Should a statement fail, the ones after it (the RESETs too)
    do not run, and the rollback that follows the error undoes the SETs."""
    parts: list[str] = []
    params: list[object] = []
    places = []
    for statement in statements:
        if statement.without_seq_scan:
            parts.append("SET enable_seqscan = off")
        parts.append("SET jit = off")
        places.append(len(parts))
        parts.append(statement.sql)
        params += statement.params
        parts.append("RESET jit")
        if statement.without_seq_scan:
            parts.append("RESET enable_seqscan")
    cursor.execute("; ".join(parts), params)
    results, at = [], 0
    for statement, place in zip(statements, places, strict=True):
        for _ in range(place - at):
            cursor.nextset()
        at = place
        results.append(statement.read(cursor.fetchall()))
    return results


def _ids(rows: list[tuple[Any, ...]]) -> list[tuple[int, float | None]]:
    return [(int(r), None) for (r,) in rows]


def _scored(rows: list[tuple[Any, ...]]) -> list[tuple[int, float | None]]:
    return [(int(r), float(s)) for r, s in rows]


def _number(rows: list[tuple[Any, ...]]) -> int:
    return int(rows[0][0])


def _count_statement(node: Node, scope: Scope, cap: int, words: PrefixWords | None = None) -> _Statement:
    where, params = _where(node, scope, words)
    sql = f"SELECT count(*) FROM (SELECT 1 FROM {TABLE} d WHERE {where} LIMIT %s) s"
    # Without sequential scans even without words: for a date range the planner chose to read the
    # table until 10,001 rows matched, and a synchronized scan, starting where another one was,
    # read 823,314 rows first one time in ten (65-113 ms, where the date index takes 6).
    return _Statement(sql, [*params, cap + 1], True, _number)


def _find_statement(
    node: Node, scope: Scope, order: Order, limit: int, offset: int, words: PrefixWords | None = None
) -> _Statement:
    ranking = rank_tsquery(node) if order == "rank" else None
    where, params = _where(node, scope, words, list_lexeme=ranking is not None)
    if ranking is None:
        sql = f"SELECT d.message_id FROM {TABLE} d WHERE {where} ORDER BY d.date DESC, d.message_id DESC LIMIT %s OFFSET %s"
        return _Statement(sql, [*params, limit, offset], False, _ids)
    return _ranked_statement(where, params, ranking, limit, offset, None, is_text_only(node), start=_newest(scope))


def _dated_statement(
    node: Node, scope: Scope, cap: int, limit: int, offset: int, words: PrefixWords | None = None
) -> _Statement:
    """The matches counted up to cap + 1 and a page of them newest first: (total, [(id, None)]).
    The count's scan keeps each match's date, so that when it found them all (at most `cap`) the
    page is sorted from them; beyond, the page is read along the date index, testing each row
    newest first, which finds a page of a common word's matches quickly. A list's rare word read
    that way tested every newer row of its list (6,404 vectors read for a page of `parser`, 685
    matches in scale-00 of the generated million: 34 ms, where sorting the 685 takes 1)."""
    where, params = _where(node, scope, words)
    by_date, by_date_params = _where(node, scope, words, list_lexeme=False)
    more = "(SELECT n FROM total) > %s"
    sql = (
        f"WITH matches AS MATERIALIZED (SELECT d.message_id, d.date FROM {TABLE} d WHERE {where} LIMIT %s), "
        "total AS (SELECT count(*) AS n FROM matches) "
        f"SELECT (SELECT n FROM total), ARRAY(SELECT message_id FROM matches WHERE NOT {more} "
        "ORDER BY date DESC, message_id DESC LIMIT %s OFFSET %s) "
        f"|| ARRAY(SELECT d.message_id FROM {TABLE} d WHERE {more} AND {by_date} "
        "ORDER BY d.date DESC, d.message_id DESC LIMIT %s OFFSET %s)"
    )
    page = [limit, offset]
    return _Statement(sql, [*params, cap + 1, cap, *page, cap, *by_date_params, *page], True, _total_and_ids)


def _total_and_ids(rows: list[tuple[Any, ...]]) -> tuple[int, list[tuple[int, float | None]]]:
    ((total, ids),) = rows
    return int(total), [(int(pk), None) for pk in ids]


def _ranked_statement(
    where: str,
    params: list[object],
    ranking: str,
    limit: int,
    offset: int,
    cap: int | None,
    windowed: bool,
    prefixed: bool = False,
    found: tuple[str, list[object]] | None = None,
    start: tuple[str, list[object]] = ("", []),
) -> _Statement:
    """A page of the candidates ranked; with `cap`, the matches counted too (up to cap + 1), by the
    same visits of the heap rows: (total, [(id, score)]). `windowed`: the query is made of words
    (and lists) only, its candidates found by _walk. `found`: a WITH clause naming ``found`` (its
    ``ids``, newest first, up to cap + 1) and ``candidates`` made by the caller (_range_walk),
    instead of one made from `where`. `start`: _newest's SQL, where a windowed search starts."""
    ranked = (
        f"SELECT h.message_id, -({RANK_SCORE}) AS score FROM {RANK_TABLE} h "
        "WHERE h.message_id = ANY(ARRAY(SELECT message_id FROM candidates)) "
        "ORDER BY score, h.message_id DESC LIMIT %s OFFSET %s"
    )
    if cap is None:
        candidates, candidate_params = _candidates(where, params, windowed, start)
        return _Statement(f"{candidates} {ranked}", [*candidate_params, ranking, limit, offset], True, _scored)
    if found is not None:
        candidates, candidate_params = f"{found[0]}, total AS (SELECT least(cardinality(ids), %s) AS n FROM found)", [
            *found[1],
            cap + 1,
        ]
    else:
        candidates, candidate_params = _counted_candidates(where, params, cap, windowed, prefixed, start)
    sql = (
        f"{candidates}, ranked AS MATERIALIZED ({ranked}) SELECT (SELECT n FROM total), "
        "array_agg(message_id ORDER BY score, message_id DESC), array_agg(score ORDER BY score, message_id DESC) "
        "FROM ranked"
    )
    return _Statement(sql, [*candidate_params, ranking, limit, offset], True, _total_and_scored)


def _total_and_scored(rows: list[tuple[Any, ...]]) -> tuple[int, list[tuple[int, float | None]]]:
    ((total, ids, scores),) = rows
    return int(total), [(int(r), float(s)) for r, s in zip(ids or [], scores or [], strict=True)]


# How much older than the windows so far the next window reaches: at least GROWTH times their
# length, more if their matches' density says the rest lies further (with SLACK to spare); a
# window of more than MAX_WINDOW_BLOCKS is not asked for (the GIN index reads every block's entry
# in full: ~0.5 ms a block on a million messages), the rest of the ids are searched whole instead.
WINDOW_GROWTH = 1
WINDOW_SLACK = 1.25
MAX_WINDOW_BLOCKS = 16
# A prefix's first window is sized from its matches among this many of the newest ids (_sampled_reach).
PREFIX_SAMPLE = 512
PREFIX_SPREAD = 2


def _window_ids() -> int:
    """How many of the newest ids the first window of id blocks covers."""
    return 2 * RANK_CANDIDATES


def _blocks(first: str, last: str) -> str:
    """A tsquery of the id blocks `first` to `last` (SQL expressions)."""
    return f"(SELECT string_agg(quote_literal('{ID_BLOCK}' || b), ' | ')::tsquery FROM generate_series({first}, {last}) AS b)"


def _sampled_reach(where: str, params: list[object], kept: int) -> tuple[str, list[object]]:
    """How many of the newest ids (an SQL expression over ``t.m``, the newest id) a prefix's first
    window covers: enough for `kept` matches at PREFIX_SPREAD times the spacing of its matches
    among the newest PREFIX_SAMPLE ids (with WINDOW_SLACK), up to MAX_WINDOW_BLOCKS blocks, and
    at least _window_ids() and `kept` × WINDOW_SLACK ids (fewer could not hold `kept` matches);
    _window_ids() when the sample holds none (a rare prefix: the walk then searches the rest at
    once). Each GIN scan of a prefix reads its words' entries in full whatever the window (~20 ms
    for `rhubar*` on a million messages), so a first window that holds the matches saves a scan.
    The newest ids are often denser than the ones before (a list's words come in its stretches of
    ids), hence the spread. The sample tests the vectors one by one (ts_match_vq, which the GIN
    index does not answer): a few hundred rows read through the primary key, not a GIN scan."""
    sample = where.replace("d.document @@ %s::tsquery", "ts_match_vq(d.document, %s::tsquery)")
    least, most = max(_window_ids(), ceil(kept * WINDOW_SLACK)), MAX_WINDOW_BLOCKS * ID_BLOCK_SIZE
    sql = (
        f"(SELECT CASE WHEN s.n > 0 THEN greatest({least}, least({most}, "
        f"ceil({PREFIX_SPREAD} * {kept} * {WINDOW_SLACK} * {PREFIX_SAMPLE} / s.n::float8)::bigint)) "
        f"ELSE {_window_ids()} END "
        f"FROM (SELECT count(*) AS n FROM {TABLE} d WHERE d.message_id > t.m - {PREFIX_SAMPLE} AND ({sample})) s)"
    )
    return sql, list(params)


def _walk(
    where: str,
    params: list[object],
    kept: int,
    target: int,
    start: tuple[str, list[object]],
    prefixed: bool = False,
) -> tuple[str, list[object]]:
    """A WITH clause naming ``candidates``, the ids of the newest RANK_CANDIDATES matches, and
    ``found``: ``ids``, the matches the walk took, newest first (every match of its windows; at
    most `kept` when the rest of the store is searched whole), and ``counted``, the matches it
    counted past them (up to `kept` in all).

    Rather than every match (a common word's bitmap holds a fifth of a store, each match a heap
    row to visit and an id to sort), the GIN index is asked for the matches within windows of id
    blocks (pg_document.ID_BLOCK), so that it visits only those: first the blocks of the newest
    _window_ids() ids, then, while the windows hold fewer than `target` matches and have not
    reached the first block, the blocks just older than them (WINDOW_GROWTH, WINDOW_SLACK), or, if
    that window would be too long (MAX_WINDOW_BLOCKS), every older id. A word is not spread evenly
    over the ids (a list's own words come in its stretches of ids): the growth bounds the steps,
    the density makes one step do for an evenly spread word. A first window without a match says
    nothing of where the matches are (a rare word, a list with no recent mail): the rest of the ids
    are searched whole at once, as before the walk. Each window is older than the ones
    before, so their matches, each taken newest first, are the newest matches in that order. Once
    it has `target` ids the walk goes on counting, as far as `kept` matches, in the same way: a
    count sorts nothing, stops at its limit, and for a word needing no recheck reads no heap row
    of an all-visible page. The ids stay in the server. A `prefixed` query's first window is sized
    by _sampled_reach. The windows start at the newest id of the scope (`start`, from _newest)."""
    size, want = ID_BLOCK_SIZE, max(target, RANK_CANDIDATES)
    kept = max(kept, want)
    first_ids, first_params = _sampled_reach(where, params, want) if prefixed else (str(_window_ids()), [])
    select = f"SELECT d.message_id FROM {TABLE} d WHERE ({where}) AND "
    count = f"(SELECT count(*) FROM (SELECT FROM {TABLE} d WHERE ({where}) AND "
    newest = " ORDER BY d.message_id + 0 DESC"
    n, t = "cardinality(w.ids)", "(cardinality(w.ids) + w.counted)"
    goal = f"(CASE WHEN {n} < {want} THEN {want} ELSE {kept} END)"
    reach = (
        f"CASE WHEN {t} > 0 THEN greatest({WINDOW_GROWTH} * (w.last - w.first + 1), ceil(({goal} - {t}) "
        f"* (w.m - w.first * {size} + 1)::float8 * {WINDOW_SLACK} / {t} / {size})::bigint) "
        f"ELSE {MAX_WINDOW_BLOCKS + 1} END"
    )
    near, rest = f"{reach} <= {MAX_WINDOW_BLOCKS}", f"{reach} > {MAX_WINDOW_BLOCKS}"
    blocks = _blocks(f"greatest(w.first - {reach}, 0)", "w.first - 1")
    taking, counting = f"{n} < {want}", f"{n} >= {want}"
    sql = (
        f"WITH RECURSIVE walk (first, last, m, ids, counted) AS ("
        f"SELECT r.first, r.last, r.m, ARRAY({select}d.document @@ {_blocks('r.first', 'r.last')}{newest}), 0::bigint "
        f"FROM (SELECT greatest(t.m - {first_ids}, 0) / {size} AS first, t.m / {size} AS last, t.m AS m "
        f"FROM ({start[0]}) t) r "
        f"UNION ALL SELECT CASE WHEN {near} THEN greatest(w.first - {reach}, 0) ELSE 0 END, w.last, w.m, w.ids "
        f"|| ARRAY({select}{taking} AND {near} AND d.document @@ {blocks}{newest}) "
        f"|| ARRAY({select}{taking} AND {rest} AND d.message_id + 0 < w.first * {size}{newest} LIMIT {kept} - {n}), "
        f"w.counted + {count}{counting} AND {near} AND d.document @@ {blocks} LIMIT greatest({kept} - {t}, 0)) s) "
        f"+ {count}{counting} AND {rest} AND d.message_id + 0 < w.first * {size} LIMIT greatest({kept} - {t}, 0)) s) "
        f"FROM walk w WHERE w.first > 0 AND ({n} < {want} OR {t} < {kept})), "
        "found AS MATERIALIZED (SELECT ids, counted FROM walk ORDER BY first LIMIT 1), "
        f"candidates AS (SELECT unnest(ids[1:{RANK_CANDIDATES}]) AS message_id FROM found)"
    )
    return sql, [*params, *first_params, *start[1], *params, *params, *params, *params]


def _everything(where: str, params: list[object], kept: int) -> tuple[str, list[object]]:
    """_walk's WITH clause without windows: a query with conditions other than words and lists (a
    date range: the newest ids may hold none of its matches, and its own index narrows the GIN
    index's bitmap better than windows of ids would)."""
    sql = (
        f"WITH found AS MATERIALIZED (SELECT ARRAY(SELECT d.message_id FROM {TABLE} d WHERE ({where}) "
        "ORDER BY d.message_id + 0 DESC LIMIT %s) AS ids), "
        "candidates AS (SELECT unnest(ids[1:%s]) AS message_id FROM found)"
    )
    return sql, [*params, kept, RANK_CANDIDATES]


def _range_walk(
    node: And, scope: Scope, words: PrefixWords, blocks: Sequence[tuple[int, bool]], kept: int
) -> tuple[str, list[object]]:
    """A WITH clause naming ``found`` (``ids``: the newest `kept` matches, newest first) and
    ``candidates`` for words with date ranges (`node`, an AND of them), walked over the id blocks the
    ranges meet (PostgresBackend.date_blocks), newest block first, one GIN scan of the words and the
    block's lexeme each, until `kept` matches are taken. A block whose span of dates lies within the
    ranges is not tested for dates at all; the others test each match's date as it is visited, never
    through the date index (whose bitmap of the whole range each block's scan would otherwise read
    again: ~4 ms a time at a million messages). Taking every match of the blocks at once visited all
    of them (~21,000 for `compost date:2019-03..2019-04` on the generated million, the ranges' bitmap
    joined with the date index's) to keep the newest 10,001; a block's scan costs little more than
    its matches (the GIN index skips the words' entries outside the block)."""
    ranges = [c for c in node.children if isinstance(c, DateIn)]
    rest = [c for c in node.children if not isinstance(c, DateIn)]
    where, params = _where(rest[0] if len(rest) == 1 else And(tuple(rest)), scope, words)
    dated = [date_range("d.date", dates, _adapt_datetime) for dates in ranges]
    dates_sql = " AND ".join(sql for sql, _ in dated)
    dates_params = [p for _, ps in dated for p in ps]
    newest = list(reversed(blocks))
    sql = (
        "WITH RECURSIVE walk (n, ids) AS (SELECT 0, '{}'::bigint[] UNION ALL "
        f"SELECT w.n + 1, w.ids || ARRAY(SELECT d.message_id FROM {TABLE} d WHERE ({where}) "
        f"AND d.document @@ quote_literal('{ID_BLOCK}' || (%s::bigint[])[w.n + 1])::tsquery "
        f"AND ((%s::boolean[])[w.n + 1] OR ({dates_sql})) "
        f"ORDER BY d.message_id + 0 DESC LIMIT {kept} - cardinality(w.ids)) "
        f"FROM walk w WHERE w.n < %s AND cardinality(w.ids) < {kept}), "
        "found AS MATERIALIZED (SELECT ids FROM walk ORDER BY n DESC LIMIT 1), "
        f"candidates AS (SELECT unnest(ids[1:{RANK_CANDIDATES}]) AS message_id FROM found)"
    )
    block_ids = [block for block, _ in newest]
    inside = [whole for _, whole in newest]
    return sql, [*params, block_ids, inside, *dates_params, len(newest)]


def _counted_candidates(
    where: str, params: list[object], cap: int, windowed: bool, prefixed: bool, start: tuple[str, list[object]]
) -> tuple[str, list[object]]:
    """_walk's WITH clause (or _everything's), which also names ``total``: the matches counted up to
    cap + 1 by the scans that find the candidates, instead of a count visiting them again. The walk
    takes ids until it has the candidates and counts on from there; a query with a prefix
    (`prefixed`) takes ids to the cap instead: the GIN index reads every word a prefix starts in
    full whatever the window (20 ms for `rhubar*` on a million messages), so a scan fewer is worth
    more than the matches a longer window visits."""
    kept = cap + 1
    if not windowed:
        found, found_params = _everything(where, params, max(kept, RANK_CANDIDATES))
        return f"{found}, total AS (SELECT least(cardinality(ids), %s) AS n FROM found)", [*found_params, kept]
    found, found_params = _walk(where, params, kept, kept if prefixed else RANK_CANDIDATES, start, prefixed)
    return f"{found}, total AS (SELECT least(cardinality(ids) + counted, %s) AS n FROM found)", [*found_params, kept]


def _candidates(
    where: str, params: list[object], windowed: bool, start: tuple[str, list[object]]
) -> tuple[str, list[object]]:
    """_walk's WITH clause (or _everything's): the newest RANK_CANDIDATES matches, not counted further."""
    if windowed:
        return _walk(where, params, RANK_CANDIDATES, RANK_CANDIDATES, start)
    return _everything(where, params, RANK_CANDIDATES)


def _newest(scope: Scope) -> tuple[str, list[object]]:
    """SQL naming ``m``, the newest id of the scope's lists: each list's from its index on (list,
    id). A list's messages may all be older than the store's newest ids (a quiet list, a list
    imported before others), and a walk from the store's newest id would find no match in its first
    window and search the rest whole."""
    if scope.everything:
        return f"SELECT max(message_id) AS m FROM {TABLE}", []
    # Ordered by (list, id) so that only the index on (list, id) can answer it: asked for the list's
    # max(message_id), the planner at times read the primary key backwards testing each row's list
    # (163,656 rows, 65 ms, for scale-00 of the generated million).
    last = (
        f"(SELECT d.list_id, d.message_id FROM {TABLE} d WHERE d.list_id <= s.id "
        "ORDER BY d.list_id DESC, d.message_id DESC LIMIT 1)"
    )
    newest = f"(SELECT CASE WHEN n.list_id = s.id THEN n.message_id END FROM {last} n)"
    return f"SELECT max({newest}) AS m FROM unnest(%s::bigint[]) AS s(id)", [list(scope.list_ids)]


def _where(
    node: Node, scope: Scope, words: PrefixWords | None = None, *, list_lexeme: bool = True
) -> tuple[str, list[object]]:
    """The condition over ``search_document d`` of a query, within the scope. A query without words
    (list:, date:, has:, id:, thread:) is answered from this table too, not the message table: its
    rows are the messages readers may see (a removed message's row goes with its removal), and its
    btrees on (list, date) and (date, id) are narrow, where the message table's rows are wide and
    its (list, date) index gives no date order across several lists (a two-month range over 8 lists
    of 185,044 messages took 361 ms there). Words within one list are asked of the GIN index with
    the list's lexeme (pg_document.LIST) instead of its id: one scan answers both (where both were
    given, the planner joined the GIN index's bitmap with the list's whole (list, id) bitmap: 8 ms
    of a 10 ms count at a million messages). Without `list_lexeme`, by its id: for reading along
    the (list, date) index, newest first, where the date index would read every list's rows."""
    where, params = Compiler(scope.names, _adapt_datetime, words).where(node)
    if scope.everything:
        return where, params
    if list_lexeme and len(scope.list_ids) == 1 and _asks_the_index(node):
        return "d.document @@ %s::tsquery AND " + where, [quote_lexeme(f"{LIST}{scope.list_ids[0]}"), *params]
    lists = ", ".join(["%s"] * len(scope.list_ids))
    return f"d.list_id IN ({lists}) AND {where}", [*scope.list_ids, *params]


def _asks_the_index(node: Node) -> bool:
    """Whether the query's SQL asks the GIN index for words every match holds (pg_query.Compiler:
    its words, or an AND's words, are one ``@@``), which a list's lexeme can join: without them a
    list's lexeme would have the GIN index read all the list's matches."""
    if is_text_only(node):
        return bool(positive_texts(node))
    return isinstance(node, And) and any(is_text_only(c) and positive_texts(c) for c in node.children)


def _adapt_datetime(moment: datetime) -> Any:
    from django.db import connection

    return connection.ops.adapt_datetimefield_value(moment)
