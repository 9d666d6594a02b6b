"""Two processes on one PostgreSQL store, made to meet: one holds a transaction open in the middle of its
work while the other does the same work (a second LMTP host, a second worker), then lets it commit.

`Holder` runs a snippet of Python inside `transaction.atomic()` in a process of its own (the store named by
the environment's DATABASE_URL) and keeps the transaction open until `commit()` (which may run a second
snippet in it first); `run_beside` starts the
other process and returns once it has finished or is waiting for one of the holder's locks, the moment at
which the holder commits. No sleeping for a guessed time: the meeting is read from pg_stat_activity.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parents[2]
DEADLINE = 120.0  # seconds: a bound on each wait, never a measure

HOLD = """
import sys
from listhaven.cli import setup_django
setup_django(None)
from django.db import transaction
with transaction.atomic():
    exec(compile(sys.argv[1], "snippet", "exec"))
    print("held", flush=True)
    sys.stdin.readline()
    exec(compile(sys.argv[2], "then", "exec"))
print("committed", flush=True)
"""


class Holder:
    def __init__(self, snippet: str, env: Mapping[str, str], then: str = "") -> None:
        """`then`: more work of the same transaction, done when told to commit (before the commit)."""
        self.process = subprocess.Popen([sys.executable, "-c", HOLD, snippet, then], env=dict(env), cwd=REPO, text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        assert self.process.stdout is not None
        lines = []
        for line in self.process.stdout:
            lines.append(line)
            if line == "held\n":
                break
        else:
            raise AssertionError(f"the holder ended before holding: {''.join(lines)}{self.process.stderr.read()}")  # type: ignore[union-attr]
        self.output = "".join(lines[:-1])

    def commit(self) -> str:
        out, err = self.process.communicate("go\n", timeout=DEADLINE)
        assert self.process.returncode == 0 and out.endswith("committed\n"), err
        return out

    def abandon(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def waiting_on_locks(database_url: str) -> int:
    """How many sessions of the database wait for a lock another holds."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                           "AND wait_event_type = 'Lock'").fetchone()  # fmt: skip
    return int(row[0]) if row else 0


def run_beside(holder: Holder, argv: Sequence[str], env: Mapping[str, str], database_url: str,
               stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:  # fmt: skip
    """Runs `argv` while `holder` holds its transaction; commits the holder once the process has ended or
    waits for a lock; returns the process's result (it may finish only after the holder's commit)."""
    other = subprocess.Popen(list(argv), env=dict(env), cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)  # fmt: skip
    try:
        assert other.stdin is not None
        other.stdin.write(stdin)
        other.stdin.close()
        deadline = time.monotonic() + DEADLINE
        while other.poll() is None and waiting_on_locks(database_url) == 0:
            assert time.monotonic() < deadline, "neither finished nor waiting for a lock"
            time.sleep(0.05)
        holder.commit()
        out = other.stdout.read() if other.stdout else b""
        err = other.stderr.read() if other.stderr else b""
        other.wait(timeout=DEADLINE)
        return subprocess.CompletedProcess(list(argv), other.returncode, out, err)
    finally:
        holder.abandon()
        if other.poll() is None:
            other.kill()
            other.wait()
