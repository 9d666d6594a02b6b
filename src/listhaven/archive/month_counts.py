"""How many messages each list holds in each month, kept in a small table the pages read.

Counting a list's messages by month reads every row of the list (176,000 on the biggest list of
the million-message store: 100-580 ms), and the list index, the list overview, a month's page,
the sitemap and `listhaven stats` all need those counts. So `archive_month_count` holds one row per
(list, month) with its number of messages, and reading a list's months costs O(months).

The table follows `archive_message` by triggers in the database, as the search table does
(search/postgres.py): a message inserted, deleted, or given another list or date changes its
month's row in the same statement (on PostgreSQL the ingest counts its batch at once, see
POSTGRES_SCHEMA), so every writer keeps it right without knowing of it (the
ingest behind import, LMTP delivery and a released held post, a list's removal, the admin, store
moves, Django's flush) and the count is committed or rolled back with the change it counts. A
redacted or purged message keeps its row, its date and so its place in the counts. Django does not
know the table (no model): `migrate-store` does not copy it, the target's triggers count the copied
messages. `recount` counts everything again from the messages and says what differed
(`listhaven recount`; `listhaven reindex` calls it too).

Months are UTC, "YYYY-MM": on SQLite the first 7 characters of the stored date (naive UTC text).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction

from listhaven.archive.figures import MONTHS_SQL

TABLE = "archive_month_count"  # figures.MONTHS_SQL names it too (the command line reads it without Django)

_SQLITE_MONTH = "substr({row}.date, 1, 7)"
_SQLITE_OLD, _SQLITE_NEW = _SQLITE_MONTH.format(row="OLD"), _SQLITE_MONTH.format(row="NEW")
_SQLITE_DOWN = (
    f"UPDATE {TABLE} SET messages = messages - 1 WHERE list_id = OLD.mailing_list_id AND month = {_SQLITE_OLD}; "
    f"DELETE FROM {TABLE} WHERE list_id = OLD.mailing_list_id AND month = {_SQLITE_OLD} AND messages <= 0;"
)
_SQLITE_UP = (
    f"INSERT INTO {TABLE} (list_id, month, messages) VALUES (NEW.mailing_list_id, {_SQLITE_NEW}, 1) "
    "ON CONFLICT (list_id, month) DO UPDATE SET messages = messages + 1;"
)
SQLITE_SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (list_id integer NOT NULL, month text NOT NULL, "
    "messages integer NOT NULL, PRIMARY KEY (list_id, month)) WITHOUT ROWID",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_insert AFTER INSERT ON archive_message BEGIN {_SQLITE_UP} END",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_delete AFTER DELETE ON archive_message BEGIN {_SQLITE_DOWN} END",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_update AFTER UPDATE OF mailing_list_id, date ON archive_message "
    f"WHEN OLD.mailing_list_id IS NOT NEW.mailing_list_id OR {_SQLITE_OLD} IS NOT {_SQLITE_NEW} "
    f"BEGIN {_SQLITE_DOWN} {_SQLITE_UP} END",
)

_PG_MONTH = "to_char({row}.date AT TIME ZONE 'UTC', 'YYYY-MM')"
# PostgreSQL keeps every version of a row a transaction updated until it ends, and each update walks
# them: a row trigger counting thousands of messages of one month in one transaction costs
# quadratically (an import batch of 20,000 messages: 73-180 us a message, against 17-19 in batches
# of 500). So there the ingest counts its batch in one statement (`counting_batch`, the trigger
# told to stand aside by a setting local to the transaction), and a DELETE is counted once per
# statement from its transition table. Other inserts and moves are counted row by row.
_PG_SKIP = "listhaven.months_counted"
POSTGRES_SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (list_id bigint NOT NULL, month text NOT NULL, "
    "messages bigint NOT NULL, PRIMARY KEY (list_id, month))",
    f"CREATE OR REPLACE FUNCTION {TABLE}_follow() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN "
    f"IF TG_OP = 'INSERT' AND current_setting('{_PG_SKIP}', true) = 'on' THEN RETURN NULL; END IF; "
    "IF TG_OP = 'UPDATE' THEN "
    f"UPDATE {TABLE} SET messages = messages - 1 WHERE list_id = OLD.mailing_list_id "
    f"AND month = {_PG_MONTH.format(row='OLD')}; "
    f"DELETE FROM {TABLE} WHERE list_id = OLD.mailing_list_id AND month = {_PG_MONTH.format(row='OLD')} "
    "AND messages <= 0; END IF; "
    f"INSERT INTO {TABLE} (list_id, month, messages) VALUES (NEW.mailing_list_id, {_PG_MONTH.format(row='NEW')}, 1) "
    f"ON CONFLICT (list_id, month) DO UPDATE SET messages = {TABLE}.messages + 1; "
    "RETURN NULL; END$$",
    f"CREATE OR REPLACE FUNCTION {TABLE}_gone() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN "
    f"UPDATE {TABLE} c SET messages = c.messages - g.n FROM (SELECT mailing_list_id AS list_id, "
    f"{_PG_MONTH.format(row='gone')} AS month, COUNT(*) AS n FROM gone GROUP BY 1, 2) g "
    "WHERE c.list_id = g.list_id AND c.month = g.month; "
    f"DELETE FROM {TABLE} WHERE messages <= 0; RETURN NULL; END$$",
    f"CREATE OR REPLACE FUNCTION {TABLE}_follow_truncate() RETURNS trigger LANGUAGE plpgsql AS "
    f"$$BEGIN TRUNCATE {TABLE}; RETURN NULL; END$$",
    f"DROP TRIGGER IF EXISTS {TABLE}_follow ON archive_message",
    f"CREATE TRIGGER {TABLE}_follow AFTER INSERT ON archive_message FOR EACH ROW EXECUTE FUNCTION {TABLE}_follow()",
    f"DROP TRIGGER IF EXISTS {TABLE}_follow_update ON archive_message",
    f"CREATE TRIGGER {TABLE}_follow_update AFTER UPDATE OF mailing_list_id, date ON archive_message FOR EACH ROW "
    "WHEN (OLD.mailing_list_id IS DISTINCT FROM NEW.mailing_list_id OR OLD.date IS DISTINCT FROM NEW.date) "
    f"EXECUTE FUNCTION {TABLE}_follow()",
    f"DROP TRIGGER IF EXISTS {TABLE}_gone ON archive_message",
    f"CREATE TRIGGER {TABLE}_gone AFTER DELETE ON archive_message REFERENCING OLD TABLE AS gone "
    f"FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_gone()",
    f"DROP TRIGGER IF EXISTS {TABLE}_follow_truncate ON archive_message",
    f"CREATE TRIGGER {TABLE}_follow_truncate AFTER TRUNCATE ON archive_message "
    f"FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_follow_truncate()",
)


def create_schema(cursor: Any, vendor: str) -> None:
    """The table and its triggers (idempotent); `recount` fills it."""
    for statement in SQLITE_SCHEMA if vendor == "sqlite" else POSTGRES_SCHEMA:
        cursor.execute(statement)


def drop_schema(cursor: Any, vendor: str) -> None:
    if vendor == "sqlite":
        for name in ("insert", "delete", "update"):
            cursor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_{name}")
    else:
        for name in ("follow", "follow_update", "gone", "follow_truncate"):
            cursor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_{name} ON archive_message")
        cursor.execute(f"DROP FUNCTION IF EXISTS {TABLE}_follow(), {TABLE}_gone(), {TABLE}_follow_truncate()")
    cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")


@contextmanager
def counting_batch(pks: Sequence[int]) -> Iterator[None]:
    """Around the ingest's INSERT of the messages `pks`: on PostgreSQL their months are counted in
    one statement after it (the row trigger stands aside meanwhile); on SQLite, whose trigger
    updates a row in place, nothing to do."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, 'on', true)", [_PG_SKIP])
        yield
        cursor.execute("SELECT set_config(%s, '', true)", [_PG_SKIP])
        cursor.execute(
            f"INSERT INTO {TABLE} (list_id, month, messages) SELECT m.mailing_list_id, {_PG_MONTH.format(row='m')}, "
            "COUNT(*) FROM archive_message m WHERE m.id = ANY(%s::bigint[]) GROUP BY 1, 2 ORDER BY 1, 2 "
            f"ON CONFLICT (list_id, month) DO UPDATE SET messages = {TABLE}.messages + excluded.messages",
            [list(pks)],
        )


