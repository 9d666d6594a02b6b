"""Real public archives from ../shared/corpora (skipped cleanly when that folder is absent)."""

from __future__ import annotations

import json
import mailbox
import re
import sqlite3
import subprocess
import sys
from collections import Counter
from email.parser import BytesHeaderParser

import pytest

from listhaven.archive.importer import import_path
from listhaven.archive.models import Message
from listhaven.lists.directory import create_list
from listhaven.mail.ids import normalise_message_id
from listhaven.mail.sources import open_source
from tests.conftest import CORPORA, corpus_path


@pytest.fixture
def numpy_list(db):
    mlist = create_list("numpy-discussion@scipy.org")
    summary = import_path(mlist, str(corpus_path("numpy-discussion-2001-November.txt")), workers=0)
    return mlist, summary


def test_pipermail_archive_accounts_for_every_message(numpy_list):
    _, summary = numpy_list
    assert summary.read == 164
    assert summary.stored + summary.duplicates + summary.quarantined == 164
    assert summary.quarantined == 0


def test_pipermail_addresses_and_dates_are_real(numpy_list):
    mlist, _ = numpy_list
    messages = Message.objects.filter(mailing_list=mlist)
    senders = set(messages.values_list("sender_email", flat=True))
    assert {"jjl@pobox.com", "hungjunglu@yahoo.com"} <= senders
    assert not any(" at " in s for s in senders)
    assert Message.objects.get(mailing_list=mlist, sender_email="jjl@pobox.com", subject__contains="Numeric2").sender_name == "John J. Lee"
    for date, source in messages.values_list("date", "date_source"):
        assert (date.year, date.month) == (2001, 11) and source == "date"


def test_pipermail_replies_share_their_parents_thread(numpy_list):
    mlist, _ = numpy_list
    text = corpus_path("numpy-discussion-2001-November.txt").read_text("latin-1")
    pairs = re.findall(r"In-Reply-To: <([^>]+)>\nMessage-ID: <([^>]+)>", text)
    thread_of = dict(Message.objects.filter(mailing_list=mlist).values_list("message_id", "thread_id"))
    checked = 0
    for parent, child in pairs:
        if parent in thread_of:
            assert thread_of[parent] == thread_of[child], (parent, child)
            checked += 1
    assert checked >= 10  # the check itself saw enough replies to mean something


@pytest.mark.parametrize("name", sorted(p.name for p in (CORPORA / "odd-mboxes").glob("*.mbox")) or ["absent"])
def test_odd_mboxes_import_without_losing_anything(db, name):
    path = corpus_path(f"odd-mboxes/{name}")
    try:
        expected = len(mailbox.mbox(str(path)))
    except Exception:  # noqa: BLE001 - the stdlib reader itself fails on some of these files
        expected = None
    mlist = create_list(f"odd-{name.split('.')[0].replace('_', '-')}@example.org")
    summary = import_path(mlist, str(path), workers=0)
    assert summary.read > 0
    assert summary.stored + summary.duplicates + summary.quarantined == summary.read
    if expected is not None:
        assert summary.read == expected
    assert Message.objects.filter(mailing_list=mlist).count() == summary.stored


@pytest.mark.corpus
@pytest.mark.sqlite_only(reason="counts rows in the SQLite file the command wrote (ltp on PostgreSQL: make bench)")
def test_ltp_corpus_accounts_for_all_messages_and_reimport_stores_nothing(tmp_path):
    path = corpus_path("ltp.mbox.zst")
    cmd = [sys.executable, "-m", "listhaven", "--data-dir", str(tmp_path), "import", "ltp@lists.linux.it", str(path), "--json"]
    first = json.loads(subprocess.run([*cmd, "--create"], capture_output=True, check=True, timeout=600).stdout)[0]
    assert first["read"] == 35118
    assert first["stored"] + first["duplicates"] + first["quarantined"] == 35118
    copies = Counter(
        normalise_message_id(BytesHeaderParser().parsebytes(source.raw).get("Message-ID"))
        for source in open_source(path)
    )
    reused = {msgid for msgid, n in copies.items() if msgid and n > 1}
    extra_copies = sum(n - 1 for msgid, n in copies.items() if msgid in reused)
    with sqlite3.connect(tmp_path / "listhaven.sqlite3") as db:
        stored = db.execute("SELECT count(*) FROM archive_message").fetchone()[0]
        synthetic = db.execute("SELECT count(*) FROM archive_message WHERE message_id_synthetic").fetchone()[0]
        indexed = db.execute("SELECT count(*) FROM search_fts").fetchone()[0]
        rows = db.execute(
            f"SELECT message_id, msgid_conflict FROM archive_message WHERE message_id IN ({','.join('?' * len(reused))})",
            sorted(reused),
        ).fetchall()
    assert stored == indexed == first["stored"]
    assert synthetic == copies[None] == 10  # the corpus has 10 messages without a Message-ID
    # every extra copy of a reused Message-ID is an exact duplicate, or stored beside the first and flagged
    stored_extra = len(rows) - len({msgid for msgid, _ in rows})
    assert first["duplicates"] + stored_extra == extra_copies
    flagged = {msgid for msgid, conflict in rows if conflict}
    assert all(conflict for msgid, conflict in rows if msgid in flagged)
    assert len(flagged) == sum(1 for msgid in reused if sum(1 for m, _ in rows if m == msgid) > 1)
    second = json.loads(subprocess.run(cmd, capture_output=True, check=True, timeout=600).stdout)[0]
    assert second["stored"] == 0 and second["duplicates"] + second["quarantined"] == 35118
