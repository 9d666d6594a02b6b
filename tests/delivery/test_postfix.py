"""A real MTA: mail submitted to a private Postfix for the list address goes over LMTP to Listhaven,
the copies come back to Postfix over SMTP, and Postfix delivers them to a counting sink. Every member
gets one copy with the list's fields and a VERP return path."""

from __future__ import annotations

import email
import os
import signal
import smtplib
import subprocess
import sys
import time

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
