"""Personal data on the list server's side (lists/erasure.py): a purge reaches the list server's
own copies of a message and the outbox; `erase-address` takes an address out of every table
that holds it, on a real store, and the audit names it only by a keyed hash."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from listhaven.archive.compression import compress, decompress
from listhaven.archive.models import Message
from listhaven.archive.redaction import redact
from listhaven.cli import main
from listhaven.delivery.outbox import remove_copies
from listhaven.delivery.outgoing import Worker
from listhaven.delivery.transport import MaildirTransport
from listhaven.lists.directory import create_list
from listhaven.lists.erasure import address_hash, erase_address, purge_message
from listhaven.lists.members import add_member
from listhaven.lists.models import (
    Ban,
    BounceEvent,
    DeliveryBatch,
    DigestEntry,
    Erasure,
    HeldMessage,
    IncomingMail,
    Member,
    Outgoing,
    Pending,
    PostRecord,
    RequestDecision,
)
from listhaven.lists.posting import receive_post
from listhaven.lists.subscriptions import request_subscription
from tests.lists.messages import LIST, MEMBER, build

MARKER = "Plumbragonfly"  # only in the post that is purged
ERASED = "Erin.Quill@Example.ORG"  # as the person wrote it; stored with the domain lower-cased
STORED = "Erin.Quill@example.org"


@pytest.fixture
def mlist(transactional_db):  # the worker sets a PRAGMA, refused inside a transaction
    mlist = create_list(LIST)
    add_member(mlist, MEMBER)
    add_member(mlist, "bob@example.net")
    add_member(mlist, "dee@example.com")
    Member.objects.filter(address="dee@example.com").update(delivery_mode="mime_digest")
    return mlist


def _deliver(outbox: Path) -> None:
    Worker(MaildirTransport(outbox)).run(threading.Event(), until_idle=True)


def _outbox_text(outbox: Path) -> str:
    return "".join(p.read_bytes().decode("utf-8", "replace") for p in (outbox / "new").iterdir())


def test_a_purge_reaches_the_queue_the_digest_role_mail_held_copies_verdicts_and_the_outbox(mlist, tmp_path):
    outbox = tmp_path / "outbox"
    receive_post(mlist, build(body="Unrelated.\n", msgid="other@example.org", subject="Other"))
    _deliver(outbox)  # the other post has left: its copies stay in the outbox
    receive_post(mlist, build(body=f"My {MARKER} plan.\n", msgid="secret@example.org", subject=f"Plan {MARKER}"))
    _deliver(outbox)
    receive_post(mlist, build(body=f"Resent {MARKER}.\n", msgid="secret@example.org", sender="zed@elsewhere.example"))
    IncomingMail.objects.create(mailing_list=mlist, role="owner", recipient="garden-owner@lists.example.org",
                                data=compress(build(body=f"fwd {MARKER}\n", msgid="secret@example.org")), size=1)  # fmt: skip
    message = Message.objects.get(mailing_list=mlist, message_id="secret@example.org")
    assert Outgoing.objects.filter(message=message).exists() and DigestEntry.objects.filter(message=message).exists()
    assert HeldMessage.objects.filter(message_id="secret@example.org").exists()
    assert MARKER in _outbox_text(outbox)

    report = purge_message(message, "asked by the poster", by="test")
    removed_from_outbox = remove_copies(message_id=message.message_id, directory=outbox)

    assert report.changed and removed_from_outbox == 2  # ann's and bob's copies (dee takes the digest)
    assert not Outgoing.objects.filter(message=message).exists()
    assert not DigestEntry.objects.filter(message=message).exists()
    assert not HeldMessage.objects.filter(message_id="secret@example.org").exists()
    assert not IncomingMail.objects.exists()
    for record in PostRecord.objects.filter(message_id="secret@example.org"):
        assert (record.sender, record.subject) == ("", ""), record.verdict
    assert MARKER not in _outbox_text(outbox) and "Unrelated." in _outbox_text(outbox)
    assert Outgoing.objects.exclude(message=None).count() == 1  # the other post's row is untouched
    leftovers = [decompress(bytes(d)) for d in DigestEntry.objects.values_list("data", flat=True)]
    assert leftovers and not any(MARKER.encode() in d for d in leftovers)


def _erin_everywhere(mlist, other):
    """Erin posts, waits for a confirmation elsewhere, bounced once, is queued a copy of bob's post,
    has a held post and an account."""
    add_member(mlist, ERASED, role="member")
    add_member(mlist, ERASED, role="moderator")
    receive_post(mlist, build(body=f"Erin says {MARKER}.\n", msgid="erin@example.org", sender=f"Erin <{ERASED}>"))
    receive_post(mlist, build(body="Bob writes.\n", msgid="bob@example.net", sender="bob@example.net"))
    request_subscription(other, ERASED)
    receive_post(other, build(body="Held.\n", msgid="held@example.org", sender=ERASED, to=other.address))
    BounceEvent.objects.create(mailing_list=mlist, address=STORED, source="dsn", code=550, text="no such user")
    get_user_model().objects.create_user(STORED, email=STORED)


def test_erase_address_everywhere_purging_the_posts(mlist):
    other = create_list("plots@lists.example.org")
    _erin_everywhere(mlist, other)
    Ban.objects.create(mailing_list=other, pattern=STORED, reason="spam")
    assert Pending.objects.filter(address=STORED).exists() and HeldMessage.objects.filter(sender=STORED).exists()

    report = erase_address(ERASED, posts="purge", by="test")

    assert not Member.objects.filter(address__iexact=STORED).exists()
    assert not Pending.objects.filter(address__iexact=STORED).exists()
    assert not BounceEvent.objects.filter(address__iexact=STORED).exists()
    assert not HeldMessage.objects.filter(sender__iexact=STORED).exists()
    assert not get_user_model().objects.filter(email__iexact=STORED).exists()
    assert not PostRecord.objects.filter(sender__iexact=STORED).exists()
    assert Message.objects.get(message_id="erin@example.org").is_purged
    for row in Outgoing.objects.all():
        assert STORED.lower() not in [r.lower() for r in row.recipients], row.kind
    for batch in DeliveryBatch.objects.all():
        assert STORED.lower() not in [r.lower() for r in batch.recipients + batch.deferred]
    assert Ban.objects.filter(pattern=STORED).exists() and report.counts["bans kept"] == 1
    assert Member.objects.filter(address="bob@example.net").exists()  # nobody else touched
    assert not Message.objects.get(message_id="bob@example.net").is_hidden
    [audit] = Erasure.objects.all()
    assert audit.address_hash == address_hash(STORED) == address_hash(ERASED.upper())
    assert STORED.lower() not in json.dumps([audit.scope, audit.counts, audit.erased_by]).lower()
    assert (audit.counts["memberships"], audit.counts["archived posts purged"], audit.counts["accounts"]) == (2, 1, 1)


def test_an_address_change_asked_for_by_the_erased_address_goes_with_it(mlist):
    """A member asked to move to another address and is erased before it confirmed: the request, which
    names the erased address (its payload), goes too, and confirming it later moves nothing."""
    from listhaven.lists.subscriptions import request_address_change

    member = add_member(mlist, ERASED, role="member")
    request_address_change(mlist, member, "erin.new@example.net", everywhere=True)
    assert Pending.objects.filter(purpose="change_address", address="erin.new@example.net").exists()
    erase_address(ERASED, by="test")
    assert not [p for p in Pending.objects.all() if STORED.lower() in json.dumps(p.payload).lower()]


def test_erase_address_on_one_list_keeps_the_rest_and_hides_by_default(mlist):
    other = create_list("plots@lists.example.org")
    _erin_everywhere(mlist, other)
    add_member(other, ERASED)
    for where in (mlist, other):  # an owner's decision on a request of hers, on each list
        RequestDecision.objects.create(mailing_list=where, address=STORED, asks_to="join", decision="discard",
                                       outcome="discarded by an owner", decided_by="owner@example.org")  # fmt: skip

    report = erase_address(ERASED, mlist=mlist)

    assert report.lists == [mlist.name] and report.posts == "hide"
    assert not Member.objects.filter(mailing_list=mlist, address=STORED).exists()
    assert Member.objects.filter(mailing_list=other, address=STORED).exists()
    assert Pending.objects.filter(mailing_list=other, address=STORED).exists()
    assert list(RequestDecision.objects.values_list("mailing_list", flat=True)) == [other.pk]
    assert report.counts["owners' decisions on its requests"] == 1
    assert get_user_model().objects.filter(email=STORED).exists()
    erin = Message.objects.get(message_id="erin@example.org")
    assert erin.is_hidden and not erin.is_purged  # hidden: the raw bytes stay for the owners
    assert Erasure.objects.get().scope == mlist.name


def test_an_erased_owner_is_no_longer_named_as_who_decided_removed_or_erased(mlist):
    # Erin ran the lists: her account (named by its address) decided requests, removed a post and
    # erased someone. Those rows are the lists' history and stay; they no longer name her.
    other = create_list("plots@lists.example.org")
    for where in (mlist, other):
        RequestDecision.objects.create(mailing_list=where, address="ann@example.net", asks_to="join", decision="approve",
                                       outcome="subscribed", decided_by=STORED)  # fmt: skip
    receive_post(mlist, build(body="Spam.\n", msgid="spam@example.org", sender="bob@example.net"))
    redact(Message.objects.get(message_id="spam@example.org"), "spam", by=STORED)
    erase_address("zed@example.com", mlist=mlist, by=STORED)

    erase_address(ERASED, mlist=mlist)

    assert dict(RequestDecision.objects.values_list("mailing_list", "decided_by")) == {mlist.pk: "erased", other.pk: STORED}
    assert Message.objects.get(message_id="spam@example.org").redacted_by == "erased"

    erase_address(ERASED)

    assert list(RequestDecision.objects.values_list("decided_by", flat=True)) == ["erased", "erased"]
    assert not Erasure.objects.filter(erased_by__iexact=STORED).exists()
    assert Erasure.objects.count() == 3  # the audit rows stay


def test_the_outbox_loses_every_copy_to_or_from_the_address(mlist, tmp_path, capsys, settings):
    settings.DATA_DIR = str(tmp_path)
    _erin_everywhere(mlist, create_list("plots@lists.example.org"))
    _deliver(tmp_path / "outbox")
    assert STORED in _outbox_text(tmp_path / "outbox") and "Bob writes." in _outbox_text(tmp_path / "outbox")

    assert main(["erase-address", ERASED, "--posts", "purge", "--json"]) == 0

    out = json.loads(capsys.readouterr().out)
    assert out["counts"]["outbox copies"] >= 2 and STORED.lower() not in json.dumps(out).lower()
    left = _outbox_text(tmp_path / "outbox")
    assert STORED.lower() not in left.lower() and "Bob writes." in left  # bob's copies to the others stay


def _run(data: Path, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "listhaven", "--data-dir", str(data), *args], capture_output=True,
                          timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode()


@pytest.mark.sqlite_only(reason="scans the SQLite file and its WAL for the address")
def test_the_command_leaves_no_byte_of_the_address_in_the_database_file(tmp_path):
    """A real store, through the command line: a member who posted is erased with --posts purge;
    then neither the SQLite file nor its WAL holds the address (lower-cased, as any column might)."""
    data, post = tmp_path / "store", tmp_path / "post.eml"
    post.write_bytes(build(body=f"Erin says {MARKER}.\n", msgid="erin@example.org", sender=f"Erin <{ERASED}>"))
    _run(data, "list", "create", LIST)
    _run(data, "members", "add", LIST, ERASED, "bob@example.net")
    _run(data, "post", LIST, str(post))
    database = data / "listhaven.sqlite3"

    def stored() -> bytes:
        with sqlite3.connect(database) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return b"".join(Path(f"{database}{s}").read_bytes() for s in ("", "-wal") if Path(f"{database}{s}").exists())

    assert STORED.lower().encode() in stored().lower()
    out = _run(data, "erase-address", ERASED, "--posts", "purge")
    assert "memberships: 1" in out and "archived posts purged: 1" in out
    assert STORED.lower().encode() not in stored().lower()
    assert MARKER.lower().encode() not in stored().lower()


def test_anonymise_replaces_the_address_in_every_message_that_names_it_and_keeps_the_text(mlist):
    from listhaven.archive.anonymisation import REPLACEMENT
    from listhaven.archive.models import RawMessage
    from listhaven.archive.search import search_message_ids

    add_member(mlist, ERASED)
    receive_post(mlist, build(body=f"Erin says {MARKER}.\n", msgid="erin@example.org", sender=f"Erin <{ERASED}>"))
    reply = build(body=f"On Monday, {STORED.lower()} wrote:\n> Erin says\nAgreed.\n", msgid="bob@example.net",
                  sender="Bob <bob@example.net>", headers={"Cc": f"Erin <{ERASED}>", "In-Reply-To": "<erin@example.org>"})
    receive_post(mlist, reply)
    assert search_message_ids(mlist, f"from:{STORED}")

    report = erase_address(ERASED, posts="anonymise")

    assert report.counts["archived messages with the address replaced"] == 2
    for message in Message.objects.filter(mailing_list=mlist):
        assert not message.is_hidden
        fields = json.dumps([message.sender_email, message.subject, message.body_text, message.recipients]).lower()
        assert STORED.lower() not in fields and REPLACEMENT in fields
        raw = decompress(bytes(RawMessage.objects.get(message=message).data)).lower()
        assert STORED.lower().encode() not in raw
    assert "Agreed." in Message.objects.get(message_id="bob@example.net").body_text
    assert "Erin says" in Message.objects.get(message_id="erin@example.org").body_text
    assert len(search_message_ids(mlist, MARKER)) == 1  # the text is still found
    assert not search_message_ids(mlist, f"from:{STORED}") and not search_message_ids(mlist, "quill")
    assert not Member.objects.filter(address=STORED).exists()


def test_a_batch_a_worker_holds_keeps_its_places_and_an_idle_one_drops_the_address(mlist):
    from datetime import timedelta

    from django.utils import timezone

    add_member(mlist, ERASED)
    receive_post(mlist, build(body="Bob writes.\n", msgid="bob@example.net", sender="bob@example.net"))
    [batch] = DeliveryBatch.objects.all()
    assert STORED in batch.recipients
    place = batch.recipients.index(STORED)
    idle = DeliveryBatch.objects.create(outgoing=batch.outgoing, recipients=list(batch.recipients),
                                        next_attempt_at=timezone.now())  # fmt: skip
    DeliveryBatch.objects.filter(pk=batch.pk).update(claimed_by="host:1:x", lease_until=timezone.now() + timedelta(minutes=5))

    erase_address(ERASED, mlist=mlist)

    held, idle = DeliveryBatch.objects.get(pk=batch.pk), DeliveryBatch.objects.get(pk=idle.pk)
    assert len(held.recipients) == len(batch.recipients) and held.recipients[place] == "erased"
    assert STORED not in idle.recipients and len(idle.recipients) == len(batch.recipients) - 1
