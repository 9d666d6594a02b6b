"""What every search backend offers, and the document it indexes.

The archive writes `SearchDocument`s inside the same transaction that stores the messages, so the
index never disagrees with the store. Backends: fts5.py (SQLite, the embedded default) and
postgres.py (PostgreSQL tsvector + GIN).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, Sequence


@dataclass(frozen=True, slots=True)
class SearchDocument:
    """The searchable text of one message; `rowid` is the message's primary key."""

    rowid: int
    subject: str
    sender: str  # display name and address
    recipients: str  # To and Cc, names and addresses
    body: str  # the author's own lines
    quoted: str  # lines quoted from others (``>``), ranked below the author's own words
    filenames: str  # attachment file names


class SearchBackend(Protocol):
    """One backend per database vendor; all methods take an open DB-API cursor inside a transaction."""

    vendor: str

    def create_schema(self, cursor: Any) -> None: ...

    def drop_schema(self, cursor: Any) -> None: ...

    def index(self, cursor: Any, documents: Sequence[SearchDocument]) -> None: ...

    def remove(self, cursor: Any, documents: Sequence[SearchDocument]) -> None: ...
