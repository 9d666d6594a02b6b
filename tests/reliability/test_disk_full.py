"""A full disk during an import: a clear error (no traceback), the store intact, and a rerun after space
returns completes with the counts of an import that never failed.

The disk is a real one: a tmpfs of a few megabytes mounted for the test (as root); the test skips with
the reason when mounting is not permitted here.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import (
    REPO,
    cli_env,
    integrity,
    json_output,
    kill_group,
    run_cli,
    snapshot,
    write_generated_mbox,
)

pytestmark = pytest.mark.sqlite_only(reason="fills the disk under the SQLite store; a PostgreSQL store lives on the server's disk")


@pytest.fixture
def small_disk(tmp_path) -> Iterator[Path]:
    mount_point = tmp_path / f"disk-{uuid.uuid4().hex[:8]}"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount_point)],
                             capture_output=True, check=False)  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({mounted.stderr.decode().strip() or 'not root'})")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def _grow(mount_point: Path, size: str) -> None:
    subprocess.run(["mount", "-o", f"remount,size={size}", str(mount_point)], check=True)


def test_full_disk_fails_cleanly_keeps_the_store_and_resumes(tmp_path, small_disk, figures):
    first, second = tmp_path / "first.mbox", tmp_path / "second.mbox"
    address = write_generated_mbox(first, 200, seed=31)
    write_generated_mbox(second, 3000, seed=32)  # ~8 MB of mail: more than the disk holds
    data = small_disk / "store"

    assert json_output(run_cli(data, "import", address, str(first), "--create", "--json"))[0]["stored"] == 200  # type: ignore[index]
    before = snapshot(data)

    failed = run_cli(data, "import", address, str(second), "--json", timeout=120)
    error = failed.stderr.decode(errors="replace")
    assert failed.returncode == 1
    assert "Traceback" not in error
    assert "disk is full" in error and "run the same command again" in error

    assert integrity(data) == "ok"
    during = snapshot(data)
    assert during.problems == []
    assert before.messages <= during.messages  # everything committed before is still there

    _grow(small_disk, "64m")
    resumed = json_output(run_cli(data, "import", address, str(second), "--json"))[0]  # type: ignore[index]
    reference = tmp_path / "reference"
    assert run_cli(reference, "import", address, str(first), "--create", "--json").returncode == 0
    expected = json_output(run_cli(reference, "import", address, str(second), "--json"))[0]  # type: ignore[index]
    for key in ("read", "stored", "duplicates", "quarantined"):
        assert resumed[key] == expected[key], key
    after, want = snapshot(data), snapshot(reference)
    assert after.problems == [] and after.messages == want.messages and after.threads == want.threads
    figures("messages committed before the disk filled", len(during.messages) - len(before.messages))
    figures("messages lost", len(want.messages - after.messages))


FAILING_IMPORT = textwrap.dedent(
    """
    import sys, time
    from listhaven.cli import ensure_schema, setup_django

    setup_django(sys.argv[1])
    ensure_schema()
    from django.db import OperationalError
    from listhaven.archive import importer
    from listhaven.lists.directory import create_list

    mlist = create_list("full@lists.example.org")

    def full_disk(*args, **kwargs):
        time.sleep(2)  # lets the reader run ahead until its read-ahead bound blocks it
        raise OperationalError("database or disk is full")

    importer.store_batch = full_disk
    started = time.monotonic()
    try:
        importer.import_path(mlist, sys.argv[2], workers=2)
    except OperationalError:
        print(round(time.monotonic() - started, 1))
    """
)


def test_a_failed_commit_stops_the_parser_processes_at_once(tmp_path):
    """When a batch cannot be stored, the import returns with the error instead of waiting forever
    for its parser pool (whose feeder thread sits on the read-ahead bound)."""
    mbox = tmp_path / "a.mbox"
    write_generated_mbox(mbox, 3000, seed=33)
    proc = subprocess.Popen([sys.executable, "-c", FAILING_IMPORT, str(tmp_path / "d"), str(mbox)], cwd=REPO,
                            env=cli_env(tmp_path / "d"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)  # fmt: skip
    try:
        out, err = proc.communicate(timeout=45)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        pytest.fail("the import did not return after its commit failed: the parser pool hangs")
    assert proc.returncode == 0, err.decode(errors="replace")[-2000:]
    assert float(out) < 20
