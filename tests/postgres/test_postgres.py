"""The command line on PostgreSQL: a database of its own (tests/postgres/cluster.py own_database), the `listhaven`
command importing and searching there. (The whole suite runs on PostgreSQL in make test's second run: tests/postgres/suite.py.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.postgres.cluster import find_binary, own_database

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not find_binary("initdb"), reason="no PostgreSQL server installed (initdb not found)")



@pytest.fixture(scope="module")
def database_url():
    with own_database() as url:
        yield url


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "listhaven", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )


def test_cli_import_and_search_on_postgresql(database_url, tmp_path):
    from listhaven.mail.mboxwrite import write_mboxrd
    from tests.archive.conftest import make_message

    mbox = tmp_path / "pg.mbox"
    with mbox.open("wb") as out:
        write_mboxrd(
            [
                (
                    make_message(
                        f"pg{i}@x", f"Topic {i % 3}", f"capybara number {i}\n", (f"pg{i - 1}@x",) if i else (), i
                    ),
                    None,
                )
                for i in range(50)
            ],
            out,
        )
    env = dict(os.environ, DATABASE_URL=database_url)
    first = _run("import", "pg@lists.example.org", str(mbox), "--create", "--json", env=env)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)[0]["stored"] == 50
    again = _run("import", "pg", str(mbox), "--json", env=env)
    assert json.loads(again.stdout)[0]["duplicates"] == 50
    stats = json.loads(_run("stats", "pg", "--json", env=env).stdout)
    assert stats["messages"] == 50 and stats["threads"] == 1

    found = _run("search", "pg", "capybara", "--json", "--limit", "100", env=env)
    assert found.returncode == 0, found.stderr
    results = json.loads(found.stdout)
    assert results["total"] == 50 and len(results["results"]) == 50
    topic = json.loads(
        _run("search", "all", 'subject:"topic 1" -"number 4"', "--json", "--sort", "date", env=env).stdout
    )
    numbers = [int(h["message_id"][2:-2]) for h in topic["results"]]
    assert numbers == [i for i in range(49, -1, -1) if i % 3 == 1 and i != 4][:20]
    assert topic["total"] == 16
    table = _run("search", "pg", '"number 7"', env=env)
    assert table.returncode == 0 and "1 message matches" in table.stdout and "Topic 1" in table.stdout
    bad = _run("search", "pg", '"unclosed', env=env)
    assert bad.returncode == 1 and "Unbalanced quotes" in bad.stderr + bad.stdout
