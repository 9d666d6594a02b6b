"""The LMTP server, over a real socket, against a real store: what the MTA is told, and what is kept.

Routing: a list's posting address goes through the chain (a member's post is archived and queued,
a stranger's held), its service addresses are kept for their handlers, anything else is refused."""

from __future__ import annotations

import os
import select
import signal
import smtplib
import subprocess
import sys

import pytest

from listhaven.archive.compression import decompress
from listhaven.archive.models import Message, Quarantine, RawMessage, Thread
from listhaven.archive.search import search_message_ids
from listhaven.delivery.lmtp import serving_in_thread
from listhaven.lists.directory import create_list
from listhaven.lists.members import add_member
from listhaven.lists.models import HeldMessage, IncomingMail, Outgoing, PostRecord
from tests.support.ports import free_port

SENDER = "ann@example.org"
LIST = "test@lists.example.org"
OTHER = "other@lists.example.org"


def post(msgid: str, body: str = "Some text.\r\n", subject: str = "Hello", sender: str = SENDER,
         to: str = LIST) -> bytes:  # fmt: skip
    headers = [
        f"From: Ann Example <{sender}>",
        f"To: {to}",
        f"Subject: {subject}",
        "Date: Fri, 01 Mar 2024 12:00:00 +0000",
        f"Message-ID: <{msgid}>",
        "Content-Type: text/plain; charset=utf-8",
    ]
    return ("\r\n".join(headers) + "\r\n\r\n" + body).encode()


@pytest.fixture
def lists(transactional_db):
    # transactional_db: the server's worker thread has its own connection, so data must be committed
    made = {LIST: create_list(LIST), OTHER: create_list(OTHER)}
    for mlist in made.values():
        mlist.max_message_kb = 0  # these tests send long posts
        mlist.save()
        add_member(mlist, SENDER)
        add_member(mlist, "bob@example.net")
    return made


@pytest.fixture
def server(lists):
    with serving_in_thread() as address:
        yield address


@pytest.fixture
def client(server):
    lmtp = smtplib.LMTP(*server, timeout=10)
    lmtp.ehlo("mta.example.org")
    yield lmtp
    lmtp.close()


def send(client: smtplib.LMTP, raw: bytes, *recipients: str) -> list[tuple[int, bytes]]:
    """One transaction; the replies after DATA, one per accepted recipient."""
    assert client.mail(SENDER)[0] == 250
    accepted = sum(client.rcpt(r)[0] == 250 for r in recipients)
    replies = [client.data(raw)]
    replies += [client.getreply() for _ in range(accepted - 1)]
    return replies


def test_a_post_is_stored_and_searchable_right_after_the_250(client, lists):
    # Findable the moment the 250 is read: no later indexing step. (The latency budget is a benchmark's
    # business, not a timed assertion's.)
    raw = post("live-1@example.org", "The kingfisher came back to the pond.\r\n")
    [(code, text)] = send(client, raw, LIST)
    found = search_message_ids([lists[LIST]], "kingfisher")
    assert code == 250 and b"accepted, archived, queued for 2" in text
    assert found == [Message.objects.get(message_id="live-1@example.org").pk]
    [queued] = Outgoing.objects.filter(kind="post")
    assert queued.recipients == [SENDER, "bob@example.net"] and queued.message_id == found[0]
    assert PostRecord.objects.get(message_id="live-1@example.org").verdict == "accept"


def test_a_post_without_date_or_message_id_gets_them_once_for_the_archive_and_every_copy(client, lists):
    raw = b"From: Ann Example <ann@example.org>\r\nTo: test@lists.example.org\r\nSubject: Bare\r\n\r\nNo id.\r\n"
    [(code, text)] = send(client, raw, LIST)
    assert code == 250 and b"accepted" in text
    [stored] = Message.objects.filter(mailing_list=lists[LIST])
    assert stored.message_id.endswith("@lists.example.org")  # given here, not a hash of the bytes
    copy = decompress(Outgoing.objects.get(kind="post").template)
    head = copy.partition(b"\r\n\r\n")[0]
    assert f"\nMessage-ID: <{stored.message_id}>\r\n".encode() in head and b"\nDate: " in head
    [(code, text)] = send(client, raw, LIST)  # the MTA's retry of the same bytes
    assert code == 250 and Message.objects.filter(mailing_list=lists[LIST]).count() == 1
    assert Outgoing.objects.filter(kind="post").count() == 1


