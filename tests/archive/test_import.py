"""Importing through the real `listhaven` command: counts, reruns, resume after kill -9, stdin."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from listhaven.mail.mboxwrite import write_mboxrd
from tests.support.databases import StoreNotReady, search_index_rows, store_env, store_rows

from .conftest import make_message

LISTHAVEN = [sys.executable, "-m", "listhaven"]
LIST = "imp@lists.example.org"


def run(data_dir: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*LISTHAVEN, "--data-dir", str(data_dir), *args],
        input=stdin,
        capture_output=True,
        timeout=300,
        check=False,
        env=store_env(data_dir),
    )


def write_archive(path: Path, count: int) -> None:
    rng = random.Random(11)
    with path.open("wb") as out:
        messages = []
        for i in range(count):
            refs = (f"m{rng.randrange(i)}@x",) if i and rng.random() < 0.6 else ()
            messages.append((make_message(f"m{i}@x", f"Subject {i // 7}", f"Body {i}\nFrom the start\n", refs, i), None))
        messages.insert(count // 2, (b"\n\n", None))  # nothing parseable: must be quarantined
        messages.append(messages[3])  # an exact duplicate
        write_mboxrd(messages, out)


def summary(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout)[0]


def stored_ids(data_dir: Path) -> list[str]:
    return sorted(r[0] for r in store_rows(data_dir, "SELECT message_id FROM archive_message"))


def fts_rows(data_dir: Path) -> int:
    return search_index_rows(data_dir)


def test_import_counts_every_message_and_second_run_stores_nothing(tmp_path):
    mbox = tmp_path / "a.mbox"
    write_archive(mbox, 300)
    first = summary(run(tmp_path / "d", "import", LIST, str(mbox), "--create", "--json"))
    assert first["read"] == 302
    assert (first["stored"], first["duplicates"], first["quarantined"]) == (300, 1, 1)
    second = summary(run(tmp_path / "d", "import", LIST, str(mbox), "--json"))
    assert (second["stored"], second["duplicates"], second["quarantined"]) == (0, 301, 1)
    assert fts_rows(tmp_path / "d") == 300


def _wait_for_progress(data: Path, proc: subprocess.Popen, timeout: float = 60) -> None:
    """Until this run has committed a batch beyond what earlier runs committed (or it ended)."""
    def position() -> int:
        try:
            return store_rows(data, "SELECT COALESCE(MAX(position), 0) FROM archive_importrun")[0][0]
        except StoreNotReady:  # the schema is not there yet
            return -1

    start, deadline = position(), time.monotonic() + timeout
    while proc.poll() is None and position() <= start and time.monotonic() < deadline:
        time.sleep(0.02)


def _completed_run(data: Path) -> dict | None:
    rows = store_rows(
        data, "SELECT position, stored, duplicates, quarantined FROM archive_importrun WHERE completed ORDER BY id DESC"
    )
    if not rows:
        return None
    row = rows[0]
    return {"read": row[0], "stored": row[1], "duplicates": row[2], "quarantined": row[3]}


def test_kill_9_mid_import_then_rerun_equals_uninterrupted(tmp_path):
    mbox = tmp_path / "big.mbox"
    write_archive(mbox, 4000)
    reference = summary(run(tmp_path / "ref", "import", LIST, str(mbox), "--create", "--json"))

    data = tmp_path / "killed"
    assert run(data, "list", "create", LIST).returncode == 0
    env = store_env(data, LISTHAVEN_IMPORT_BATCH="200")
    rng = random.Random(5)
    kills, final = 0, None
    for _ in range(6):
        proc = subprocess.Popen(
            [*LISTHAVEN, "--data-dir", str(data), "import", LIST, str(mbox), "--json"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, start_new_session=True,
        )
        _wait_for_progress(data, proc)
        time.sleep(rng.uniform(0.0, 0.4))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=30)
            final = _completed_run(data)  # killed after its last commit: that run is the result
            if final is not None:
                break
            kills += 1  # killed mid-import: the next round must resume it
            continue
        final = json.loads(proc.communicate(timeout=30)[0])[0]  # finished on its own: the whole import
        break
    if final is None:
        final = summary(run(data, "import", LIST, str(mbox), "--json"))
    assert kills >= 1, "no import was killed part-way; the test proves nothing"
    for key in ("read", "stored", "duplicates", "quarantined"):
        assert final[key] == reference[key], key
    assert stored_ids(data) == stored_ids(tmp_path / "ref")
    assert fts_rows(data) == reference["stored"]


def test_one_message_on_stdin(tmp_path):
    raw = make_message("stdin@x", "Piped in")
    assert run(tmp_path, "list", "create", LIST).returncode == 0
    first = summary(run(tmp_path, "import", LIST, "-", "--json", stdin=raw))
    again = summary(run(tmp_path, "import", LIST, "-", "--json", stdin=raw))
    assert first["stored"] == 1 and again["duplicates"] == 1
    assert stored_ids(tmp_path) == ["stdin@x"]


def test_cli_listings_and_clear_errors(tmp_path):
    assert run(tmp_path, "list", "create", LIST, "--description", "Imports").returncode == 0
    lists = json.loads(run(tmp_path, "lists", "--json").stdout)
    assert [(entry["name"], entry["address"]) for entry in lists] == [("imp", LIST)]
    missing = run(tmp_path, "import", "nosuch", str(tmp_path / "nothing.mbox"))
    assert missing.returncode == 1 and b"no list named" in missing.stderr
    absent = run(tmp_path, "import", LIST, str(tmp_path / "nothing.mbox"))
    assert absent.returncode == 1 and b"Traceback" not in absent.stderr
    stats = json.loads(run(tmp_path, "stats", "imp", "--json").stdout)
    assert stats["messages"] == 0 and stats["list"] == LIST


@pytest.mark.parametrize("bad", ["not-an-address", "two@@example.org"])
def test_list_create_rejects_bad_addresses(tmp_path, bad):
    result = run(tmp_path, "list", "create", bad)
    assert result.returncode == 1 and b"not a list address" in result.stderr


def test_createadmin_from_a_script_makes_a_working_admin_login(tmp_path):
    made = subprocess.run(
        [*LISTHAVEN, "--data-dir", str(tmp_path), "createadmin", "--username", "keeper", "--email", "keeper@example.org"],
        input=b"a-long-passphrase\n", capture_output=True, timeout=120, env=store_env(tmp_path),
    )
    assert made.returncode == 0, made.stderr
    again = subprocess.run(
        [*LISTHAVEN, "--data-dir", str(tmp_path), "createadmin", "--username", "keeper", "--email", "other@example.org"],
        input=b"other\n", capture_output=True, timeout=120, env=store_env(tmp_path),
    )
    assert again.returncode == 1 and b"exists already" in again.stderr
    assert store_rows(tmp_path, "SELECT is_superuser, is_staff FROM auth_user WHERE username = 'keeper'") == [(1, 1)]


_CHECKPOINTS = """
import json, sqlite3, sys
from listhaven.cli import ensure_schema, setup_django

