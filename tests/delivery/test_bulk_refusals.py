"""Bulk copies (one message for several recipients in one SMTP transaction) when the MTA refuses some
recipients at RCPT, or refuses or drops the transaction at DATA or at its final dot, against a real aiosmtpd
server on 127.0.0.1 (tests/support/smtp_sink.py). What Mailman's and Postfix's users expect: a recipient
refused 4xx is retried later (with the batch's backoff), alone; one refused 5xx is a bounce, recorded once
and not retried; the copies of the recipients the MTA accepted count as sent only once the MTA has accepted
the dot, and reach each of them once. RELIABILITY.md, "Delivery".

The worker is killed (SIGKILL, by itself, at a chosen point) in test_kill_9_in_a_transaction_with_refusals."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from listhaven.delivery.outgoing import Worker
from listhaven.delivery.transport import SmtpTransport
from listhaven.lists.directory import create_list
from listhaven.lists.identity import identity_for
from listhaven.lists.models import BounceEvent, DeliveryBatch
from listhaven.lists.queue import enqueue
from listhaven.mail.decorate import decorate
from tests.support.databases import store_env, store_rows
from tests.support.smtp_sink import sink_port, smtp_sink

LIST = "team@lists.example.org"
POST = (b"From: Ann <ann@example.org>\r\nTo: team@lists.example.org\r\nSubject: Plans\r\n"
        b"Date: Fri, 01 Mar 2024 12:00:00 +0000\r\nMessage-ID: <bulk@example.org>\r\n\r\nHello all.\r\n")  # fmt: skip
MEMBERS = [f"member{n}@example.net" for n in range(7)]  # transactions of 3: [0 1 2] [3 4 5] [6]
ACCEPTED, GONE, BUSY = MEMBERS[0], MEMBERS[1], MEMBERS[2]  # the first transaction's three answers
REFUSALS = {GONE: "550 5.1.1 no such user", BUSY: "450 4.2.1 mailbox busy"}


@pytest.fixture
def mlist(transactional_db, settings, tmp_path):
    settings.SMTP_MAX_RECIPIENTS = 3
    settings.DATA_DIR = tmp_path
    mlist = create_list(LIST)
    template = decorate(POST, identity_for(mlist), personal=False)
    enqueue(mlist, template.data, MEMBERS, kind="post", personalised=False)
    return mlist


def drain(port: int) -> None:
    Worker(SmtpTransport("127.0.0.1", port)).run(threading.Event(), until_idle=True)


def retry_now() -> None:
    DeliveryBatch.objects.filter(state="queued").update(next_attempt_at=timezone.now())


def bounces(mlist) -> list[tuple[str, int | None]]:
    return sorted(BounceEvent.objects.filter(mailing_list=mlist).values_list("address", "code"))


def the_retry() -> DeliveryBatch:
    [retry] = DeliveryBatch.objects.filter(state="queued")
    assert retry.next_attempt_at > timezone.now() + timedelta(minutes=4)  # backoff: not at once
    return retry


counted: list[int] = []


def sent_in_database(recipients: list[str]) -> None:
    """At the sink's dot: what the database then counts as sent (read on a connection of this thread)."""
    try:
        counted.append(sum(DeliveryBatch.objects.values_list("sent", flat=True)))
    finally:
        connection.close()


@pytest.mark.parametrize("pipelining", [True, False])
def test_sent_counts_commit_after_the_dot_is_accepted(mlist, pipelining):
    """Each dot arrives while the database counts only the copies of the transactions before it, even in a
    transaction where some recipients were refused at RCPT (they used to be committed before the dot)."""
    counted.clear()
    with smtp_sink(dict(REFUSALS), pipelining=pipelining) as (controller, sink):
        sink.at_dot = sent_in_database
        drain(sink_port(controller))
        assert counted == [0, 1, 4]  # before [0 1 2] (1 accepted), [3 4 5], [6]
        assert bounces(mlist) == [(GONE, 550)]
        assert the_retry().recipients == [BUSY]
        first = DeliveryBatch.objects.filter(state="sent").get()
        assert (first.done, first.sent, first.awaiting) == (7, 5, 0)
        retry_now()
        sink.answers.clear()
        drain(sink_port(controller))
    assert sorted(sink.per_recipient) == sorted(set(MEMBERS) - {GONE}) and set(sink.per_recipient.values()) == {1}
    assert bounces(mlist) == [(GONE, 550)]
    assert set(DeliveryBatch.objects.values_list("state", flat=True)) == {"sent"}


