"""The rate limits' counts (site/counting_cache.py) last their whole window, and two processes counting one
key at once count every count, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from django.core.cache import caches
from django.db import connection, transaction
from django_ratelimit.core import get_usage

from tests.support.databases import store_env

pytestmark = pytest.mark.django_db


def count(key: str, rate: str) -> int:
    usage = get_usage(None, group="test-window", key=lambda _g, _r: key, rate=rate, increment=True)
    assert usage is not None
    return int(usage["count"])


def expiry() -> datetime:
    with connection.cursor() as cursor:
        cursor.execute("SELECT expires FROM listhaven_cache")
        rows = cursor.fetchall()
    assert len(rows) == 1, rows
    return rows[0][0]  # type: ignore[no-any-return]


def test_a_count_keeps_the_expiry_of_its_window():
    caches["ratelimit"].clear()
    assert count("someone@example.org", "10/d") == 1
    first = expiry()
    assert [count("someone@example.org", "10/d") for _ in range(4)] == [2, 3, 4, 5]
    # Before: every count after the first gave the row the cache's default timeout, five minutes from
    # then, and a day's limit started again from 1 five minutes later.
    assert expiry() == first


def test_a_count_rolled_back_with_its_transaction_is_undone():
    caches["ratelimit"].clear()
    assert count("again@example.org", "10/d") == 1
    with pytest.raises(RuntimeError), transaction.atomic():
        assert count("again@example.org", "10/d") == 2
        raise RuntimeError
    assert count("again@example.org", "10/d") == 2


def test_a_missing_or_expired_key_is_not_counted():
    store = caches["ratelimit"]
    store.clear()
    with pytest.raises(ValueError, match="not found"):
        store.incr("never-set")
    store.set("gone", 3, timeout=-1)
    with pytest.raises(ValueError, match="not found"):
        store.incr("gone")
    store.set("kept", 3)
    assert store.incr("kept", 2) == 5 and store.get("kept") == 5


COUNTS = 300
COUNTER = """
import sys
from listhaven.cli import setup_django, ensure_schema
setup_django(None)
ensure_schema()
from django_ratelimit.core import get_usage
def count(increment):
    return get_usage(None, group="autoresponse:address", key=lambda _g, _r: "crowd forged@example.net",
                     rate="100000/d", increment=increment)["count"]
if sys.argv[1] == "read":
    print(count(False))
    sys.exit()
print("ready", flush=True)
sys.stdin.readline()
for _ in range(int(sys.argv[1])):
    count(True)
"""
REPO = Path(__file__).resolve().parents[2]


def test_counts_made_at_once_by_two_processes_are_all_counted(tmp_path):
    """The rate limits' counts (lists/answer_limits.py, web/views/members/guard.py) from two processes at
    once, as two web servers, or a web server and the LMTP server, make them."""
    env = store_env(tmp_path)
    subprocess.run([sys.executable, "-c", COUNTER, "read"], env=env, cwd=REPO, check=True, timeout=300)  # the schema
    counters = [subprocess.Popen([sys.executable, "-c", COUNTER, str(COUNTS)], env=env, cwd=REPO, text=True,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE) for _ in range(2)]  # fmt: skip
    try:
        for counter in counters:
            assert counter.stdout is not None and counter.stdout.readline() == "ready\n"
        for counter in counters:
            assert counter.stdin is not None
            counter.stdin.write("go\n")
            counter.stdin.flush()
        assert [counter.wait(timeout=300) for counter in counters] == [0, 0]
    finally:
        for counter in counters:
            if counter.poll() is None:
                counter.kill()
                counter.wait()
    read = subprocess.run([sys.executable, "-c", COUNTER, "read"], env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    # Before: Django's database cache counted by a read and then a write, and a count read between the
    # other process's read and write was lost (366 and 368 of the 600 in two runs on PostgreSQL).
    assert read.stdout.split() == [str(2 * COUNTS)], read.stderr