def test_the_body_is_archived_exactly_as_received(client):
    long_line = "word " * 1000  # over SMTP's 1,000 characters: kept, not refused
    raw = post("exact-1@example.org", f".a line starting with a dot\r\n\r\n..two dots\r\n{long_line}\r\nend\r\n")
    [(code, _)] = send(client, raw, LIST)
    assert code == 250
    stored = decompress(RawMessage.objects.get(message__message_id="exact-1@example.org").data)
    # no Received: line, dot-stuffing undone; the list changes headers only
    assert stored.partition(b"\r\n\r\n")[2] == raw.partition(b"\r\n\r\n")[2]
    assert b"\r\nReceived:" not in stored


def test_the_mtas_retry_of_a_decided_post_changes_nothing(client):
    raw = post("dup-1@example.org")
    assert send(client, raw, LIST)[0][0] == 250
    [(code, text)] = send(client, raw, LIST)
    assert code == 250 and b"received before (accept)" in text
    assert Message.objects.filter(message_id="dup-1@example.org").count() == 1
    assert Outgoing.objects.filter(kind="post").count() == 1  # no member gets it twice


def test_two_lists_in_one_transaction_get_one_status_each(client, lists):
    assert send(client, post("both-1@example.org"), LIST, OTHER)[0][0] == 250
    raw = post("both-2@example.org", to=f"{LIST}, {OTHER}")
    # the first list has it already: nothing done again there, accepted by the second
    assert send(client, raw, LIST)[0][0] == 250
    replies = send(client, raw, LIST, OTHER)
    assert [code for code, _ in replies] == [250, 250]
    assert b"received before" in replies[0][1] and LIST.encode() in replies[0][1]
    assert b"accepted, archived" in replies[1][1] and OTHER.encode() in replies[1][1]
    assert Message.objects.filter(message_id="both-2@example.org", mailing_list=lists[OTHER]).count() == 1
    assert client.noop()[0] == 250  # no reply left over in the stream


def test_an_unknown_list_is_refused_at_rcpt(client):
    assert client.mail(SENDER)[0] == 250
    code, text = client.rcpt("nobody@lists.example.org")
    assert code == 550 and text.startswith(b"5.1.1")
    assert client.rcpt(LIST)[0] == 250
    replies = [client.data(post("partly-1@example.org"))]
    assert replies[0][0] == 250
    assert client.noop()[0] == 250  # one status only: the refused recipient has none
    assert Message.objects.count() == 1


@pytest.mark.parametrize(("address", "role"), [
    ("test-request@lists.example.org", "request"), ("test-join@lists.example.org", "join"),
    ("TEST-leave@lists.example.org", "leave"), ("test-confirm+a1B2c3@lists.example.org", "confirm"),
    ("test-bounces@lists.example.org", "bounces"), ("test-bounces+bob=example.net@lists.example.org", "bounces"),
])  # fmt: skip
def test_service_addresses_are_kept_for_their_handlers(client, lists, address, role):
    raw = post("service-1@example.org", "subscribe\r\n", to=address)
    [(code, _)] = send(client, raw, address)
    assert code == 250
    [kept] = IncomingMail.objects.all()
    # command mail is acted on at once (tests/delivery/test_command_mail.py); bounces wait for their handler
    processed = role in ("request", "join", "leave", "confirm")
    assert (kept.mailing_list, kept.role, kept.recipient, kept.processed) == (lists[LIST], role, address, processed)
    assert (decompress(kept.data), kept.envelope_sender) == (raw, SENDER)
    assert Message.objects.count() == 0 and PostRecord.objects.count() == 0


