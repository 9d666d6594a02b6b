"""The archive read through the sqlite3 module alone: the command line's quick path.

`listhaven lists`, `stats`, `threads` and `search` answer in well under 150 ms whole-process on a
SQLite store, as `mu find` does, only without Django: importing and setting it up costs more than
the whole answer. `listhaven.cli` opens the store (`quick_connection`) when it is SQLite with an up
to date schema, and the commands read it here, from the same tables the ORM maps. What the two paths
share is written once: the search page (search_pages.py, with the FTS5 backend), the figures'
shape and month counts (figures.py), what a reader may see (visibility.py), and the printing (the
command modules). tests/test_cli_quick.py runs every command both ways on a generated store and
compares the output byte for byte.

Dates: Django keeps them on SQLite as naive UTC text; `_moment` reads them back as Django does.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from listhaven.archive.figures import MONTHS_SQL, ListStats
from listhaven.archive.visibility import visible_sql

if TYPE_CHECKING:
    from listhaven.archive.search_pages import HitRow, ThreadRow
    from listhaven.search.fts5 import Fts5Backend

# The search modules are imported by the methods that search: `lists`, `stats` and `threads` need none.

_FORMAT_MARK = re.compile(r"(?<!%)%s")  # Django's placeholders, as its SQLite backend converts them


class ListRow(NamedTuple):
    pk: int
    name: str
    address: str
    description: str
    archive_policy: str
    obfuscate_addresses: bool


class ThreadSummary(NamedTuple):
    """A thread as `listhaven threads` shows it (the attributes of the Thread model it reads)."""

    public_id: str
    subject: str
    message_count: int
    participant_count: int
    last_date: datetime | None


_LIST = "SELECT id, name, address, description, archive_policy, obfuscate_addresses FROM lists_mailinglist"


class QmarkCursor:
    """A sqlite3 cursor taking the ``%s`` placeholders the search backends write (for Django)."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self.cursor = cursor

    def execute(self, sql: str, params: Sequence[object] = ()) -> QmarkCursor:
        self.cursor.execute(_qmark(sql), tuple(params))
        return self

    def fetchall(self) -> list[Any]:
        return self.cursor.fetchall()

    def fetchone(self) -> Any:
        return self.cursor.fetchone()


