"""Databases for the processes a test starts, on the PostgreSQL run.

On SQLite a `listhaven` process a test starts keeps its rows in its data directory. On the PostgreSQL run
(DATABASE_URL set, see tests/postgres/suite.py) its rows would go to the cluster's database named in
DATABASE_URL, shared by every test; so a test that starts processes gets a new, empty database of its own in
the same cluster (tests/conftest.py), dropped when it ends.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse


def on_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def create_database(cluster_url: str) -> str:
    """A new empty database in the cluster of `cluster_url`; returns its URL."""
    import psycopg

    name = f"store_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(cluster_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return urlunparse(urlparse(cluster_url)._replace(path=f"/{name}"))


def drop_database(cluster_url: str, url: str) -> None:
    """Drops the database of `url`, ending the connections a stopped test's processes may have left."""
    import psycopg

    name = urlparse(url).path.lstrip("/")
    with psycopg.connect(cluster_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_STORES: dict[str, str] = {}


def store_env(data_dir: Path, base: Mapping[str, str] | None = None, **extra: str) -> dict[str, str]:
    """The environment of a `listhaven` process whose store is `data_dir`: on PostgreSQL with a database of
    that store's own (made on first use), so two stores of one test stay apart as two directories do."""
    env = {**(os.environ if base is None else base), "LISTHAVEN_DATA": str(data_dir), **extra}
    if on_postgres():
        env["DATABASE_URL"] = _store_database(data_dir)
    return env


class StoreNotReady(Exception):
    """The store has no such table yet (a process is still creating its schema)."""


def store_rows(data_dir: Path, sql: str) -> list[tuple[Any, ...]]:
    """The rows `sql` (no parameters; SQL both databases speak) finds in the store of `data_dir`."""
    if not on_postgres():
        try:
            with sqlite3.connect(Path(data_dir) / "listhaven.sqlite3", timeout=30) as db:
                return db.execute(sql).fetchall()
        except sqlite3.OperationalError as error:
            raise StoreNotReady(str(error)) from error
    import psycopg

    try:
        with psycopg.connect(_store_database(data_dir)) as db:
            return db.execute(sql).fetchall()  # type: ignore[arg-type]
    except psycopg.errors.UndefinedTable as error:
        raise StoreNotReady(str(error)) from error


def search_index_rows(data_dir: Path) -> int:
    """How many messages the store's search index holds (FTS5 table or PostgreSQL documents)."""
    table = "search_document" if on_postgres() else "search_fts"
    return int(store_rows(data_dir, f"SELECT count(*) FROM {table}")[0][0])


def _store_database(data_dir: Path) -> str:
    key = str(Path(data_dir).resolve())
    if key not in _STORES:
        _STORES[key] = create_database(os.environ["DATABASE_URL"])
    return _STORES[key]


@contextmanager
def failing_inserts(table: str) -> Iterator[None]:
    """While inside, every INSERT into `table` fails in the database itself (a trigger), as a full disk
    or a lost server would make the commit fail; on whichever database the test runs."""
    from django.db import connection

    trigger = f"{table}_test_failure"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"CREATE FUNCTION {trigger}() RETURNS trigger LANGUAGE plpgsql AS "
                "$$BEGIN RAISE EXCEPTION 'simulated storage failure'; END$$"
            )
            cursor.execute(f"CREATE TRIGGER {trigger} BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION {trigger}()")
        else:
            cursor.execute(
                f"CREATE TRIGGER {trigger} BEFORE INSERT ON {table} BEGIN SELECT RAISE(ABORT, 'simulated storage failure'); END"
            )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER {trigger} ON {table}")
                cursor.execute(f"DROP FUNCTION {trigger}()")
            else:
                cursor.execute(f"DROP TRIGGER {trigger}")
