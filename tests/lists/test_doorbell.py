"""The outgoing queue's doorbell: a post queued while a worker sleeps between polls is sent at once,
because the commit rings the worker's socket (lists/doorbell.py)."""

from __future__ import annotations

import threading
import time

from django.db import connection, transaction

from listhaven.delivery.outgoing import run_worker
from listhaven.delivery.transport import MaildirTransport
from listhaven.lists.directory import create_list
from listhaven.lists.doorbell import bell_dir, ring
from listhaven.lists.identity import identity_for
from listhaven.lists.queue import enqueue
from listhaven.mail.decorate import decorate

POST = (b"From: Ann <ann@example.org>\r\nTo: team@lists.example.org\r\nSubject: Ring\r\n"
        b"Message-ID: <ring@example.org>\r\n\r\nHello.\r\n")  # fmt: skip


def test_a_queued_post_wakes_a_sleeping_worker(transactional_db, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    mlist = create_list("team@lists.example.org")
    outbox = tmp_path / "outbox"
    stop = threading.Event()

    def work() -> None:
        try:  # polls once an hour: only the bell can make it send within the test
            run_worker(stop, lambda: MaildirTransport(outbox), connections=1, idle=3600)
        finally:
            connection.close()

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    try:
        deadline = time.monotonic() + 60
        while not list(bell_dir().glob("worker-*.sock")) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert list(bell_dir().glob("worker-*.sock")), "the worker did not put up its doorbell"
        time.sleep(0.5)  # the worker has found the queue empty and sleeps
        with transaction.atomic():
            enqueue(mlist, decorate(POST, identity_for(mlist)).to_bytes(), ["bob@example.net"], kind="post",
                    personalised=True)  # fmt: skip
        while not list((outbox / "new").glob("*")) and time.monotonic() < deadline + 60:
            time.sleep(0.05)
        assert len(list((outbox / "new").glob("*"))) == 1
    finally:
        stop.set()
        ring()  # so the worker sees `stop` now rather than in an hour
        worker.join(timeout=60)
    assert not worker.is_alive()
    assert list(bell_dir().glob("worker-*.sock")) == []  # taken down on the way out


def test_ringing_with_no_worker_or_a_gone_one_is_harmless(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    ring()  # no directory yet
    bell_dir().mkdir()
    stale = bell_dir() / "worker-999999.sock"
    stale.touch()  # a file no process listens on
    ring()
    assert not stale.exists()