class SqliteArchive:
    """Reads of lists, figures, threads and search pages over an open sqlite3 connection."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    @property
    def backend(self) -> Fts5Backend:
        from listhaven.search.fts5 import Fts5Backend

        return Fts5Backend()

    @contextmanager
    def cursor(self) -> Iterator[QmarkCursor]:
        cursor = self.connection.cursor()
        try:
            yield QmarkCursor(cursor)
        finally:
            cursor.close()

    def _rows(self, sql: str, params: Sequence[object] = ()) -> list[Any]:
        with self.cursor() as cursor:
            return cursor.execute(sql, params).fetchall()

    # --- lists -----------------------------------------------------------------------------------

    def lists_named(self, key: str) -> list[ListRow]:
        """Up to two lists whose address or short name is `key` (as directory.find_list asks)."""
        return [_list_row(r) for r in self._rows(f"{_LIST} WHERE address = %s OR name = %s ORDER BY name LIMIT 2",
                                                 [key, key])]

    def lists_by_local_part(self, key: str) -> list[ListRow]:
        """Up to two lists whose address starts with ``key@`` (Django's ``startswith`` on SQLite)."""
        pattern = re.sub(r"([\\%_])", r"\\\1", key) + "@%"
        sql = f"{_LIST} WHERE address LIKE %s ESCAPE '\\' ORDER BY name LIMIT 2"
        return [_list_row(r) for r in self._rows(sql, [pattern])]

    def all_lists(self) -> list[ListRow]:
        return [_list_row(r) for r in self._rows(f"{_LIST} ORDER BY name")]

    def list_count(self) -> int:
        return int(self._rows("SELECT COUNT(*) FROM lists_mailinglist")[0][0])

    def message_counts(self) -> dict[int, int]:
        """Messages per list id (every stored message, as the ORM's Count("messages") counts)."""
        rows = self._rows("SELECT list_id, SUM(messages) FROM archive_month_count GROUP BY list_id")
        return {int(pk): int(n) for pk, n in rows}

    # --- figures and threads ---------------------------------------------------------------------

    def list_stats(self, mlist: ListRow) -> ListStats:
        """What stats.list_stats gives for the list, read directly."""
        by_date = "SELECT {}(date) FROM archive_message WHERE mailing_list_id = %s"  # one end of the index each
        first, last = (self._rows(by_date.format(end), [mlist.pk])[0][0] for end in ("MIN", "MAX"))
        months = [(month, int(count)) for month, count in self._rows(MONTHS_SQL, [mlist.pk])]
        one = "SELECT COUNT(*) FROM {} WHERE mailing_list_id = %s"
        authors = "SELECT COUNT(*) FROM (SELECT DISTINCT sender_email FROM archive_message WHERE mailing_list_id = %s)"
        return ListStats(
            list=mlist.address,
            messages=sum(n for _, n in months),
            threads=int(self._rows(one.format("archive_thread"), [mlist.pk])[0][0]),
            authors=int(self._rows(authors, [mlist.pk])[0][0]),
            quarantined=int(self._rows(one.format("archive_quarantine"), [mlist.pk])[0][0]),
            first_date=_moment(first),
            last_date=_moment(last),
            months=months,
        )

    def recent_threads(self, mlist: ListRow, limit: int) -> list[ThreadSummary]:
        """The list's threads, latest message first (as `Thread.objects...order_by("-last_date")`)."""
        rows = self._rows(
            "SELECT public_id, subject, message_count, participant_count, last_date FROM archive_thread "
            "WHERE mailing_list_id = %s ORDER BY last_date DESC LIMIT %s",
            [mlist.pk, limit],
        )
        return [ThreadSummary(pid, subject, int(n), int(people), _moment(last)) for pid, subject, n, people, last in rows]

    # --- a search page (search_pages.SearchStore) ------------------------------------------------

    def visible_hits(self, ids: Sequence[int]) -> dict[int, HitRow]:
        from listhaven.archive.search_pages import HitRow

        if not ids:
            return {}
        rows = self._rows(
            "SELECT m.id, m.public_id, m.message_id, m.subject, m.sender_name, m.sender_email, m.date, m.body_text, "
            "l.name, l.obfuscate_addresses, t.public_id, t.message_count FROM archive_message m "
            "JOIN lists_mailinglist l ON l.id = m.mailing_list_id JOIN archive_thread t ON t.id = m.thread_id "
            f"WHERE m.id IN ({_marks(ids)}) AND {visible_sql('m')}",
            list(ids),
        )
        found = {}
        for pk, public_id, message_id, subject, name, email, date, body, list_name, obfuscates, tid, size in rows:
            moment = _moment(date)
            assert moment is not None  # the column is NOT NULL
            found[int(pk)] = HitRow(int(pk), public_id, message_id, subject, name, email, moment, body, list_name,
                                    bool(obfuscates), tid, int(size))  # fmt: skip
        return found

    def thread_ids(self, ids: Sequence[int]) -> dict[int, int]:
        if not ids:
            return {}
        rows = self._rows(f"SELECT id, thread_id FROM archive_message WHERE id IN ({_marks(ids)})", list(ids))
        return {int(pk): int(tid) for pk, tid in rows}

    def threads(self, ids: Sequence[int]) -> dict[int, ThreadRow]:
        from listhaven.archive.search_pages import ThreadRow

        if not ids:
            return {}
        rows = self._rows(
            "SELECT t.id, l.name, t.public_id, t.subject, t.message_count, t.first_date, t.last_date "
            f"FROM archive_thread t JOIN lists_mailinglist l ON l.id = t.mailing_list_id WHERE t.id IN ({_marks(ids)})",
            list(ids),
        )
        return {
            int(tid): ThreadRow(name, public_id, subject, int(n), _moment(first), _moment(last))
            for tid, name, public_id, subject, n, first, last in rows
        }


def _list_row(row: Sequence[Any]) -> ListRow:
    pk, name, address, description, policy, obfuscates = row
    return ListRow(int(pk), name, address, description, policy, bool(obfuscates))


def _marks(ids: Sequence[int]) -> str:
    return ", ".join(["%s"] * len(ids))


def _qmark(sql: str) -> str:
    return _FORMAT_MARK.sub("?", sql).replace("%%", "%")


def _moment(value: str | None) -> datetime | None:
    """A stored datetime as Django gives it back: aware, in UTC."""
    if value is None:
        return None
    return datetime.fromisoformat(value).replace(tzinfo=UTC)
