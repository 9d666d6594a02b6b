"""A new SQLite store made from the schema snapshot is exactly the store the migrations make."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path


def _listhaven(data_dir: Path, cache: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["LISTHAVEN_SCHEMA_CACHE"] = cache
    return subprocess.run([sys.executable, "-m", "listhaven", "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True, check=True, env=env)


def _contents(store: Path) -> dict[str, object]:
    """The schema (every table, index, trigger, view, FTS5 shadow table), the store-wide pragmas
    and every table's rows: what a store made by the migrations holds before anything is added."""
    db = sqlite3.connect(store)
    try:
        master = db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").fetchall()
        pragmas = {p: db.execute(f"PRAGMA {p}").fetchone()[0]
                   for p in ("user_version", "application_id", "page_size", "auto_vacuum", "encoding",
                             "journal_mode")}
        rows: dict[str, list[tuple]] = {}
        for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").fetchall():
            if name == "django_migrations":  # `applied` is the time each migration ran
                query = "SELECT id, app, name FROM django_migrations ORDER BY id"
            else:
                query = f'SELECT * FROM "{name}" ORDER BY 1'
            rows[name] = db.execute(query).fetchall()
        return {"master": master, "pragmas": pragmas, "rows": rows}
    finally:
        db.close()


def test_a_new_store_from_the_snapshot_is_the_migrated_store(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _listhaven(tmp_path / "migrated", "off", "lists", "--json")
    assert not cache.exists()
    _listhaven(tmp_path / "first", str(cache), "lists", "--json")  # migrated, and leaves the snapshot
    snapshots = list(cache.glob("schema-*.sqlite3"))
    assert len(snapshots) == 1
    _listhaven(tmp_path / "copied", str(cache), "lists", "--json")

    migrated = _contents(tmp_path / "migrated" / "listhaven.sqlite3")
    assert migrated["rows"]["django_migrations"] and migrated["rows"]["archive_storeidentity"]
    assert any(name == "search_fts" for _, name, _, _ in migrated["master"])
    assert _contents(tmp_path / "first" / "listhaven.sqlite3") == migrated
    assert _contents(tmp_path / "copied" / "listhaven.sqlite3") == migrated
    # the copy is the snapshot's: its migrations carry the times they ran for the first store
    applied = "SELECT applied FROM django_migrations ORDER BY id"
    first = sqlite3.connect(tmp_path / "first" / "listhaven.sqlite3").execute(applied).fetchall()
    copied = sqlite3.connect(tmp_path / "copied" / "listhaven.sqlite3").execute(applied).fetchall()
    assert first == copied


def test_a_store_from_the_snapshot_imports_and_a_stale_snapshot_is_not_used(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _listhaven(tmp_path / "first", str(cache), "lists", "--json")
    (snapshot,) = cache.glob("schema-*.sqlite3")
    mbox = tmp_path / "one.mbox"
    mbox.write_bytes(b"From a@example.org Mon Jan  1 00:00:00 2024\nFrom: A <a@example.org>\n"
                     b"Message-ID: <one@example.org>\nSubject: hello\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n\nhi\n")
    out = _listhaven(tmp_path / "copied", str(cache), "import", "t@example.org", str(mbox), "--create", "--json")
    assert '"stored": 1' in out.stdout
    # a snapshot under another key (another code version's) is never picked up: the store is migrated
    other = cache / "schema-0123456789abcdef0123456789abcdef.sqlite3"
    snapshot.rename(other)
    db = sqlite3.connect(other)
    db.execute("DROP TABLE archive_attachment")
    db.commit()
    db.close()
    _listhaven(tmp_path / "again", str(cache), "lists", "--json")
    tables = {n for (n,) in sqlite3.connect(tmp_path / "again" / "listhaven.sqlite3").execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "archive_attachment" in tables
    assert snapshot.exists()  # and the migrated store left this version's snapshot again
