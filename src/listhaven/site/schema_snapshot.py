"""A new SQLite store made from a snapshot of what its migrations produce, instead of replaying them.

Replaying the migrations (37 of them, with Django's contrib apps) costs 2-4 CPU seconds for every new
store: more than importing several thousand messages, and paid by every `listhaven ... --create`
on a new data directory. So the first new store of a code version is migrated as before, and a copy
of it (`VACUUM INTO`, a consistent copy of every table, index, trigger and FTS5 setting) is kept in
the schema cache (SCHEMA_CACHE_DIR) under a key made of everything that schema depends on: Django's
and SQLite's versions and the bytes of Listhaven's code (`snapshot_key`). A later new store with the
same key starts as a copy of that file, i.e. exactly what the migrations made, rows included
(migration records, content types, permissions, the store's identity); nothing in it is a secret
or differs between stores. Changed code changes the key, so a stale snapshot is never used;
any doubt (PostgreSQL, test settings that replace migrations, a store file already there, a cache
that cannot be read or written) falls back to running the migrations.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import django


def _store_path() -> Path | None:
    """The SQLite store's file when a snapshot may stand in for its migrations, else None."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if not database["ENGINE"].endswith("sqlite3") or getattr(settings, "MIGRATION_MODULES", None):
        return None
    name = str(database["NAME"])
    if name == ":memory:" or name.startswith("file:"):
        return None
    return Path(name)


def _cache_dir() -> Path | None:
    from django.conf import settings

    value: Path | None = settings.SCHEMA_CACHE_DIR
    return value


def snapshot_key() -> str:
    """What the schema of a new store depends on, hashed: Django's and SQLite's versions, the
    installed apps and every source file of Listhaven. Not only the migration files: some migrations
    call the code of the day (the search index's schema comes from search/fts5.py), so any change
    of the code is a new version with its own snapshot (hashing the 1.2 MB of source takes ~20 ms,
    and only when a store is new)."""
    from django.conf import settings

    digest = hashlib.sha256()
    digest.update(f"django {django.get_version()} sqlite {sqlite3.sqlite_version}\n".encode())
    digest.update(("\n".join(settings.INSTALLED_APPS) + "\n").encode())
    package = Path(__file__).resolve().parents[1]
    for path in sorted(package.rglob("*.py")):
        digest.update(f"{path.relative_to(package)}\n".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


def snapshot_path() -> Path | None:
    cache = _cache_dir()
    return cache / f"schema-{snapshot_key()}.sqlite3" if cache is not None else None


def is_new_store() -> bool:
    """No store file yet, where a snapshot could be used."""
    path = _store_path()
    return path is not None and not path.exists()


def restore() -> bool:
    """Creates the (absent) store as a copy of this code version's snapshot; False when there is none.

    The copy is written beside the store, flushed to disk, then linked into place, which fails
    rather than overwrite if another process created the store meanwhile."""
    path, snapshot = _store_path(), snapshot_path()
    if path is None or snapshot is None or not snapshot.is_file() or path.exists():
        return False
    from django.db import connection

    connection.close()  # nothing may hold the (absent) store open while it appears
    temporary = path.with_name(f".{path.name}.{os.getpid()}.snapshot")
    try:
        temporary.write_bytes(snapshot.read_bytes())
        _fsync(temporary)
        os.link(temporary, path)
        _fsync(path.parent)
    except OSError:
        return False
    finally:
        temporary.unlink(missing_ok=True)
    return True


def save() -> None:
    """Keeps a copy of the store, just migrated and still empty, as this code version's snapshot."""
    path, snapshot = _store_path(), snapshot_path()
    if path is None or snapshot is None or snapshot.exists():
        return
    temporary = snapshot.with_name(f".{snapshot.name}.{os.getpid()}")
    try:
        snapshot.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(path) as source:
            source.execute("VACUUM INTO ?", (str(temporary),))
        source.close()
        _fsync(temporary)
        os.replace(temporary, snapshot)
        _prune(snapshot.parent)
    except (OSError, sqlite3.Error):
        pass  # no cache: the next new store is migrated, as this one was
    finally:
        temporary.unlink(missing_ok=True)


KEPT = 8  # snapshots of the most recent code versions kept; older ones are deleted


def _prune(cache: Path) -> None:
    snapshots = sorted(cache.glob("schema-*.sqlite3"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in snapshots[KEPT:]:
        old.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