# --- reading ------------------------------------------------------------------------------------


def months(list_pk: int) -> list[tuple[str, int]]:
    """("YYYY-MM", messages) of every month of the list with messages, oldest first."""
    with connection.cursor() as cursor:
        cursor.execute(MONTHS_SQL, [list_pk])
        return [(month, int(n)) for month, n in cursor.fetchall()]


def totals(list_pks: Iterable[int]) -> dict[int, int]:
    """Messages of each list (every stored message, redacted ones included); 0 for a list without."""
    return {pk: n for pk, (n, _) in activity(list_pks).items()}


def activity(list_pks: Iterable[int]) -> dict[int, tuple[int, datetime | None]]:
    """(messages, date of the latest message) of each list, in one query: the list's kept months
    summed, and one probe of the (list, date) index for the latest date."""
    from listhaven.archive.bulk import from_db_datetime

    pks = sorted(set(list_pks))
    if not pks:
        return {}
    if connection.vendor == "sqlite":
        ids, pk, params = "json_each(%s) AS ids", "ids.value", [f"[{', '.join(map(str, pks))}]"]
    else:
        ids, pk, params = "unnest(%s::bigint[]) AS ids(pk)", "ids.pk", [pks]
    sql = (
        f"SELECT {pk}, (SELECT SUM(c.messages) FROM {TABLE} c WHERE c.list_id = {pk}), "
        f"(SELECT MAX(m.date) FROM archive_message m WHERE m.mailing_list_id = {pk}) FROM {ids}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {
        int(list_pk): (int(n or 0), from_db_datetime(last) if last is not None else None) for list_pk, n, last in rows
    }


