"""The registry of search backends: one per database vendor."""

from __future__ import annotations

from typing import Any

from listhaven.search.base import SearchBackend
from listhaven.search.fts5 import Fts5Backend


def backend_for(connection: Any) -> SearchBackend:
    """The backend for a Django database connection (``connection.vendor``)."""
    vendor = connection.vendor
    if vendor == "sqlite":
        return Fts5Backend()
    if vendor == "postgresql":
        from listhaven.search.postgres import PostgresBackend

        return PostgresBackend()
    raise ValueError(f"no search backend for database vendor {vendor!r}")