@pytest.mark.parametrize("pipelining", [True, False])
def test_data_refused_5xx_bounces_the_accepted_recipients(mlist, pipelining):
    """DATA answered 554 after one recipient of three was accepted: no message went, so that recipient is
    not sent: a bounce, as Postfix reports one (in reply to DATA) and Mailman records it."""
    with smtp_sink(dict(REFUSALS), pipelining=pipelining) as (controller, sink):
        sink.data_replies = ["554 5.7.1 transaction refused"]
        drain(sink_port(controller))
    assert ACCEPTED not in sink.per_recipient
    assert bounces(mlist) == [(ACCEPTED, 554), (GONE, 550)]
    assert the_retry().recipients == [BUSY]
    assert DeliveryBatch.objects.get(state="sent").sent == 4


@pytest.mark.parametrize("pipelining", [True, False])
def test_data_refused_4xx_retries_the_accepted_recipients_later(mlist, pipelining):
    with smtp_sink(dict(REFUSALS), pipelining=pipelining) as (controller, sink):
        sink.data_replies = ["451 4.3.0 try again later"]
        drain(sink_port(controller))
        assert ACCEPTED not in sink.per_recipient
        assert sorted(the_retry().recipients) == sorted([ACCEPTED, BUSY])
        assert DeliveryBatch.objects.get(state="sent").sent == 4
        retry_now()
        sink.answers.clear()
        drain(sink_port(controller))
    assert sorted(sink.per_recipient) == sorted(set(MEMBERS) - {GONE}) and set(sink.per_recipient.values()) == {1}
    assert bounces(mlist) == [(GONE, 550)]


@pytest.mark.parametrize("answer", ["554 5.6.0 content refused", "451 4.3.0 queue full"])
def test_a_refused_dot_takes_the_copies_back(mlist, answer):
    with smtp_sink(dict(REFUSALS), pipelining=True) as (controller, sink):
        sink.dot_replies = [answer]
        drain(sink_port(controller))
        assert ACCEPTED not in sink.per_recipient
        assert DeliveryBatch.objects.get(state="sent").sent == 4
        if answer.startswith("5"):
            assert bounces(mlist) == [(ACCEPTED, 554), (GONE, 550)]
            assert the_retry().recipients == [BUSY]
        else:
            assert bounces(mlist) == [(GONE, 550)]
            assert sorted(the_retry().recipients) == sorted([ACCEPTED, BUSY])
        retry_now()
        sink.answers.clear()
        drain(sink_port(controller))
    expected = set(MEMBERS) - {GONE} - ({ACCEPTED} if answer.startswith("5") else set())
    assert sorted(sink.per_recipient) == sorted(expected) and set(sink.per_recipient.values()) == {1}


@pytest.mark.parametrize("where", ["data", "dot"])
@pytest.mark.parametrize("pipelining", [True, False])
def test_a_session_dropped_at_data_sends_again_and_bounces_once(mlist, pipelining, where):
    """The MTA closes the connection at the DATA command, or after the dot without answering it (it
    crashed: the message is not taken). Nothing of the transaction counts as sent; it goes again later,
    each accepted recipient getting one copy, the 5xx one bounced once, the 4xx one retried alone."""
    with smtp_sink(dict(REFUSALS), pipelining=pipelining) as (controller, sink):
        setattr(sink, f"{where}_replies", ["drop"])
        drain(sink_port(controller))
        assert sink.per_recipient == {}
        [batch] = DeliveryBatch.objects.all()
        assert (batch.state, batch.sent, batch.claimed_by) == ("queued", 0, "") and "closed" in batch.last_error
        for _ in range(3):  # the batch again (the MTA refuses the same two), then the 4xx recipients' retry
            retry_now()
            drain(sink_port(controller))
            sink.answers.clear()
    assert sorted(sink.per_recipient) == sorted(set(MEMBERS) - {GONE}) and set(sink.per_recipient.values()) == {1}
    assert bounces(mlist) == [(GONE, 550)]
    assert set(DeliveryBatch.objects.values_list("state", flat=True)) == {"sent"}