# --- counting from scratch ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Difference:
    list_pk: int
    month: str
    kept: int  # what the table said
    counted: int  # what the messages say


def counted(list_pks: Sequence[int] | None = None) -> dict[tuple[int, str], int]:
    """{(list, month): messages} counted from the messages themselves (reads every row)."""
    month = (_SQLITE_MONTH if connection.vendor == "sqlite" else _PG_MONTH).format(row="m")
    where, params = _lists_clause("m.mailing_list_id", list_pks)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT m.mailing_list_id, {month}, COUNT(*) FROM archive_message m{where} GROUP BY 1, 2", params
        )
        return {(int(pk), str(m)): int(n) for pk, m, n in cursor.fetchall()}


def kept(list_pks: Sequence[int] | None = None) -> dict[tuple[int, str], int]:
    where, params = _lists_clause("list_id", list_pks)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT list_id, month, messages FROM {TABLE}{where}", params)
        return {(int(pk), str(m)): int(n) for pk, m, n in cursor.fetchall()}


def recount(list_pks: Sequence[int] | None = None, *, repair: bool = True) -> list[Difference]:
    """Counts the lists' months (every list's by default) from the messages, and the rows of the
    table that differ; `repair` replaces those rows with the new counts. Writers wait meanwhile (on
    SQLite the write lock; on PostgreSQL a lock on the table, which their triggers need), so
    nothing stored during the count is missed or counted twice."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"LOCK TABLE {TABLE} IN SHARE ROW EXCLUSIVE MODE")
            fresh, table = counted(list_pks), kept(list_pks)
            differences = [
                Difference(pk, month, table.get((pk, month), 0), fresh.get((pk, month), 0))
                for pk, month in sorted(set(fresh) | set(table))
                if table.get((pk, month), 0) != fresh.get((pk, month), 0)
            ]
            if repair and differences:
                for d in differences:
                    cursor.execute(f"DELETE FROM {TABLE} WHERE list_id = %s AND month = %s", [d.list_pk, d.month])
                cursor.executemany(
                    f"INSERT INTO {TABLE} (list_id, month, messages) VALUES (%s, %s, %s)",
                    [(d.list_pk, d.month, d.counted) for d in differences if d.counted],
                )
    return differences


def _lists_clause(column: str, list_pks: Sequence[int] | None) -> tuple[str, list[int]]:
    if list_pks is None:
        return "", []
    pks = sorted(set(list_pks)) or [0]
    return f" WHERE {column} IN ({', '.join(['%s'] * len(pks))})", pks
