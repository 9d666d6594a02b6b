"""Purging a message leaves no byte of it in the store: the SQLite database file and its WAL are
scanned for a marker that only the purged message held (its subject, body, poster and
attachment), after the purge and a checkpoint. Run through the command line on a real store."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from listhaven.mail.mboxwrite import write_mboxrd

LISTHAVEN = [sys.executable, "-m", "listhaven"]
MARKER = "Qzxvbrumblefrotz"  # one word: it is a token of the full-text index too
LIST = "purgery@lists.example.org"


def run(data: Path, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([*LISTHAVEN, "--data-dir", str(data), *args], capture_output=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr.decode()
    return done


def _message(msgid: str, subject: str, body: str, sender: str, refs: str = "") -> bytes:
    head = f"From: {sender}\nTo: {LIST}\nSubject: {subject}\nDate: Mon, 04 Mar 2019 10:00:00 +0000\nMessage-ID: <{msgid}>\n"
    if refs:
        head += f"In-Reply-To: <{refs}>\nReferences: <{refs}>\n"
    if msgid != "purged@example.org":
        return (head + f"\n{body}").encode()
    attachment = f"{MARKER} attachment bytes\n".encode().hex()  # hex: no base64 can hide the marker by chance
    return (
        head + "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain\n\n"
        f"{body}\n--B\nContent-Type: text/plain; name={MARKER}.txt\nContent-Disposition: attachment; "
        f"filename={MARKER}.txt\n\n{attachment}\n--B--\n"
    ).encode()


def _store_bytes(data: Path) -> bytes:
    found = b""
    for suffix in ("", "-wal", "-shm", "-journal"):
        path = data / f"listhaven.sqlite3{suffix}"
        if path.exists():
            found += path.read_bytes()
    return found


def _checkpoint(data: Path) -> None:
    with sqlite3.connect(data / "listhaven.sqlite3") as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


@pytest.mark.sqlite_only(reason="scans the SQLite file and its WAL for the purged bytes")
def test_purge_leaves_no_byte_of_the_message_in_the_database_or_its_wal(tmp_path):
    data = tmp_path / "store"
    mbox = tmp_path / "in.mbox"
    messages = [
        _message("keep@example.org", "Plans", "Where shall we meet?", "Ann <ann@example.org>"),
        _message("purged@example.org", f"Re: Plans {MARKER}", f"My {MARKER} idea.", f"{MARKER} Sam <sam@{MARKER.lower()}.example>",
                 refs="keep@example.org"),
        _message("after@example.org", "Re: Plans", "By the lake.", "Bob <bob@example.net>", refs="keep@example.org"),
    ]  # fmt: skip
    with mbox.open("wb") as out:
        write_mboxrd([(raw, None) for raw in messages], out)
    run(data, "import", LIST, str(mbox), "--create")
    _checkpoint(data)
    assert MARKER.encode() in _store_bytes(data) or MARKER.lower().encode() in _store_bytes(data)
    with sqlite3.connect(data / "listhaven.sqlite3") as db:
        public_id = db.execute("SELECT public_id FROM archive_message WHERE message_id = 'purged@example.org'").fetchone()[0]

    run(data, "redact", "purgery", public_id, "--purge", "--reason", "asked by the poster")
    _checkpoint(data)
    store = _store_bytes(data).lower()
    assert MARKER.lower().encode() not in store
    assert MARKER.lower().encode("utf-16-le") not in store

    with sqlite3.connect(data / "listhaven.sqlite3") as db:
        row = db.execute(
            "SELECT redacted, purged_at IS NOT NULL, subject, body_text, sender_email, redaction_reason"
            " FROM archive_message WHERE public_id = ?", (public_id,)
        ).fetchone()  # fmt: skip
        assert row == (1, 1, "", "", "", "asked by the poster")
        assert db.execute("SELECT count(*) FROM archive_rawmessage").fetchone()[0] == 2
        assert db.execute("SELECT count(*) FROM archive_attachment").fetchone()[0] == 0
        db.execute("INSERT INTO search_fts(search_fts) VALUES ('integrity-check')")
    found = run(data, "search", "purgery", "lake", "--json").stdout.decode()
    assert "after@example.org" in found or "By the lake" in found


def test_purged_links_answer_gone_and_a_hidden_messages_raw_is_kept_for_owners(client, db, django_user_model):
    from listhaven.archive.models import Message
    from listhaven.cli import main
    from listhaven.lists.directory import create_list
    from listhaven.lists.models import Member
    from tests.web.conftest import make_message, store

    mlist = create_list("cases@lists.example.org")
    store(mlist, [make_message("one@example.org", body="First.\n"), make_message("two@example.org", body="Second.\n")])
    one, two = (Message.objects.get(message_id=m) for m in ("one@example.org", "two@example.org"))
    assert main(["redact", "cases", one.public_id, "--reason", "spam"]) == 0
    assert main(["redact", "cases", two.public_id, "--purge"]) == 0

    hidden = client.get(f"/cases/message/{one.public_id}/")
    assert hidden.status_code == 200 and "Reason: spam" in hidden.content.decode()
    assert client.get(f"/cases/message/{one.public_id}/raw").status_code == 410
    for suffix in ("", "raw", "mbox"):
        assert client.get(f"/cases/message/{two.public_id}/{suffix}").status_code == 410
    assert client.get(f"/api/lists/cases/messages/{two.public_id}").status_code == 410

    owner = django_user_model.objects.create_user("owner@example.org", email="owner@example.org")
    Member.objects.create(mailing_list=mlist, address="owner@example.org", role="owner")
    client.force_login(owner)
    raw = client.get(f"/cases/message/{one.public_id}/raw")
    assert raw.status_code == 200 and b"First." in raw.content and "private" in raw["Cache-Control"]
    assert client.get(f"/cases/message/{two.public_id}/raw").status_code == 410


def test_an_owner_hides_and_purges_from_the_manage_pages_with_csrf(db, django_user_model):
    from django.test import Client

    from listhaven.archive.models import Message
    from listhaven.lists.directory import create_list
    from listhaven.lists.models import Member
    from tests.web.conftest import make_message, store

    mlist = create_list("cases@lists.example.org")
    store(mlist, [make_message("one@example.org", body="First.\n")])
    one = Message.objects.get(message_id="one@example.org")
    url = f"/manage/cases/message/{one.public_id}/remove/"
    member = django_user_model.objects.create_user("m@example.org", email="m@example.org")
    Member.objects.create(mailing_list=mlist, address="m@example.org", role="member")
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    assert client.post(url, {"reason": "x"}).status_code == 403  # no CSRF token, and no right either
    owner = django_user_model.objects.create_user("o@example.org", email="o@example.org")
    Member.objects.create(mailing_list=mlist, address="o@example.org", role="owner")
    client.force_login(owner)
    assert client.post(url, {"reason": "x"}).status_code == 403  # no CSRF token
    page = client.get(url)
    token = page.cookies["csrftoken"].value
    done = client.post(url, {"reason": "off topic", "csrfmiddlewaretoken": token})
    assert done.status_code == 302
    one.refresh_from_db()
    assert one.is_hidden and not one.is_purged and one.redaction_reason == "off topic" and one.redacted_by == "o@example.org"
    client.post(url, {"purge": "1", "csrfmiddlewaretoken": token})
    one.refresh_from_db()
    assert one.is_purged and Client().get(f"/cases/message/{one.public_id}/").status_code == 410
