"""The delivery worker on PostgreSQL: two worker processes at once on one store claim batches with
SELECT ... FOR UPDATE SKIP LOCKED and hand every copy to a counting SMTP sink exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.postgres.cluster import find_binary, own_database
from tests.support.smtp_sink import sink_port, smtp_sink

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not find_binary("initdb"), reason="no PostgreSQL server installed (initdb not found)")

MEMBERS = 1500
SCHEMA = """
from listhaven.cli import setup_django, ensure_schema
setup_django(None); ensure_schema()
from listhaven.lists.directory import create_list
create_list("crowd@lists.example.org")
"""
QUEUE = """
import sys
from listhaven.cli import setup_django
setup_django(None)
from django.db import transaction
from listhaven.lists.identity import identity_for
from listhaven.lists.models import MailingList
from listhaven.lists.queue import enqueue
from listhaven.mail.decorate import decorate
mlist = MailingList.objects.get(name="crowd")
for n, personal in enumerate((True, False)):
    post = (b"From: Ann <ann@example.org>\\r\\nTo: crowd@lists.example.org\\r\\nSubject: Hello\\r\\n"
            b"Message-ID: <two-workers-%d@example.org>\\r\\n\\r\\nHello.\\r\\n" % n)
    template = decorate(post, identity_for(mlist), personal=personal)
    data = template.to_bytes() if personal else template.data
    members = [f"m{n}-{i:05d}@example.net" for i in range(int(sys.argv[1]))]
    with transaction.atomic():
        enqueue(mlist, data, members, kind="post", personalised=personal)
"""
BATCHES = """
from listhaven.cli import setup_django
setup_django(None)
import json
from listhaven.lists.models import DeliveryBatch
print(json.dumps([[b.state, b.done, len(b.recipients), b.sent, b.awaiting, b.claimed_by]
                  for b in DeliveryBatch.objects.order_by("id")]))
"""


def test_two_workers_on_one_postgresql_store_send_each_copy_once(tmp_path):
    with own_database() as database_url, smtp_sink(pipelining=True) as (controller, sink):
        env = {**os.environ, "DATABASE_URL": database_url, "LISTHAVEN_DATA": str(tmp_path),
               "LISTHAVEN_SMTP_HOST": "127.0.0.1", "LISTHAVEN_SMTP_PORT": str(sink_port(controller)),
               "LISTHAVEN_DELIVERY_BATCH": "50", "LISTHAVEN_SMTP_MAX_RECIPIENTS": "40",
               "LISTHAVEN_DELIVERY_CONNECTIONS": "2"}  # fmt: skip
        subprocess.run([sys.executable, "-c", SCHEMA], env=env, cwd=REPO, check=True, timeout=300)
        # Both workers wait on the empty queue first, so both are there when the posts arrive.
        workers = [subprocess.Popen([sys.executable, "-m", "listhaven", "worker"], env=env, cwd=REPO,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]  # fmt: skip
        try:
            for worker in workers:
                assert worker.stdout is not None
                assert b"sending to" in worker.stdout.readline()  # started, polling
            subprocess.run([sys.executable, "-c", QUEUE, str(MEMBERS)], env=env, cwd=REPO, check=True, timeout=300)
            deadline = time.monotonic() + 600
            while sum(sink.per_recipient.values()) < 2 * MEMBERS and time.monotonic() < deadline:
                assert all(worker.poll() is None for worker in workers)
                time.sleep(0.1)
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            for worker in workers:
                _, errors = worker.communicate(timeout=120)
        assert all(worker.returncode == 0 for worker in workers), errors.decode()
        batches = json.loads(subprocess.run([sys.executable, "-c", BATCHES], env=env, cwd=REPO, check=True,
                                            capture_output=True, timeout=120).stdout)  # fmt: skip
        counts, sessions = dict(sink.per_recipient), dict(sink.per_session)
    expected = {f"m{n}-{i:05d}@example.net" for n in (0, 1) for i in range(MEMBERS)}
    assert set(counts) == expected
    assert [m for m, c in counts.items() if c != 1] == []
    assert len(batches) == 2 * MEMBERS // 50
    assert all(state == "sent" and done == size == sent and awaiting == 0 and not claimed
               for state, done, size, sent, awaiting, claimed in batches)  # fmt: skip
    # Both processes took part: four sender threads (two each), each with its own SMTP session.
    assert len(sessions) >= 3, sessions
