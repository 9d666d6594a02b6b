"""`make run`'s DKIM step (`listhaven demo-dkim`): after the same setup steps, a post to the demo list
queues copies that the worker writes to the outbox signed, verifiable against the DNS record the
step prints, served by a real DNS server on 127.0.0.1. A second run keeps the keys."""

from __future__ import annotations

import argparse
import re
import threading

import dkim as dkimpy

from listhaven.delivery.outgoing import Worker
from listhaven.delivery.transport import MaildirTransport
from listhaven.demo.commands import cmd_demo_dkim, cmd_demo_members
from listhaven.demo.members import DEMO_LIST, MEMBERS
from listhaven.lists.commands import cmd_post
from listhaven.lists.models import DkimKey
from listhaven.mail import dkim

RECORD = re.compile(r"^(\S+)\. IN TXT \( (.+) \)$", re.MULTILINE)
POST = (b"From: Ann Archer <ann@example.org>\nTo: harbour-dev@lists.example.org\nSubject: Hello\n"
        b"Message-ID: <demo-dkim@example.org>\n\nHello, list.\n")  # fmt: skip


def printed_records(text: str) -> dict[str, str]:
    """name -> TXT value, joined from the quoted strings as a resolver joins them."""
    return {name: "".join(re.findall(r'"([^"]*)"', value)) for name, value in RECORD.findall(text)}


def test_the_demo_lists_copies_in_the_outbox_are_signed_after_make_runs_setup(transactional_db, local_dns, tmp_path, capsys):
    # make run's steps after migrate: the demo list's people, then its domains' keys (demo-import only
    # adds archives: its lists are in the same domains).
    assert cmd_demo_members(argparse.Namespace()) == 0
    assert cmd_demo_dkim(argparse.Namespace()) == 0
    records = printed_records(capsys.readouterr().out)
    assert "listhaven._domainkey.lists.example.org" in records
    for name, value in records.items():
        local_dns.set(name, [value])
    # The demo's post, as make run prints it: `listhaven post harbour-dev@lists.example.org -`.
    message = tmp_path / "post.eml"
    message.write_bytes(POST)
    assert cmd_post(argparse.Namespace(list=DEMO_LIST, file=str(message), sender=None, json=False)) == 0
    outbox = tmp_path / "outbox"
    Worker(MaildirTransport(outbox)).run(threading.Event(), until_idle=True)
    copies = sorted((outbox / "new").iterdir())
    assert len(copies) == len(MEMBERS)
    for copy in copies:
        data = copy.read_bytes()
        assert b"\nDKIM-Signature:" in data or data.startswith(b"DKIM-Signature:")
        assert dkimpy.verify(data, dnsfunc=dkim.txt_lookup(local_dns.resolver())), copy.name


def test_a_second_run_keeps_each_domains_key_and_prints_no_new_record(transactional_db, capsys):
    assert cmd_demo_dkim(argparse.Namespace()) == 0
    first = dict(DkimKey.objects.values_list("domain", "private_key"))
    capsys.readouterr()
    assert cmd_demo_dkim(argparse.Namespace()) == 0
    again = capsys.readouterr().out
    assert dict(DkimKey.objects.values_list("domain", "private_key")) == first
    assert set(first) == {"lists.example.org", "lists.example.net", "lists.example.com"}
    assert printed_records(again) == {} and again.count("are signed") == 3
