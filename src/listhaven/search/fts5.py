"""SQLite FTS5 search index, the embedded default.

Contentless (``content=''``): the text lives once, in the message table; the index holds only
tokens. Rows are removed with FTS5's 'delete' command, which needs the indexed values back, so
documents are always rebuilt from the message by `documents.document_for_message`.
"""

from __future__ import annotations

from typing import Any, Sequence

from listhaven.search.base import SearchDocument

TABLE = "search_fts"
COLUMNS = ("subject", "sender", "recipients", "body", "quoted", "filenames")


class Fts5Backend:
    vendor = "sqlite"

    def create_schema(self, cursor: Any) -> None:
        cursor.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5("
            + ", ".join(COLUMNS)
            + ", content='', tokenize='unicode61 remove_diacritics 2', prefix='2 3')"
        )

    def drop_schema(self, cursor: Any) -> None:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")

    def index(self, cursor: Any, documents: Sequence[SearchDocument]) -> None:
        cursor.executemany(
            f"INSERT INTO {TABLE}(rowid, {', '.join(COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [_values(d) for d in documents],
        )

    def remove(self, cursor: Any, documents: Sequence[SearchDocument]) -> None:
        cursor.executemany(
            f"INSERT INTO {TABLE}({TABLE}, rowid, {', '.join(COLUMNS)}) VALUES ('delete', ?, ?, ?, ?, ?, ?, ?)",
            [_values(d) for d in documents],
        )


def _values(d: SearchDocument) -> tuple[object, ...]:
    return (d.rowid, d.subject, d.sender, d.recipients, d.body, d.quoted, d.filenames)