@pytest.mark.parametrize("address", ["nobody-owner@lists.example.org", "test+x@lists.example.org",
                                     "test-owner+x@lists.example.org", "-owner@lists.example.org"])
def test_other_addresses_at_the_list_domain_are_refused(client, address):
    assert client.mail(SENDER)[0] == 250
    code, text = client.rcpt(address)
    assert code == 550 and text.endswith(b"no such list here")


def test_owner_mail_is_forwarded_to_the_owners(client, lists):
    add_member(lists[LIST], "owner@example.org", role="owner")
    raw = post("owner-1@example.org", "A question for the owners.\r\n", to="test-owner@lists.example.org")
    [(code, text)] = send(client, raw, "test-owner@lists.example.org")
    assert code == 250 and b"forwarded to 1 owner" in text
    [queued] = Outgoing.objects.all()
    assert (queued.kind, queued.recipients, decompress(queued.template)) == ("owner", ["owner@example.org"], raw)
    [(code, text)] = send(client, raw, "other-owner@lists.example.org")  # no owners: kept, not lost
    assert code == 250 and IncomingMail.objects.get().role == "owner"


def test_a_strangers_post_is_held_and_an_empty_one_too(client, lists):
    add_member(lists[LIST], "mod@example.org", role="moderator")
    [(code, text)] = send(client, post("stranger-1@example.org", sender="zed@elsewhere.example"), LIST)
    assert code == 250 and b"held for moderation" in text and b"not a member" in text
    [(code, text)] = send(client, b"", LIST)
    assert code == 250 and b"held for moderation" in text
    assert HeldMessage.objects.count() == 2 and Message.objects.count() == 0
    notices = [n for n in Outgoing.objects.filter(kind="notice") if "mod@example.org" in n.recipients]
    assert [n.recipients for n in notices] == [["mod@example.org"]] * 2  # the posters get their own notices


def test_content_filtering_as_a_mailman_list_owner_sets_it(client, lists):
    """filter_content: HTML alternatives collapsed, images and .exe removed from what is archived and sent;
    a post of nothing the list passes is discarded (or rejected with a notice, by filter_action)."""
    mlist = lists[LIST]
    mlist.filter_content, mlist.filter_types, mlist.filter_extensions = True, ["image"], ["exe"]
    mlist.save()
    head = post("filter-1@example.org").partition(b"Content-Type:")[0]
    raw = head + (
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=M\r\n\r\n"
        b"--M\r\nContent-Type: multipart/alternative; boundary=A\r\n\r\n"
        b"--A\r\nContent-Type: text/plain\r\n\r\nThe plan is attached.\r\n"
        b"--A\r\nContent-Type: text/html\r\n\r\n<p>The plan is <b>attached</b>.</p>\r\n--A--\r\n"
        b"--M\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=plan.png\r\n\r\nPNG\r\n"
        b"--M\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=plan.pdf\r\n\r\n%PDF\r\n"
        b"--M--\r\n"
    )  # fmt: skip
    [(code, text)] = send(client, raw, LIST)
    assert code == 250 and b"accepted" in text
    archived = decompress(RawMessage.objects.get(message__message_id="filter-1@example.org").data)
    sent = decompress(Outgoing.objects.get(kind="post").template)
    for copy in (archived, sent):
        assert b"The plan is attached." in copy and b"plan.pdf" in copy
        assert b"<b>attached</b>" not in copy and b"plan.png" not in copy and b"multipart/alternative" not in copy
    only_image = raw.replace(b"filter-1@", b"filter-2@").replace(b"application/pdf", b"image/gif")
    only_image = only_image.replace(b"text/plain\r\n\r\nThe plan", b"application/x-msdownload\r\n"
                                    b"Content-Disposition: attachment; filename=plan.exe\r\n\r\nThe plan")  # fmt: skip
    only_image = only_image.replace(b"text/html", b"image/svg+xml")
    [(code, text)] = send(client, only_image, LIST)
    assert code == 250 and b"content-filter" in text
    assert PostRecord.objects.get(message_id="filter-2@example.org").verdict == "discard"
    mlist.filter_action = "reject"
    mlist.save()
    [(code, text)] = send(client, only_image.replace(b"filter-2@", b"filter-3@"), LIST)
    assert code == 250 and b"rejected by rule content-filter" in text
    [notice] = Outgoing.objects.filter(kind="notice", recipients=[SENDER])
    assert b"does not pass what the message holds" in decompress(notice.template)
    assert Outgoing.objects.filter(kind="post").count() == 1


