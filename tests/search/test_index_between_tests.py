"""The search index starts empty after a transactional test, as every model's table does.

Two tests that run in this order (both transactional, so pytest-django keeps the file's order): the
first commits a message with an attachment; Django's flush then empties archive_message, and the
second test's first message gets the same id (the ingest numbers from max(id) + 1) unless another
module's committed rows came first. On SQLite the index is an FTS5 table no flush knows: the first
message's row stayed, and under the same id the second test's message matched `has:attachment` and
the first one's words. tests/conftest.py empties it after each transactional test."""

from __future__ import annotations

import pytest
from django.db import connection

from listhaven.archive.ingest import store_batch
from listhaven.archive.search import search_message_ids
from listhaven.lists.directory import create_list
from listhaven.search.fts5 import TABLE
from tests.archive.conftest import parsed

pytestmark = pytest.mark.django_db(transaction=True)

def test_a_committed_message_with_an_attachment():
    mlist = create_list("first@lists.example.org")
    raw = (
        "From: Bob <bob@example.org>\nTo: first@lists.example.org\nSubject: plan\nMessage-ID: <plan@example.org>\n"
        "Date: Mon, 31 Dec 2018 12:00:00 +0000\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n"
        "--b\nContent-Type: text/plain\n\nThe wombat plan.\n--b\nContent-Type: application/pdf\n"
        "Content-Disposition: attachment; filename=plan.pdf\n\n%PDF\n--b--\n"
    )
    [pk] = store_batch(mlist, [parsed(raw.encode())]).stored
    assert search_message_ids([mlist], "wombat has:attachment") == [pk]


def test_the_next_tests_message_is_only_itself_in_the_index():
    mlist = create_list("second@lists.example.org")
    raw = (
        "From: Ann <ann@example.org>\nTo: second@lists.example.org\nSubject: late\nMessage-ID: <late@example.org>\n"
        "Date: Mon, 31 Dec 2018 21:30:00 -0500\nContent-Type: text/plain\n\nquokka evening\n"
    )
    [pk] = store_batch(mlist, [parsed(raw.encode())]).stored
    if connection.vendor == "sqlite":  # the flushed message has no row left under any id
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH 'wombat'")
            assert cursor.fetchall() == []
    assert search_message_ids([mlist], "quokka") == [pk]
    assert search_message_ids([mlist], "quokka has:attachment") == []
    assert search_message_ids([mlist], "wombat") == []
    assert search_message_ids([mlist], "quokka -has:attachment") == [pk]
