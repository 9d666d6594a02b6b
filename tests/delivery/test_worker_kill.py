"""kill -9 the delivery worker at random moments while it sends a few thousand copies to a real
SMTP sink on 127.0.0.1 that counts per recipient; restart it each time. At the end every member has
a copy (none lost), and a member has two only when a kill landed between the sink's 250 for that
member's copy and the worker's commit of it: a copy in flight at that kill, at most one per sender thread
(LISTHAVEN_DELIVERY_CONNECTIONS, see RELIABILITY.md).
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.support.databases import store_env, store_rows
from tests.support.smtp_sink import sink_port, smtp_sink

MEMBERS = 3000
KILLS = 12
SEED = 20261130

SETUP = """
import sys
from listhaven.cli import setup_django, ensure_schema
setup_django(None); ensure_schema()
from django.db import transaction
from listhaven.lists.directory import create_list
from listhaven.lists.identity import identity_for
from listhaven.lists.queue import enqueue
from listhaven.mail.decorate import decorate
mlist = create_list("crowd@lists.example.org")
post = (b"From: Ann <ann@example.org>\\r\\nTo: crowd@lists.example.org\\r\\nSubject: Hello\\r\\n"
        b"Message-ID: <kill@example.org>\\r\\n\\r\\nHello.\\r\\n")
template = decorate(post, identity_for(mlist))
members = [f"m{n:05d}@example.net" for n in range(int(sys.argv[1]))]
with transaction.atomic():
    enqueue(mlist, template.to_bytes(), members, kind="post", personalised=True)
"""


def run_listhaven(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "listhaven", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip


def batches(data: Path) -> list[tuple[list[str], int, str, str]]:
    rows = store_rows(data, "SELECT recipients, done, state, claimed_by FROM lists_deliverybatch ORDER BY id")
    # a JSON column: text on SQLite, already decoded on PostgreSQL
    return [(json.loads(r) if isinstance(r, str) else r, done, state, claimed) for r, done, state, claimed in rows]


@pytest.mark.slow
def test_kill_9_during_delivery_loses_nothing_and_doubles_only_the_copy_in_flight(tmp_path):
    env = store_env(tmp_path, LISTHAVEN_SMTP_HOST="127.0.0.1", LISTHAVEN_DELIVERY_BATCH="400")
    subprocess.run([sys.executable, "-c", SETUP, str(MEMBERS)], env=env, check=True, timeout=120)
    db = tmp_path
    rng = random.Random(SEED)
    in_flight: Counter[str] = Counter()  # member -> kills that found their copy in flight
    kills = 0
    with smtp_sink(pipelining=True) as (controller, sink):  # as Postfix: PIPELINING offered
        env["LISTHAVEN_SMTP_PORT"] = str(sink_port(controller))
        for _ in range(KILLS):
            before = sum(sink.per_recipient.values())
            worker = run_listhaven(env, "worker")
            deadline = time.monotonic() + 60
            while sum(sink.per_recipient.values()) == before and worker.poll() is None and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 0.4))
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=30)
            kills += 1
            for recipients, done, state, claimed in batches(db):
                if claimed and state == "queued" and done < len(recipients):
                    in_flight[recipients[done]] += 1
            if all(state == "sent" for _, _, state, _ in batches(db)):
                break
        final = run_listhaven(env, "worker", "--until-idle")
        _, errors = final.communicate(timeout=300)
        assert final.returncode == 0, errors.decode()
        counts = dict(sink.per_recipient)
    members = [f"m{n:05d}@example.net" for n in range(MEMBERS)]
    lost = [m for m in members if counts.get(m, 0) == 0]
    doubled = sorted(m for m in members if counts.get(m, 0) > 1)
    print(f"\nkill -9 test: {kills} kills, {MEMBERS} members: lost {len(lost)}, doubled {len(doubled)} "
          f"(copies in flight at the kills: {sum(in_flight.values())})")  # fmt: skip
    assert kills >= 3, "the worker finished before it could be killed a few times"
    assert lost == []
    # Each kill can double each copy in flight at it (one per sender thread), nothing else.
    assert all(counts[m] - 1 <= in_flight[m] for m in doubled), [(m, counts[m], in_flight[m]) for m in doubled]
    assert all(state == "sent" for _, _, state, _ in batches(db))
