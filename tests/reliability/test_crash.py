"""Crash-safe import: an import killed with SIGKILL at random moments, again and again, then rerun,
ends with exactly the store of an uninterrupted import.

Compared: the set of (Message-ID, content hash), no message stored twice, the search index (one row per
message, none orphaned, every message found by a word of its own text), the threads (same partition
of the messages, counts matching their members), the quarantine, and SQLite's integrity check after
every kill. The default form runs in well under a minute; `make soak` runs the long one.
"""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import (
    DB_NAME,
    cli_env,
    integrity,
    json_output,
    kill_group,
    run_cli,
    snapshot,
    start_cli,
    write_generated_mbox,
)  # fmt: skip

pytestmark = pytest.mark.sqlite_only(reason="compares stores by reading the SQLite file and running its integrity check after each kill (kill -9 on PostgreSQL: tests/archive/test_import.py, tests/delivery/test_worker_kill.py)")


def _import_env(data_dir: Path, batch: int) -> dict[str, str]:
    # Small batches make many commits, so kills land before, inside and after them.
    return cli_env(data_dir, LISTHAVEN_IMPORT_BATCH=str(batch))


def _reference(tmp_path: Path, mbox: Path, address: str, batch: int) -> dict:
    data = tmp_path / "reference"
    result = run_cli(data, "import", address, str(mbox), "--create", "--json", env=_import_env(data, batch))
    return json_output(result)[0]  # type: ignore[index]


def _killed_rounds(data: Path, mbox: Path, address: str, batch: int, kills: int, total: int, seed: int) -> tuple[int, dict | None]:
    """Starts the import up to `kills` times and SIGKILLs it; returns the kills done and the summary
    of a run that finished on its own (then nothing was left to interrupt).

    Moments are drawn so they spread over the whole import whatever the machine's speed: every third
    kill falls at a random time after start (start-up, schema, first batch); the others once the
    committed position passed a random point, plus a random delay, so they land mid-parse, mid-batch
    and mid-commit. The store must pass SQLite's integrity check after every kill."""
    rng = random.Random(seed)
    targets = sorted(rng.sample(range(1, total), kills))
    done = 0
    for round_, target in enumerate(targets):
        proc = start_cli(data, "import", address, str(mbox), "--json", env=_import_env(data, batch),
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)  # fmt: skip
        if round_ % 3 == 0:
            time.sleep(rng.uniform(0.05, 0.8))
        else:
            while proc.poll() is None and committed_position(data) < target:
                time.sleep(0.02)
            time.sleep(rng.uniform(0, 0.4))
        if proc.poll() is not None:
            output, _ = proc.communicate()
            assert proc.returncode == 0
            return done, json.loads(output)[0]
        kill_group(proc)
        proc.communicate()
        done += 1
        assert integrity(data) == "ok"
    return done, None


def committed_position(data: Path) -> int:
    """How far the import's last commit got (0 before the first)."""
    return int(last_run(data).get("read", 0))


def last_run(data: Path) -> dict[str, int]:
    """The counts of the latest import run as committed (empty before there is one)."""
    try:
        with sqlite3.connect(f"file:{data / DB_NAME}?mode=ro", uri=True, timeout=5) as db:
            row = db.execute(
                "SELECT position, stored, duplicates, quarantined, completed FROM archive_importrun ORDER BY id DESC"
            ).fetchone()  # fmt: skip
    except sqlite3.OperationalError:  # schema not there yet
        return {}
    keys = ("read", "stored", "duplicates", "quarantined", "completed")
    return dict(zip(keys, row)) if row else {}


def crash_and_compare(tmp_path: Path, count: int, kills: int, batch: int, seed: int, figures) -> None:
    mbox = tmp_path / "archive.mbox"
    address = write_generated_mbox(mbox, count, seed=seed)
    reference = _reference(tmp_path, mbox, address, batch)
    data = tmp_path / "killed"
    assert run_cli(data, "list", "create", address).returncode == 0
    done, final = _killed_rounds(data, mbox, address, batch, kills, reference["read"], seed)
    if final is None and last_run(data)["completed"]:
        final = last_run(data)  # the last kill came after the import had committed its end
    elif final is None:
        before = committed_position(data)
        final = json_output(run_cli(data, "import", address, str(mbox), "--json", env=_import_env(data, batch)))[0]  # type: ignore[index]
        assert final["resumed_from"] == before  # resumed from the last commit, not restarted
    for key in ("read", "stored", "duplicates", "quarantined"):
        assert final[key] == reference[key], (key, final, reference)
    want, got = snapshot(tmp_path / "reference"), snapshot(data)
    assert want.problems == [] and got.problems == []
    lost = want.messages - got.messages
    assert not lost and got.messages == want.messages
    assert got.stored_twice == 0
    assert got.fts_rows == len(got.messages)
    assert got.threads == want.threads
    assert got.thread_counts == want.thread_counts
    assert got.quarantined == want.quarantined
    assert done >= kills // 2, f"only {done} kills landed before the import finished: the test proves little"
    figures("messages", count)
    figures("kill -9 rounds survived", done)
    figures("messages lost", len(lost))
    figures("stored twice", got.stored_twice)


def test_import_killed_at_random_moments_reruns_to_the_uninterrupted_store(tmp_path, figures):
    crash_and_compare(tmp_path, count=3000, kills=8, batch=100, seed=21, figures=figures)


@pytest.mark.slow
def test_soak_import_killed_many_times(tmp_path, figures):
    crash_and_compare(tmp_path, count=20_000, kills=30, batch=250, seed=22, figures=figures)

