"""Helpers of the reliability tests: the real `listhaven` command, generated archives, store checks.

Every test here drives the product as an operator would (the CLI, a live `listhaven serve`) and then
reads the SQLite store directly, so a check cannot be fooled by the code it checks.

Figures (kill rounds, payloads tried, addresses checked, requests served...) are collected with the
`figures` fixture and printed at the end of the run, so `make soak` and the pytest commands quoted in
RELIABILITY.md show the numbers they produce.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.ports import free_port

REPO = Path(__file__).resolve().parents[2]
LISTHAVEN = [sys.executable, "-m", "listhaven"]
DB_NAME = "listhaven.sqlite3"
_FIGURES: dict[str, list[object]] = defaultdict(list)


def cli_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "LISTHAVEN_DATA": str(data_dir), **extra}
    env.pop("DJANGO_SETTINGS_MODULE", None)  # the command sets its own; the test settings are not its
    return env


def run_cli(data_dir: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*LISTHAVEN, "--data-dir", str(data_dir), *args],
        capture_output=True, timeout=timeout, check=False, env=env or cli_env(data_dir),
    )  # fmt: skip


def json_output(result: subprocess.CompletedProcess) -> object:
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return json.loads(result.stdout)


def start_cli(data_dir: Path, *args: str, env: dict[str, str] | None = None, **popen: object) -> subprocess.Popen:
    """The command in its own process group, so `kill_group` also reaches its parser workers."""
    return subprocess.Popen(
        [*LISTHAVEN, "--data-dir", str(data_dir), *args],
        env=env or cli_env(data_dir), start_new_session=True, **popen,  # type: ignore[arg-type]
    )  # fmt: skip


def kill_group(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
    proc.wait(timeout=30)


def write_generated_mbox(path: Path, count: int, seed: int = 3) -> str:
    """`count` generated messages of one demo list as mboxrd, plus exact re-sends; returns the list address."""
    from listhaven.demo.messages import DEMO_LISTS, generate_messages
    from listhaven.mail.mboxwrite import write_mboxrd

    spec = DEMO_LISTS[0]
    raws = [raw for _, raw in generate_messages([spec], count, seed=seed)]
    raws += raws[:: max(1, count // 20)]  # re-sent messages: must be counted as duplicates, never stored twice
    with path.open("wb") as handle:
        write_mboxrd([(raw, None) for raw in raws], handle)
    return spec.address


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path


def start_server(data_dir: Path, workers: int = 1, threads: int = 4) -> Server:
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)  # a PostgreSQL store leaves it to whoever writes files there
    log = data_dir / f"serve-{port}.log"
    with log.open("wb") as handle:
        process = start_cli(
            data_dir, "serve", "--port", str(port), "--workers", str(workers), "--threads", str(threads),
            stdout=handle, stderr=subprocess.STDOUT,
        )  # fmt: skip
    server = Server(f"http://127.0.0.1:{port}", process, log)
    _wait_until_up(server)
    return server


def stop_server(server: Server) -> None:
    kill_group(server.process, signal.SIGTERM)


def _wait_until_up(server: Server) -> None:
    deadline = time.monotonic() + 30
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"listhaven serve exited: {server.log.read_text(errors='replace')[-2000:]}")
        try:
            opener.open(server.url + "/", timeout=2).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"listhaven serve did not answer at {server.url} within 30 s")


@pytest.fixture
def serve() -> Iterator:
    """Starts `listhaven serve` on a data dir; every server started is stopped at the end."""
    started: list[Server] = []

    def _serve(data_dir: Path, **options: int) -> Server:
        started.append(start_server(data_dir, **options))
        return started[-1]

    yield _serve
    for server in started:
        stop_server(server)


# --- what a store holds, read straight from SQLite -----------------------------------------------

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]{2,}")


@dataclass
class StoreSnapshot:
    """What two imports must agree on; `problems` lists every inconsistency found inside the store."""

    messages: set[tuple[str, str]]  # (Message-ID, content hash)
    stored_twice: int
    fts_rows: int
    threads: set[frozenset[str]]  # each thread as the set of its messages' Message-IDs
    thread_counts: dict[str, int]  # first Message-ID of a thread -> its message_count
    quarantined: int
    problems: list[str] = field(default_factory=list)


def snapshot(data_dir: Path) -> StoreSnapshot:
    with sqlite3.connect(f"file:{data_dir / DB_NAME}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT id, message_id, content_hash, thread_id, subject, sender_email, body_text FROM archive_message").fetchall()
        pairs = [(r[1], r[2]) for r in rows]
        by_thread: dict[int, set[str]] = defaultdict(set)
        for r in rows:
            by_thread[r[3]].add(r[1])
        counts = dict(db.execute("SELECT id, message_count FROM archive_thread").fetchall())
        snap = StoreSnapshot(
            messages=set(pairs),
            stored_twice=len(pairs) - len(set(pairs)),
            fts_rows=db.execute("SELECT count(*) FROM search_fts").fetchone()[0],
            threads={frozenset(ids) for ids in by_thread.values()},
            thread_counts={min(by_thread.get(t, {""})): n for t, n in counts.items()},
            quarantined=db.execute("SELECT count(*) FROM archive_quarantine").fetchone()[0],
        )
        snap.problems += _index_problems(db, rows, snap.fts_rows)
        snap.problems += _thread_problems(by_thread, counts)
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        if integrity != "ok":
            snap.problems.append(f"integrity_check: {integrity}")
    return snap


def integrity(data_dir: Path) -> str:
    with sqlite3.connect(f"file:{data_dir / DB_NAME}?mode=ro", uri=True) as db:
        return db.execute("PRAGMA integrity_check").fetchone()[0]


def _index_problems(db: sqlite3.Connection, rows: list[tuple], fts_rows: int) -> list[str]:
    """Every stored message is found by a word of its own text; the index has no row of its own."""
    problems = []
    if fts_rows != len(rows):
        problems.append(f"{fts_rows} search rows for {len(rows)} messages")
    orphans = db.execute("SELECT count(*) FROM search_fts WHERE rowid NOT IN (SELECT id FROM archive_message)").fetchone()[0]
    if orphans:
        problems.append(f"{orphans} search rows without a message")
    for pk, msgid, _, _, subject, sender, body in rows:
        words = _WORD.findall(body) or _WORD.findall(subject) or _WORD.findall(sender)
        if not words:
            continue
        word = max(words, key=len)
        hit = db.execute("SELECT count(*) FROM search_fts WHERE search_fts MATCH ? AND rowid = ?", (f'"{word}"', pk))
        if hit.fetchone()[0] != 1:
            problems.append(f"message {msgid} is not found by the word {word!r} of its own text")
    return problems


def _thread_problems(by_thread: dict[int, set[str]], counts: dict[int, int]) -> list[str]:
    problems = [f"thread {t} counts {n} messages but holds {len(by_thread.get(t, ()))}" for t, n in counts.items()
                if n != len(by_thread.get(t, ()))]  # fmt: skip
    problems += [f"messages point at missing thread {t}" for t in by_thread if t not in counts]
    return problems


# --- figures --------------------------------------------------------------------------------------


@pytest.fixture
def figures(request) -> Iterator:
    """`figures(name, value)` records one figure of this test for the end-of-run summary."""

    def record(name: str, value: object) -> None:
        _FIGURES[f"{request.node.name}: {name}"].append(value)

    yield record


def pytest_collection_modifyitems(config, items) -> None:
    """The long forms (marked `slow`) run only when asked for by a marker expression naming them
    (`make soak` runs `-m slow`), so `make test` keeps the short forms only."""
    if "slow" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="long form: run with `make soak` (pytest -m slow)")
    for item in items:
        if "slow" in item.keywords and item.path.is_relative_to(Path(__file__).parent):
            item.add_marker(skip)


def _figure_lines() -> list[str]:
    return [f"{name}: {values[0] if len(values) == 1 else values}" for name, values in _FIGURES.items()]


def pytest_sessionfinish(session) -> None:
    """In a pytest-xdist worker (`make test` runs two), the figures go to the main process, which prints them
    (tests/conftest.py); a worker prints no summary of its own."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None and _FIGURES:
        output["reliability_figures"] = _figure_lines()


def pytest_terminal_summary(terminalreporter) -> None:
    if not _FIGURES or hasattr(terminalreporter.config, "workerinput"):
        return
    terminalreporter.section("reliability figures")
    for line in _figure_lines():
        terminalreporter.write_line(line)
