"""The rows a search page is made of, read in SQL: one copy for the web's connection and the quick path.

A page of hits needs, for 20 to 60 message ids, their stored fields, their lists and threads
(search_pages.SearchStore). Both stores read them here, over a DB-API cursor taking ``%s``:
`archive/search.py`'s OrmStore over Django's connection (SQLite or PostgreSQL), and the command
line's `archive/sqlite_reads.py` over the sqlite3 module. Through the ORM the same reads cost about
as much again in building the queries as in running them (~2 ms of a search's Python time). This
module imports no Django and nothing of the search, so the quick path's other commands stay quick.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any, NamedTuple

from listhaven.archive.visibility import visible_sql


class HitRow(NamedTuple):
    """The stored fields a hit is made from."""

    pk: int
    public_id: str
    message_id: str
    subject: str
    sender_name: str
    sender_email: str
    date: datetime
    body_text: str
    list_name: str
    obfuscate_addresses: bool
    thread_id: str  # the thread's public id
    thread_size: int


class ThreadRow(NamedTuple):
    list_name: str
    public_id: str
    subject: str
    message_count: int
    first_date: datetime | None
    last_date: datetime | None


def as_moment(value: str | datetime | None) -> datetime | None:
    """A stored datetime as Django gives it back: aware, in UTC. SQLite keeps naive UTC text (read
    as text by the sqlite3 module, as a naive datetime through Django's converters); PostgreSQL
    gives an aware datetime."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class SearchReads:
    """search_pages.SearchStore's reads of rows. A subclass gives `cursor()` and `vendor`."""

    vendor: str  # "sqlite" or "postgresql": how a list of ids is passed

    def cursor(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _rows(self, sql: str, params: Sequence[object] = ()) -> list[Any]:
        with self.cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())

    def _among(self, column: str, ids: Sequence[int]) -> tuple[str, list[object]]:
        """`column` among `ids`, as one parameter: a thread search asks for 1,001 ids, and ``IN (%s,
        ...)`` of a thousand placeholders cost more to write and bind than the statement took to run
        (~5 ms a thread search). On PostgreSQL the array is written as its text: psycopg quoting a
        list of a thousand ints took ~4 ms."""
        if self.vendor == "postgresql":
            return f"{column} = ANY(%s::bigint[])", ["{" + ",".join(str(int(pk)) for pk in ids) + "}"]
        return f"{column} IN (SELECT value FROM json_each(%s))", [json.dumps([int(pk) for pk in ids])]

    def list_count(self) -> int:
        return int(self._rows("SELECT COUNT(*) FROM lists_mailinglist")[0][0])

    def visible_hits(self, ids: Sequence[int]) -> dict[int, HitRow]:
        if not ids:
            return {}
        among, params = self._among("m.id", ids)
        rows = self._rows(
            "SELECT m.id, m.public_id, m.message_id, m.subject, m.sender_name, m.sender_email, m.date, m.body_text, "
            "l.name, l.obfuscate_addresses, t.public_id, t.message_count FROM archive_message m "
            "JOIN lists_mailinglist l ON l.id = m.mailing_list_id JOIN archive_thread t ON t.id = m.thread_id "
            f"WHERE {among} AND {visible_sql('m')}",
            params,
        )
        found = {}
        for pk, public_id, message_id, subject, name, email, date, body, list_name, obfuscates, tid, size in rows:
            moment = as_moment(date)
            assert moment is not None  # the column is NOT NULL
            found[int(pk)] = HitRow(int(pk), public_id, message_id, subject, name, email, moment, body, list_name,
                                    bool(obfuscates), tid, int(size))  # fmt: skip
        return found

    def thread_ids(self, ids: Sequence[int]) -> dict[int, int]:
        if not ids:
            return {}
        among, params = self._among("id", ids)
        return {
            int(pk): int(tid)
            for pk, tid in self._rows(f"SELECT id, thread_id FROM archive_message WHERE {among}", params)
        }

    def threads(self, ids: Sequence[int]) -> dict[int, ThreadRow]:
        if not ids:
            return {}
        among, params = self._among("t.id", ids)
        rows = self._rows(
            "SELECT t.id, l.name, t.public_id, t.subject, t.message_count, t.first_date, t.last_date "
            f"FROM archive_thread t JOIN lists_mailinglist l ON l.id = t.mailing_list_id WHERE {among}",
            params,
        )
        return {
            int(tid): ThreadRow(name, public_id, subject, int(n), as_moment(first), as_moment(last))
            for tid, name, public_id, subject, n, first, last in rows
        }
