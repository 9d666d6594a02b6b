"""`listhaven status`, the operator's check: what is queued, held and unread on a real store fed over
LMTP (a real socket), problems named once a batch or service mail waits with no worker, a batch given
up after the MTA could not be reached (a closed port on 127.0.0.1), and exit status 1 for each."""

from __future__ import annotations

import json
import logging
import smtplib
import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from listhaven.cli import build_parser
from listhaven.delivery.lmtp import serving_in_thread
from listhaven.delivery.outgoing import Worker
from listhaven.delivery.schedule import Scheduler
from listhaven.delivery.transport import MaildirTransport, SmtpTransport
from listhaven.lists.directory import create_list
from listhaven.lists.health import site_status
from listhaven.lists.members import add_member
from listhaven.lists.models import DeliveryBatch, IncomingMail
from listhaven.lists.post import Role
from listhaven.lists.queue import enqueue
from tests.support.ports import free_port

LIST = "crew@lists.example.org"
BOB = "bob@example.com"


def message(sender: str, subject: str, body: str = "Hello.\n") -> bytes:
    return (f"From: {sender}\r\nTo: {LIST}\r\nSubject: {subject}\r\nDate: Tue, 01 Dec 2026 06:00:00 +0000\r\n"
            f"Message-ID: <{subject.replace(' ', '.')}@example.com>\r\n\r\n{body}").encode()  # fmt: skip


def run(*argv: str) -> int:
    args = build_parser().parse_args(list(argv))
    return int(args.handler(args))


@pytest.fixture
def mlist(transactional_db, settings):
    settings.SITE_URL = "https://lists.example.org"
    mlist = create_list(LIST)
    add_member(mlist, BOB)
    add_member(mlist, "owner@example.org", role=Role.OWNER)
    return mlist


def test_status_counts_what_waits_and_names_what_needs_a_person(mlist, tmp_path, capsys):
    with serving_in_thread() as address:
        client = smtplib.LMTP(*address, timeout=10)
        assert client.sendmail(BOB, [LIST], message(BOB, "a member post")) == {}
        assert client.sendmail("zed@elsewhere.example", [LIST], message("zed@elsewhere.example", "a stranger")) == {}
        assert client.sendmail("", ["crew-bounces@lists.example.org"], message("MAILER-DAEMON@example.com", "bounce")) == {}
        client.quit()

    status = site_status()
    assert status["queue"]["batches"] >= 1 and status["queue"]["recipients"] >= 1 and status["queue"]["due"] >= 1
    assert (status["held"]["posts"], status["held"]["oldest_list"]) == (1, "crew")
    assert status["service_mail"]["waiting"] == 1
    assert status["problems"] == []  # just arrived: a worker has 15 minutes
    assert run("status") == 0
    assert capsys.readouterr().out.rstrip().endswith("ok")

    later = site_status(now=timezone.now() + timedelta(minutes=20))
    assert len(later["problems"]) == 2
    assert "is a worker running?" in later["problems"][0] and "unread since" in later["problems"][1]
    # the same age on the real clock: the command says so and exits 1, for a monitoring check
    past = timezone.now() - timedelta(minutes=20)
    DeliveryBatch.objects.filter(state="queued").update(next_attempt_at=past)
    IncomingMail.objects.update(received_at=past)
    assert run("status") == 1
    out = capsys.readouterr().out
    assert out.count("PROBLEM:") == 2 and "held for moderation: 1 post(s)" in out

    ticks = iter([0.0, *[1e6] * 1000])  # the timed jobs are due from the worker's second look on
    Worker(MaildirTransport(tmp_path / "outbox"), scheduler=Scheduler(clock=lambda: next(ticks))).run(
        threading.Event(), until_idle=True)
    status = site_status()
    assert (status["queue"]["due"], status["service_mail"]["waiting"], status["problems"]) == (0, 0, [])
    assert status["held"]["posts"] == 1  # moderators' work, not a fault
    assert run("status") == 0


def test_a_batch_given_up_is_a_problem_and_logged_as_an_error(mlist, settings, capsys, caplog):
    settings.DELIVERY_RETRY_DAYS = 0  # the first failure is the last
    enqueue(mlist, message("owner@example.org", "news"), [BOB], kind="notice", personalised=False)
    with caplog.at_level(logging.WARNING, logger="listhaven.delivery.outgoing"):
        Worker(SmtpTransport("127.0.0.1", free_port())).run(threading.Event(), until_idle=True)  # nothing listens
    assert DeliveryBatch.objects.get().state == "failed"
    # the log said "tried again later" at WARNING for a batch that was given up
    assert [(r.levelname, "given up" in r.getMessage()) for r in caplog.records] == [("ERROR", True)]

    assert run("status", "--json") == 1
    status = json.loads(capsys.readouterr().out)
    assert status["queue"]["failed_last_day"] == 1 and status["queue"]["last_failure"]
    assert ["given up in the last day" in p for p in status["problems"]] == [True]


def test_a_post_the_archive_quarantines_is_logged_and_counted(mlist, settings, caplog):
    settings.MAX_MIME_PARTS = 2  # the archive quarantines a post of more parts; the members still get it
    parts = "".join(f"--b\r\nContent-Type: text/plain\r\n\r\npart {n}\r\n" for n in range(3))
    raw = (f"From: {BOB}\r\nTo: {LIST}\r\nSubject: parts\r\nDate: Tue, 01 Dec 2026 06:00:00 +0000\r\n"
           f"Message-ID: <parts@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
           f"{parts}--b--\r\n").encode()  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="listhaven.lists.pipeline"), serving_in_thread() as address:
        client = smtplib.LMTP(*address, timeout=10)
        client.ehlo()
        client.mail(BOB)
        client.rcpt(LIST)
        code, reply = client.data(raw)
        client.quit()
    assert code == 250 and b"not archived (quarantined)" in reply
    [record] = [r for r in caplog.records if r.name == "listhaven.lists.pipeline"]
    assert record.levelname == "WARNING" and LIST in record.getMessage() and "quarantined" in record.getMessage()
    assert site_status()["quarantined"] == 1
