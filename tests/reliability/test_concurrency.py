"""Readers during an import: `listhaven serve` answers pages and searches while `listhaven import` writes
the same store, with no 5xx, no "database is locked" reaching a reader and every response well-formed;
afterwards the counts are those of the import.
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ElementTree
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .conftest import cli_env, kill_group, run_cli, snapshot, start_cli, write_generated_mbox

pytestmark = pytest.mark.sqlite_only(reason="checks the store afterwards through the SQLite file (FTS5 rows, integrity_check)")

OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
MONTH_LINK = re.compile(r'href="(/[\w.-]+/\d{4}-\d{2}/)"')
SEARCH_WORDS = ["patch", "release", "queue", "review", "thanks", "from:a", "subject:re", "broker", "test"]


@dataclass
class Load:
    requests: int = 0
    during_import: int = 0
    statuses: Counter = field(default_factory=Counter)
    counts_seen: set[int] = field(default_factory=set)  # message counts the API reported along the way
    problems: list[str] = field(default_factory=list)
    lock = threading.Lock()


def well_formed(path: str, ctype: str, body: bytes) -> str | None:
    """Why the body is not a complete document of its type, or None."""
    text = body.decode("utf-8", errors="replace")
    if "database is locked" in text.lower():
        return "database is locked reached the reader"
    try:
        if "json" in ctype:
            json.loads(text)
        elif "atom" in ctype or "xml" in ctype:
            ElementTree.fromstring(body)
        elif "html" in ctype and not text.rstrip().endswith("</html>"):
            return "HTML cut short"
    except (ValueError, ElementTree.ParseError) as exc:
        return f"malformed {ctype}: {exc}"
    return None


def reader(base: str, name: str, count: int, load: Load, importing: threading.Event, seed: int) -> None:
    months: list[str] = []
    paths = ["/", f"/{name}/", f"/api/lists/{name}", f"/api/lists/{name}/threads", f"/{name}/feed.atom"]
    for n in range(count):
        if n % 3 == 2:
            word = SEARCH_WORDS[(n + seed) % len(SEARCH_WORDS)]
            path = f"/{name}/search?q={urllib.parse.quote(word)}"
        elif n % 3 == 1 and months:
            path = months[(n + seed) % len(months)] + ("", "?sort=date", "?sort=author", "?sort=subject")[n % 4]
        else:
            path = paths[(n + seed) % len(paths)]
        status, ctype, body = get(base + path)
        problem = f"{status}" if status >= 500 or status == 0 else well_formed(path, ctype, body) if status == 200 else None
        if path == f"/{name}/" and status == 200:
            months = sorted(set(MONTH_LINK.findall(body.decode("utf-8", errors="replace")))) or months
        if path == f"/api/lists/{name}" and status == 200 and not problem:
            load.counts_seen.add(json.loads(body)["messages"])
        with load.lock:
            load.requests += 1
            load.during_import += importing.is_set()
            load.statuses[status] += 1
            if problem:
                load.problems.append(f"{path}: {problem}")



def get(url: str) -> tuple[int, str, bytes]:
    try:
        with OPENER.open(url, timeout=60) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read()
    except OSError as error:
        return 0, "", str(error).encode()


def run_load(tmp_path: Path, serve, count: int, threads: int, per_thread: int, figures) -> None:
    mbox = tmp_path / "archive.mbox"
    address = write_generated_mbox(mbox, count, seed=41)
    name = address.split("@")[0]
    data = tmp_path / "store"
    assert run_cli(data, "list", "create", address).returncode == 0
    server = serve(data, workers=2, threads=4)
    importing = threading.Event()
    importing.set()
    env = cli_env(data, LISTHAVEN_IMPORT_BATCH="200")  # many commits: readers meet many write transactions
    proc = start_cli(data, "import", address, str(mbox), "--json", env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    load = Load()
    workers = [threading.Thread(target=reader, args=(server.url, name, per_thread, load, importing, seed))
               for seed in range(threads)]  # fmt: skip
    for worker in workers:
        worker.start()
    try:
        out, err = proc.communicate(timeout=600)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        raise
    finally:
        importing.clear()
    for worker in workers:
        worker.join(timeout=600)
    assert proc.returncode == 0, err.decode(errors="replace")[-2000:]
    summary = json.loads(out)[0]

    figures("requests", load.requests)
    figures("requests while the import ran", load.during_import)
    figures("statuses", dict(load.statuses))
    figures("distinct message counts seen by readers", len(load.counts_seen))
    figures("errors", len(load.problems))
    assert load.problems == [], "\n".join(load.problems[:30])
    assert load.requests == threads * per_thread
    assert load.during_import >= load.requests // 4, "the import ended before the readers got going"
    assert len(load.counts_seen) >= 3, f"the readers saw the store at {sorted(load.counts_seen)} messages only"
    log = server.log.read_text(errors="replace")
    assert "database is locked" not in log and "Traceback" not in log

    stored = snapshot(data)
    assert stored.problems == [] and stored.stored_twice == 0
    assert summary["stored"] == len(stored.messages) == count
    stats = json.loads(get(f"{server.url}/api/lists/{name}/stats")[2])
    assert stats["messages"] == count and stats["threads"] == len(stored.threads)


def test_pages_and_searches_while_an_import_writes(tmp_path, serve, figures):
    run_load(tmp_path, serve, count=3000, threads=2, per_thread=200, figures=figures)


@pytest.mark.slow
def test_soak_readers_during_a_long_import(tmp_path, serve, figures):
    run_load(tmp_path, serve, count=20_000, threads=4, per_thread=1000, figures=figures)

