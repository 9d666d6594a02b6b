"""Fast bulk writes for the ingest hot path.

Django's `bulk_create` spends most of its time preparing each value in Python; the ingest writes
tens of thousands of rows a second, so it writes them with `executemany` instead. Values are
adapted with the connection's own operations (`adapt_datetimefield_value`, JSON as text), so the
rows read back through the ORM exactly as if the ORM had written them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any

from django.db import connection

from listhaven.search.fts5 import sqlite_datetime


def db_datetime(value: datetime | None) -> Any:
    """A datetime as this database stores it (SQLite: naive UTC text, as Django writes it)."""
    if _on_sqlite():
        return sqlite_datetime(value)
    return connection.ops.adapt_datetimefield_value(value)


def from_db_datetime(value: Any) -> datetime:
    """A date read by raw SQL as the ORM would give it: aware, in UTC (SQLite keeps naive UTC text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@cache
def _on_sqlite() -> bool:
    # Asked once: the ingest converts two dates per message, and each look-up through Django's
    # connection proxy cost more than the conversion (a fifth of the writer's Python time on ltp).
    return bool(connection.vendor == "sqlite")


# json.dumps(value, ensure_ascii=False) makes a new encoder each call: the ingest encodes a
# message's recipients and a thread's participants a few times per message.
_ENCODE_JSON = json.JSONEncoder(ensure_ascii=False).encode


def db_json(value: object) -> str:
    """`json.dumps(value, ensure_ascii=False)`."""
    return _ENCODE_JSON(value)


def allocate_ids(table: str, count: int) -> list[int]:
    """`count` fresh primary keys for `table`, reserved inside the current transaction.

    SQLite: the ingest's transaction holds the write lock (BEGIN IMMEDIATE), so max(id) + 1 is
    safe. PostgreSQL: the table's sequence hands them out."""
    if count == 0:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count]
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        start = cursor.fetchone()[0] + 1
        return list(range(start, start + count))


def insert_rows(table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    if not rows:
        return
    placeholders = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def update_rows(table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """UPDATE table SET columns... WHERE id = last value of each row."""
    if not rows:
        return
    assignments = ", ".join(f"{c} = %s" for c in columns)
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET {assignments} WHERE id = %s", rows)


# SQLite allows 32766 bound parameters; stay well below.
_CHUNK = 900


def rows_for_ids(select: str, list_pk: int, ids: Sequence[str]) -> Iterator[tuple[Any, ...]]:
    """The rows of `select`, a query ending in "... = %s AND column IN ", for one list and `ids`,
    asked a chunk of ids at a time. In SQL, not the ORM: the ingest asks for 10,000-20,000 ids a
    batch, and the ORM's preparation of each value of an IN list cost more than the query."""
    with connection.cursor() as cursor:
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            cursor.execute(select + "(" + ", ".join(["%s"] * len(chunk)) + ")", [list_pk, *chunk])
            yield from cursor.fetchall()