def test_over_size_data_is_refused_for_every_recipient(settings, server):
    settings.MAX_MESSAGE_BYTES = 2000  # read by each new connection
    raw = post("big-1@example.org", ("x" * 70 + "\r\n") * 100)
    with smtplib.LMTP(*server, timeout=10) as lmtp:
        lmtp.ehlo("mta.example.org")
        assert lmtp.mail(SENDER, [f"SIZE={len(raw)}"])[0] == 552  # announced size: refused at once
        lmtp.rset()
        replies = send(lmtp, raw, LIST, OTHER)
        assert [code for code, _ in replies] == [552, 552]
        assert b"5.3.4" in replies[0][1] and b"2000" in replies[0][1]
        assert send(lmtp, post("small-1@example.org"), LIST)[0][0] == 250  # the connection is still usable
    assert list(Message.objects.values_list("message_id", flat=True)) == ["small-1@example.org"]


def test_a_database_error_is_temporary_and_keeps_nothing(client, lists):
    from tests.support.databases import failing_inserts

    raw = post("retry-1@example.org", "A heron waited.\r\n")
    with failing_inserts("archive_message"):
        [(code, text)] = send(client, raw, LIST)
    assert code == 451 and text.startswith(b"4.3.0")
    assert (Message.objects.count(), Thread.objects.count(), Quarantine.objects.count()) == (0, 0, 0)
    assert (PostRecord.objects.count(), Outgoing.objects.count()) == (0, 0)  # nothing decided, nothing queued
    assert search_message_ids([lists[LIST]], "heron") == []
    [(code, text)] = send(client, raw, LIST)  # the MTA's retry
    assert code == 250 and b"accepted, archived" in text
    assert len(search_message_ids([lists[LIST]], "heron")) == 1


def _read_line(proc: subprocess.Popen, timeout: float) -> str:
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    assert ready, f"no output within {timeout} s"
    return proc.stdout.readline().decode()


def test_cli_lmtp_serves_until_sigterm(tmp_path):
    cli = [sys.executable, "-m", "listhaven", "--data-dir", str(tmp_path)]
    env = {**os.environ, "LISTHAVEN_DATA": str(tmp_path)}
    subprocess.run([*cli, "list", "create", LIST], check=True, capture_output=True, timeout=60, env=env)
    subprocess.run([*cli, "members", "add", LIST, SENDER], check=True, capture_output=True, timeout=60, env=env)
    port = free_port()
    proc = subprocess.Popen([*cli, "lmtp", "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env)  # fmt: skip
    try:
        assert f"listening on 127.0.0.1:{port}" in _read_line(proc, 30)
        with smtplib.LMTP("127.0.0.1", port, timeout=10) as lmtp:
            lmtp.ehlo("mta.example.org")
            [(code, text)] = send(lmtp, post("cli-1@example.org", "A cormorant dried its wings.\r\n"), LIST)
        assert code == 250 and b"accepted, archived" in text
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert "stopped" in proc.stdout.read().decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    found = subprocess.run([*cli, "search", LIST, "cormorant"], capture_output=True, timeout=60, env=env)
    assert b"1 message matches" in found.stdout
