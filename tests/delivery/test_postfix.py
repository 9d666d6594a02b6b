"""A real MTA: mail submitted to a private Postfix for the list address goes over LMTP to Listhaven,
the copies come back to Postfix over SMTP, and Postfix delivers them to a counting sink. Every member
gets one copy with the list's fields and a VERP return path. Postfix configured with the tables
Listhaven writes (postfix_lmtp, postfix_domains) routes mail for a list created after it started."""

from __future__ import annotations

import email
import json
import os
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from listhaven.mail.verp import verp_decode
from tests.support.ports import free_port
from tests.support.postfix import postfix_available, private_postfix
from tests.support.smtp_sink import sink_port, smtp_sink

LIST = "crew@lists.example.org"
MEMBERS = ["ann@example.org", *(f"member{n}@members.example.net" for n in range(5))]
POST = (b"From: Ann <ann@example.org>\r\nTo: crew@lists.example.org\r\nSubject: Shore leave\r\n"
        b"Date: Fri, 01 Mar 2024 12:00:00 +0000\r\nMessage-ID: <shore@example.org>\r\n\r\nSee you at the dock.\r\n")  # fmt: skip

pytestmark = pytest.mark.skipif(bool(postfix_available()), reason=postfix_available() or "postfix available")


def wait_for_port(port: int) -> None:
    """Until a server listens on 127.0.0.1:`port` (bounded: a server that never starts fails the test)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
            return
        except OSError:
            assert time.monotonic() < deadline, f"nothing listens on port {port}"
            time.sleep(0.1)


def listhaven(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "listhaven", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip


def test_a_post_through_postfix_reaches_every_member_once(tmp_path):
    # Listhaven as it runs in production: `listhaven lmtp` and `listhaven worker` processes on one store.
    env = {**os.environ, "LISTHAVEN_DATA": str(tmp_path), "LISTHAVEN_SMTP_HOST": "127.0.0.1"}
    lmtp_port = free_port()
    for command in (["list", "create", LIST, "--subject-tag", "[Crew]"], ["members", "add", LIST, *MEMBERS]):
        assert listhaven(env, *command).wait(timeout=120) == 0
    with smtp_sink() as (sink_controller, sink):
        hop = f"lmtp:[127.0.0.1]:{lmtp_port}"
        transports = {LIST: hop, "crew-bounces@lists.example.org": hop, "crew-owner@lists.example.org": hop}
        with private_postfix(sink_port(sink_controller), transports) as (mta_port, directory):
            env["LISTHAVEN_SMTP_PORT"] = str(mta_port)
            servers = [listhaven(env, "lmtp", "--port", str(lmtp_port)), listhaven(env, "worker")]
            try:
                wait_for_port(lmtp_port)  # else Postfix's first try is refused and its retry comes minutes later
                with smtplib.SMTP("127.0.0.1", mta_port, timeout=30) as client:
                    assert client.sendmail("ann@example.org", [LIST], POST) == {}
                deadline = time.monotonic() + 90
                while sum(sink.per_recipient.values()) < len(MEMBERS) and time.monotonic() < deadline:
                    time.sleep(0.2)
                time.sleep(1)  # a copy sent twice would arrive now
                log = (directory / "maillog").read_text(errors="replace") if (directory / "maillog").exists() else ""
            finally:
                for server in servers:
                    server.send_signal(signal.SIGTERM)
                    server.wait(timeout=30)
    assert dict(sink.per_recipient) == {member: 1 for member in MEMBERS}, log[-3000:]
    for received in sink.messages:
        [member] = received.recipients
        assert verp_decode(received.sender, "crew-bounces") == member
        copy = email.message_from_bytes(received.data)
        assert copy["Subject"] == "[Crew] Shore leave"
        assert copy["List-Id"].endswith("<crew.lists.example.org>")
        assert "/crew/unsubscribe/" in copy["List-Unsubscribe"] and copy["List-Unsubscribe-Post"]
        assert copy["List-Post"] == "<mailto:crew@lists.example.org>"
        assert "mta.test.example" in copy["Received"]  # it went through Postfix


def stored_messages(env: dict[str, str], mlist: str) -> int:
    shown = subprocess.run([sys.executable, "-m", "listhaven", "stats", mlist, "--json"], env=env,
                           capture_output=True, text=True, timeout=120)  # fmt: skip
    return int(json.loads(shown.stdout)["messages"]) if shown.returncode == 0 else -1


def test_postfix_routes_a_list_created_after_it_started_by_the_tables_listhaven_writes(tmp_path):
    # Postfix's main.cf as docs/operations.md gives it: the transport, relay domains and relay recipients
    # are the tables Listhaven writes (in a directory Postfix's own user can read). Mail to no table's
    # address goes to the relay host, a closed port: it never reaches Listhaven.
    maps = Path(tempfile.mkdtemp(prefix="listhaven-maps-"))
    maps.chmod(0o755)
    lmtp_port = free_port()
    env = {**os.environ, "LISTHAVEN_DATA": str(tmp_path), "LISTHAVEN_POSTFIX_MAPS": str(maps),
           "LISTHAVEN_POSTMAP": "", "LISTHAVEN_LMTP_PORT": str(lmtp_port)}  # fmt: skip
    assert listhaven(env, "list", "create", LIST).wait(timeout=120) == 0
    main_cf = {"transport_maps": f"hash:{maps}/postfix_lmtp", "relay_domains": f"hash:{maps}/postfix_domains",
               "relay_recipient_maps": f"hash:{maps}/postfix_lmtp"}  # fmt: skip
    late = "late@news.example.net"
    try:
        with private_postfix(free_port(), {}, main_cf) as (mta_port, directory):
            server = listhaven(env, "lmtp")
            try:
                for command in (["list", "create", late], ["members", "add", late, "ann@example.org"]):
                    assert listhaven(env, *command).wait(timeout=120) == 0
                post = POST.replace(b"crew@lists.example.org", late.encode()).replace(b"<shore@", b"<late@")
                with smtplib.SMTP("127.0.0.1", mta_port, timeout=30) as client:
                    client.ehlo()
                    client.mail("ann@example.org")
                    unknown, _ = client.rcpt("nobody@news.example.net")
                    request, _ = client.rcpt("late-request@news.example.net")
                    client.rset()
                    assert client.sendmail("ann@example.org", [late], post) == {}
                deadline = time.monotonic() + 90
                while stored_messages(env, late) < 1 and time.monotonic() < deadline:
                    time.sleep(0.5)
                log = (directory / "maillog").read_text(errors="replace") if (directory / "maillog").exists() else ""
            finally:
                server.send_signal(signal.SIGTERM)
                server.wait(timeout=30)
    finally:
        shutil.rmtree(maps, ignore_errors=True)
    assert stored_messages(env, late) == 1, log[-3000:]
    assert f"lmtp]:{lmtp_port}" in log or f"127.0.0.1]:{lmtp_port}" in log, log[-3000:]
    assert unknown == 550 and request == 250  # the domain is a relay domain; only the tables' addresses are taken