# kill -9 of the worker (`listhaven worker`, a process of its own) in the first transaction, where the
# MTA accepted one recipient of three.
#  "record": as the copy is about to be recorded as handed over, its message written but not the dot. No
#            outside process can choose that moment, so the worker kills itself there (SIGKILL, nothing runs
#            after it): the copy was counted in the database before this point until 2026-12-01, and lost.
#  "dot": by the MTA, the moment the dot arrives, before it answers (the MTA takes the message, as Postfix
#         does when its client vanishes after the dot).

SETUP = """
import sys
from listhaven.cli import setup_django, ensure_schema
setup_django(None); ensure_schema()
from listhaven.lists.directory import create_list
from listhaven.lists.identity import identity_for
from listhaven.lists.queue import enqueue
from listhaven.mail.decorate import decorate
mlist = create_list("team@lists.example.org")
post = (b"From: Ann <ann@example.org>\\r\\nTo: team@lists.example.org\\r\\nSubject: Hi\\r\\n"
        b"Message-ID: <kill-bulk@example.org>\\r\\n\\r\\nHello.\\r\\n")
enqueue(mlist, decorate(post, identity_for(mlist), personal=False).data, sys.argv[1:], kind="post",
        personalised=False)
"""
DIES_AT_RECORD = """
import os, signal, threading
from listhaven.cli import setup_django
setup_django(None)
from listhaven.delivery import batches
from listhaven.delivery.outgoing import run_worker

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

batches.Journal.write = die
run_worker(threading.Event(), until_idle=True, connections=1)
"""
DUE = """
from listhaven.cli import setup_django
setup_django(None)
from django.utils import timezone
from listhaven.lists.models import DeliveryBatch
DeliveryBatch.objects.filter(state="queued").update(next_attempt_at=timezone.now())
"""


def run(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finishes(process: subprocess.Popen[bytes]) -> None:
    _, errors = process.communicate(timeout=120)
    assert process.returncode == 0, errors.decode()


@pytest.mark.parametrize("point", ["record", "dot"])
def test_kill_9_in_a_transaction_with_refusals_loses_nothing_and_doubles_nothing(tmp_path, point):
    env = store_env(tmp_path, LISTHAVEN_SMTP_HOST="127.0.0.1", LISTHAVEN_SMTP_MAX_RECIPIENTS="3")
    finishes(run(env, "-c", SETUP, *MEMBERS))
    with smtp_sink(dict(REFUSALS), pipelining=True) as (controller, sink):
        env["LISTHAVEN_SMTP_PORT"] = str(sink_port(controller))
        if point == "record":
            worker = run(env, "-c", DIES_AT_RECORD)
        else:
            worker = run(env, "-m", "listhaven", "worker")

            def kill(recipients: list[str]) -> None:
                sink.at_dot = None
                worker.send_signal(signal.SIGKILL)
                worker.wait(timeout=30)

            sink.at_dot = kill
        worker.communicate(timeout=120)
        assert worker.returncode == -signal.SIGKILL
        assert dict(sink.per_recipient) == ({ACCEPTED: 1} if point == "dot" else {})
        finishes(run(env, "-m", "listhaven", "worker", "--until-idle"))
        queued = store_rows(tmp_path, "SELECT recipients FROM lists_deliverybatch WHERE state = 'queued'")
        assert [r if isinstance(r, list) else json.loads(r) for (r,) in queued] == [[BUSY]]  # JSON: text on SQLite
        sink.answers.clear()
        finishes(run(env, "-c", DUE))
        finishes(run(env, "-m", "listhaven", "worker", "--until-idle"))
    assert sorted(sink.per_recipient) == sorted(set(MEMBERS) - {GONE}) and set(sink.per_recipient.values()) == {1}
    assert store_rows(tmp_path, "SELECT address, code FROM lists_bounceevent") == [(GONE, 550)]
    assert {s for (s,) in store_rows(tmp_path, "SELECT state FROM lists_deliverybatch")} == {"sent"}
