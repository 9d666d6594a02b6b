"""A throwaway PostgreSQL cluster on 127.0.0.1 for tests, from the machine's own binaries.

Used by tests/postgres/suite.py (the PostgreSQL run of make test) and by the tests that need a PostgreSQL
store of their own on the SQLite run (`own_database`); skipped cleanly where no PostgreSQL server is installed.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.ports import free_port

_SEARCH_DIRS = ["/usr/local/bin", *sorted(str(p) for p in Path("/usr/lib/postgresql").glob("*/bin"))]


def find_binary(name: str) -> str | None:
    for directory in _SEARCH_DIRS:
        candidate = Path(directory) / name
        if candidate.exists():
            return str(candidate)
    return shutil.which(name)


def _as_postgres(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: drop to the postgres user when we are root."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


@contextmanager
def running_cluster(durable: bool = False) -> Iterator[str]:
    """Starts a fresh cluster; yields a DATABASE_URL for a superuser on it; stops it after. Tests run it
    with fsync off; `durable` keeps fsync on (benchmarks, to compare with SQLite's synchronous=FULL)."""
    base = Path(tempfile.mkdtemp(prefix="listhaven-pg-"))
    try:
        with persistent_cluster(base, durable) as url:
            yield url
    finally:
        shutil.rmtree(base, ignore_errors=True)


@contextmanager
def persistent_cluster(base: Path, durable: bool = False, settings: tuple[str, ...] = ()) -> Iterator[str]:
    """A cluster kept in `base` (made there on first use, reused after): started on a free port, a
    DATABASE_URL yielded, stopped after. The scale benchmark keeps its million-message store in one.
    `settings`: extra "name=value" server settings."""
    initdb, pg_ctl = find_binary("initdb"), find_binary("pg_ctl")
    if not initdb or not pg_ctl:
        raise FileNotFoundError("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    data = base / "data"
    base.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    if not (data / "PG_VERSION").exists():
        subprocess.run(
            _as_postgres([initdb, "-D", str(data), "-U", "listhaven", "--auth=trust", "-E", "UTF8", "--locale=C"]),
            check=True, capture_output=True, timeout=120,
        )
    port = free_port()
    options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={base}"
    if not durable:
        options += " -c fsync=off"
    options += "".join(f" -c {setting}" for setting in settings)
    subprocess.run(
        _as_postgres([pg_ctl, "-D", str(data), "-o", options, "-l", str(base / "log"), "-w", "start"]),
        check=True, capture_output=True, timeout=120,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        yield f"postgres://listhaven@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_postgres([pg_ctl, "-D", str(data), "-m", "fast", "stop"]), capture_output=True, timeout=300)


@contextmanager
def own_database() -> Iterator[str]:
    """A superuser's DATABASE_URL for a new, empty database. On the PostgreSQL run (tests/postgres/suite.py)
    it is made in the run's own cluster and dropped after (starting another cluster costs several seconds of
    initdb); on the SQLite run, a throwaway cluster of its own (`running_cluster`)."""
    from tests.support.databases import create_database, drop_database, on_postgres

    if not on_postgres():
        with running_cluster() as url:
            yield url
        return
    cluster = os.environ["DATABASE_URL"]
    url = create_database(cluster)
    try:
        yield url
    finally:
        drop_database(cluster, url)