setup_django(sys.argv[1])
ensure_schema()
from django.db import connection
from listhaven.archive import importer
from listhaven.lists.directory import create_list

seen = []
store_batch = importer.store_batch


def observed(*args, **kwargs):
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        synchronous = cursor.fetchone()[0]
        cursor.execute("PRAGMA wal_autocheckpoint")
        seen.append((synchronous, cursor.fetchone()[0]))
    return store_batch(*args, **kwargs)


importer.store_batch = observed
summary = importer.import_path(create_list("imp@lists.example.org"), sys.argv[2], workers=0)
with connection.cursor() as cursor:
    cursor.execute("PRAGMA synchronous")
    synchronous = cursor.fetchone()[0]
    cursor.execute("PRAGMA wal_autocheckpoint")
    after = (synchronous, cursor.fetchone()[0])
# The database file alone, without its WAL (still there: this process's connection is open).
alone = sqlite3.connect(f"file:{sys.argv[1]}/listhaven.sqlite3?immutable=1", uri=True)
in_file = alone.execute("SELECT count(*) FROM archive_message").fetchone()[0]
print(json.dumps({"batches": seen, "after": after, "stored": summary.stored, "in_file": in_file}))
"""


@pytest.mark.sqlite_only(reason="SQLite's WAL checkpoints and synchronous setting")
def test_import_batches_commit_without_sync_or_checkpoint_and_the_end_syncs_and_checkpoints(tmp_path):
    mbox = tmp_path / "a.mbox"
    write_archive(mbox, 40)
    data = tmp_path / "store"
    result = subprocess.run(
        [sys.executable, "-c", _CHECKPOINTS, str(data), str(mbox)], capture_output=True, timeout=300, check=False,
        env=store_env(data, LISTHAVEN_IMPORT_BATCH="10"),
    )
    assert result.returncode == 0, result.stderr.decode()
    out = json.loads(result.stdout.decode().strip().splitlines()[-1])
    # synchronous: 1 = NORMAL (no fsync per commit), 2 = FULL; checkpoints only past 65,536 WAL pages
    assert len(out["batches"]) == 5 and all(b == [1, 65536] for b in out["batches"])
    assert out["after"] == [2, 1000]
    # the batches were copied from the WAL into the database file when the import turned durable
    assert out["stored"] == 40 and out["in_file"] == 40
