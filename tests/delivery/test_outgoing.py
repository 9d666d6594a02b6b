"""The delivery worker against a real SMTP sink on 127.0.0.1: personalised and bulk copies, VERP,
one-click unsubscribe tokens, DKIM, 4xx retried later, 5xx recorded as bounces, the outbox."""

from __future__ import annotations

import email
import socket
import threading
import time
from datetime import timedelta

import dkim as dkimpy
import pytest
from django.utils import timezone

from listhaven.delivery.dkim_keys import generate_key
from listhaven.delivery.outgoing import Worker
from listhaven.delivery.transport import MaildirTransport, SmtpTransport
from listhaven.lists.directory import create_list
from listhaven.lists.identity import identity_for
from listhaven.lists.models import BounceEvent, DeliveryBatch
from listhaven.lists.queue import enqueue
from listhaven.lists.unsubscribe import check_unsubscribe_token
from listhaven.mail.decorate import decorate
from listhaven.mail.verp import verp_decode
from tests.support.smtp_sink import sink_port, smtp_sink

LIST = "team@lists.example.org"
POST = (b"From: Ann <ann@example.org>\r\nTo: team@lists.example.org\r\nSubject: Plans\r\n"
        b"Date: Fri, 01 Mar 2024 12:00:00 +0000\r\nMessage-ID: <plans@example.org>\r\n\r\nHello all.\r\n")  # fmt: skip
MEMBERS = [f"member{n}@example.net" for n in range(7)]


@pytest.fixture
def mlist(transactional_db):
    return create_list(LIST)


def queue_post(mlist, recipients, personal=True):
    template = decorate(POST, identity_for(mlist), personal=personal)
    data = template.to_bytes() if personal else template.data
    return enqueue(mlist, data, recipients, kind="post", personalised=personal)


def drain(transport) -> None:
    Worker(transport).run(threading.Event(), until_idle=True)


