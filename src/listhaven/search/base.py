"""What every search backend offers, and the document it indexes.

The archive writes `SearchDocument`s inside the same transaction that stores the messages, so the
index never disagrees with the store. Backends: fts5.py (SQLite, the embedded default) and
postgres.py (PostgreSQL tsvector + GIN).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol

if TYPE_CHECKING:
    from listhaven.search.query import Node

Order = Literal["rank", "date"]


class SearchDocument(NamedTuple):
    """The searchable text of one message; `rowid` is the message's primary key.

    A named tuple, not a frozen dataclass: the ingest makes two for each message it stores (one as
    the parser's result arrives, one with the new row's id), and a frozen dataclass sets each field
    through `object.__setattr__`, several times the cost of a tuple."""

    rowid: int
    subject: str
    sender: str  # display name and address
    recipients: str  # To and Cc, names and addresses
    body: str  # the author's own lines
    quoted: str  # lines quoted from others (``>``), ranked below the author's own words
    filenames: str  # attachment file names


class Placement(NamedTuple):
    """Where an indexed message is filed, as its stored row says: what a backend reads back from
    the row when it indexes a message, unless the caller that has just written the row gives it."""

    list_id: int
    date: datetime
    has_attachments: bool


@dataclass(frozen=True)
class Scope:
    """The lists a search covers. `everything` says they are all the store holds, so no list
    restriction is needed; `names` resolves ``list:NAME`` within the scope. `visible` is the
    archive's rule of what readers may see, as SQL over the message row ``m``: backends add it
    wherever they read the message table rather than the index (a removed message has no index row)."""

    list_ids: tuple[int, ...]
    everything: bool = False
    names: dict[str, int] = field(default_factory=dict)
    visible: str = field(kw_only=True)


class SearchBackend(Protocol):
    """One backend per database vendor; all methods take an open DB-API cursor inside a transaction.

    Writing: `index` and `remove` (in the transaction that stores or removes the messages). `index`
    may be given each document's `Placement` by a caller that has it (the ingest, which has just
    inserted the rows); without it, the backend reads it from the stored rows.
    Reading: `find` returns (message id, score) pairs, best first for "rank" (lower score is
    better), newest first for "date"; `count` counts exactly up to `cap` and answers cap + 1 beyond;
    `count_and_find` answers both (a page of results shows both), in one go where it can.
    """

    vendor: str

    def create_schema(self, cursor: Any) -> None: ...

    def drop_schema(self, cursor: Any) -> None: ...

    def index(
        self, cursor: Any, documents: Sequence[SearchDocument], placements: Sequence[Placement] | None = None
    ) -> None: ...

    def remove(self, cursor: Any, documents: Sequence[SearchDocument]) -> None: ...

    def settle(self, cursor: Any) -> None:
        """After a bulk load (an import): whatever makes the index quick to search again."""
        ...

    def find(
        self, cursor: Any, node: Node, scope: Scope, order: Order, limit: int, offset: int = 0
    ) -> list[tuple[int, float | None]]: ...

    def count(self, cursor: Any, node: Node, scope: Scope, cap: int) -> int: ...

    def count_and_find(
        self, cursor: Any, node: Node, scope: Scope, order: Order, cap: int, limit: int, offset: int = 0
    ) -> tuple[int, list[tuple[int, float | None]]]: ...
