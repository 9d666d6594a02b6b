"""One process at a time creates or upgrades a store's schema.

The services start together (systemd starts `serve`, `lmtp` and `worker` at boot, and again after an
upgrade), and each brings the schema up to date when it finds it behind (cli.ensure_schema). Without a
lock they ran the same migrations at once, and all but one died with "table ... already exists". The
lock is held only while migrating: on SQLite an exclusive `flock` on a file beside the database, on
PostgreSQL a session advisory lock. The process that waited looks again and finds the work done.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

ADVISORY_KEY = 0x4C48_5343  # "LHSC": the key of the schema's advisory lock on PostgreSQL


@contextmanager
def schema_lock() -> Iterator[None]:
    """Held by one process at a time per store; blocks until it is free."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [ADVISORY_KEY])
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_KEY])
        return
    store = Path(str(connection.settings_dict["NAME"]))
    store.parent.mkdir(parents=True, exist_ok=True)
    with open(store.with_name(f".{store.name}.schema-lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