@pytest.mark.parametrize("pipelining", [True, False])
def test_personalised_copies_one_per_member_with_verp_and_own_unsubscribe_link(mlist, settings, pipelining):
    settings.DELIVERY_BATCH_SIZE = 3  # several batches
    queue_post(mlist, MEMBERS)
    with smtp_sink(pipelining=pipelining) as (controller, sink):
        transport = SmtpTransport("127.0.0.1", sink_port(controller))
        drain(transport)
        assert transport.pipelining is pipelining
    assert sorted(sink.per_recipient) == sorted(MEMBERS) and set(sink.per_recipient.values()) == {1}
    for received in sink.messages:
        [member] = received.recipients
        assert verp_decode(received.sender, "team-bounces") == member
        copy = email.message_from_bytes(received.data)
        url = copy["List-Unsubscribe"].split("<")[1].split(">")[0]
        assert url.startswith("http") and "/team/unsubscribe/" in url
        token = url.rsplit("/", 1)[1]
        assert check_unsubscribe_token(LIST, token, int(time.time())) == member
        assert url.encode() in received.data.split(b"\r\n\r\n", 1)[1]  # the footer carries it too
        assert copy["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert set(DeliveryBatch.objects.values_list("state", flat=True)) == {"sent"}
    assert sum(DeliveryBatch.objects.values_list("sent", flat=True)) == len(MEMBERS)


@pytest.mark.parametrize("pipelining", [True, False])
def test_bulk_copies_share_transactions(mlist, settings, pipelining):
    settings.SMTP_MAX_RECIPIENTS = 3
    queue_post(mlist, MEMBERS, personal=False)
    with smtp_sink(pipelining=pipelining) as (controller, sink):
        drain(SmtpTransport("127.0.0.1", sink_port(controller)))
    assert sorted(sink.per_recipient) == sorted(MEMBERS) and set(sink.per_recipient.values()) == {1}
    assert [len(m.recipients) for m in sink.messages] == [3, 3, 1]
    assert {m.sender for m in sink.messages} == {"team-bounces@lists.example.org"}


@pytest.mark.parametrize("pipelining", [True, False])
def test_5xx_is_a_bounce_and_4xx_is_retried_later(mlist, pipelining):
    refused, later = MEMBERS[1], MEMBERS[2]
    queue_post(mlist, MEMBERS + ["bad\x01@example.net"])
    answers = {refused: "550 5.1.1 no such user", later: "450 4.2.1 mailbox busy"}
    with smtp_sink(answers, pipelining=pipelining) as (controller, sink):
        drain(SmtpTransport("127.0.0.1", sink_port(controller)))
        assert refused not in sink.per_recipient and later not in sink.per_recipient
        bounce, unusable = BounceEvent.objects.order_by("id")
        assert (bounce.address, bounce.code, bounce.source) == (refused, 550, "smtp")
        assert unusable.address == "bad\x01@example.net" and "not sent" in unusable.text
        [retry] = DeliveryBatch.objects.filter(state="queued")
        assert retry.recipients == [later] and retry.next_attempt_at > timezone.now() + timedelta(minutes=4)
        # The retry is due: the member is no longer busy.
        DeliveryBatch.objects.filter(pk=retry.pk).update(next_attempt_at=timezone.now())
        sink.answers.clear()
        drain(SmtpTransport("127.0.0.1", sink_port(controller)))
    assert sink.per_recipient[later] == 1 and refused not in sink.per_recipient
    assert sum(sink.per_recipient.values()) == len(MEMBERS) - 1


def test_an_unreachable_mta_keeps_the_batch_for_later(mlist):
    queue_post(mlist, MEMBERS)
    with smtp_sink() as (controller, _):
        port = sink_port(controller)
    drain(SmtpTransport("127.0.0.1", port))  # nothing listens there now
    [batch] = DeliveryBatch.objects.all()
    assert (batch.state, batch.done, batch.claimed_by) == ("queued", 0, "")
    assert batch.next_attempt_at > timezone.now() and "cannot open" in batch.last_error


def silent_mta() -> tuple[socket.socket, threading.Event]:
    """An MTA on 127.0.0.1 that greets, answers EHLO (offering PIPELINING), then reads and never answers."""
    server = socket.create_server(("127.0.0.1", 0))
    done = threading.Event()

    def serve() -> None:
        connection, _ = server.accept()
        with connection:
            connection.sendall(b"220 silent ESMTP\r\n")
            connection.recv(1024)
            connection.sendall(b"250-silent\r\n250 PIPELINING\r\n")
            while not done.is_set() and connection.recv(65536):
                pass

    threading.Thread(target=serve, daemon=True).start()
    return server, done


def test_an_mta_that_stops_answering_ends_the_session_at_the_timeout(mlist):
    """The SMTP socket is blocking, its timeout kept by the kernel (SO_RCVTIMEO), so that a dot is one send(2)
    with no poll(2) before it (RELIABILITY.md): a silent MTA must still end the session, not hang the worker."""
    queue_post(mlist, MEMBERS)
    server, done = silent_mta()
    try:
        transport = SmtpTransport("127.0.0.1", server.getsockname()[1], timeout=0.3)
        drained = threading.Thread(target=drain, args=(transport,), daemon=True)
        drained.start()
        drained.join(timeout=60)
        assert not drained.is_alive(), "the worker is still waiting for a silent MTA"
    finally:
        done.set()
        server.close()
    [batch] = DeliveryBatch.objects.all()
    assert (batch.state, batch.done, batch.claimed_by) == ("queued", 0, "")
    assert "broke" in batch.last_error and batch.next_attempt_at > timezone.now()


def test_every_copy_is_dkim_signed_when_the_domain_has_a_key(mlist, local_dns):
    key = generate_key("lists.example.org", "s1", bits=1024)
    from listhaven.delivery.dkim_keys import txt_record
    from listhaven.mail import dkim

    local_dns.set("s1._domainkey.lists.example.org", [dkim.dns_txt_value(key.private_key.encode())])
    queue_post(mlist, MEMBERS[:2])
    with smtp_sink() as (controller, sink):
        drain(SmtpTransport("127.0.0.1", sink_port(controller)))
    assert len(sink.messages) == 2
    for received in sink.messages:
        assert received.data.startswith(b"DKIM-Signature:")
        assert dkimpy.verify(received.data, dnsfunc=dkim.txt_lookup(local_dns.resolver()))
    assert txt_record(key)[0] == "s1._domainkey.lists.example.org."


def test_the_outbox_gets_the_copies_when_no_mta_is_set(mlist, tmp_path):
    queue_post(mlist, MEMBERS[:3])
    drain(MaildirTransport(tmp_path / "outbox"))
    files = sorted((tmp_path / "outbox" / "new").iterdir())
    assert len(files) == 3
    delivered = sorted(f.read_bytes().split(b"\n", 2)[1] for f in files)
    assert delivered == sorted(f"Delivered-To: {m}".encode() for m in MEMBERS[:3])
    assert set(DeliveryBatch.objects.values_list("state", flat=True)) == {"sent"}


def test_the_outbox_page_shows_the_copies_to_staff_only(mlist, tmp_path, settings, client, django_user_model):
    settings.DATA_DIR = tmp_path
    queue_post(mlist, MEMBERS[:2])
    from listhaven.delivery.outbox import outbox_dir

    drain(MaildirTransport(outbox_dir()))
    assert client.get("/manage/outbox/")["Location"].startswith("/accounts/login/")  # the anonymous sign in
    reader = django_user_model.objects.create_user("reader", password="pw")
    client.force_login(reader)
    assert client.get("/manage/outbox/").status_code == 403  # the manage guard: signed in, not a site administrator
    admin = django_user_model.objects.create_user("admin", password="pw", is_staff=True)
    client.force_login(admin)
    index = client.get("/manage/outbox/")
    assert index.status_code == 200 and index.content.count(b"Plans</a>") == 2
    assert b'<a href="/manage/">Manage</a>' in index.content  # the way back, as on every page of /manage/
    keys = sorted(p.name for p in (outbox_dir() / "new").iterdir())
    page = client.get(f"/manage/outbox/{keys[0]}/")
    assert page.status_code == 200 and b"Hello all." in page.content and b"member" in page.content
    assert b'<a href="/manage/">Manage</a>' in page.content and b'<a href="/manage/outbox/">Outbox</a>' in page.content
    raw = client.get(f"/manage/outbox/{keys[0]}/raw")
    assert raw["Content-Type"].startswith("text/plain") and raw["X-Content-Type-Options"] == "nosniff"
    assert raw.content.startswith(b"Return-Path: <team-bounces+") and b"\nSubject: " in raw.content
    assert client.get("/manage/outbox/..%2Fetc/").status_code == 404
    assert client.get("/manage/outbox/nope/").status_code == 404
