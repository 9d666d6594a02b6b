"""The archive read through the sqlite3 module alone: the command line's quick path.

`listhaven lists`, `stats`, `threads` and `search` answer in well under 150 ms whole-process on a
SQLite store, as `mu find` does, only without Django: importing and setting it up costs more than
the whole answer. `listhaven.cli` opens the store (`quick_connection`) when it is SQLite with an up
to date schema, and the commands read it here, from the same tables the ORM maps. What the two paths
share is written once: the search page (search_pages.py, with the FTS5 backend), the figures'
shape and month counts (figures.py), what a reader may see (visibility.py), and the printing (the
command modules). tests/test_cli_quick.py runs every command both ways on a generated store and
compares the output byte for byte.

Dates: Django keeps them on SQLite as naive UTC text; `as_moment` reads them back as Django does.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from listhaven.archive.figures import MONTHS_SQL, ListStats
from listhaven.archive.search_reads import SearchReads, as_moment

if TYPE_CHECKING:
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


class SqliteArchive(SearchReads):
    """Reads of lists, figures, threads and search pages over an open sqlite3 connection (a search
    page's rows: SearchReads)."""

    vendor = "sqlite"

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
            first_date=as_moment(first),
            last_date=as_moment(last),
            months=months,
        )

    def recent_threads(self, mlist: ListRow, limit: int) -> list[ThreadSummary]:
        """The list's threads, latest message first (as `Thread.objects...order_by("-last_date")`)."""
        rows = self._rows(
            "SELECT public_id, subject, message_count, participant_count, last_date FROM archive_thread "
            "WHERE mailing_list_id = %s ORDER BY last_date DESC LIMIT %s",
            [mlist.pk, limit],
        )
        return [
            ThreadSummary(pid, subject, int(n), int(people), as_moment(last)) for pid, subject, n, people, last in rows
        ]


def _list_row(row: Sequence[Any]) -> ListRow:
    pk, name, address, description, policy, obfuscates = row
    return ListRow(int(pk), name, address, description, policy, bool(obfuscates))


def _qmark(sql: str) -> str:
    return _FORMAT_MARK.sub("?", sql).replace("%%", "%")
