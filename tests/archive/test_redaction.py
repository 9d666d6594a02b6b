"""Removing a message on request: gone from search, the row kept and marked."""

from __future__ import annotations

from django.contrib.admin.sites import site
from django.db import connection
from django.test import RequestFactory

from listhaven.archive.admin import redact
from listhaven.archive.ingest import store_batch
from listhaven.archive.models import Message
from listhaven.search.service import search_message_ids

from .conftest import make_message, parsed


def _fts_hits(mlist, word: str) -> list[int]:
    return search_message_ids([mlist], word)


def test_redaction_removes_the_message_from_search_and_keeps_the_rest(mlist, admin_user):
    store_batch(
        mlist,
        [
            parsed(make_message("keep@x", "Keep", "quokka shared\n", sender="Bo <bo@example.org>")),
            parsed(make_message("gone@x", "Gone", "quokka wombat secret\n", sender="Cy <cy@example.org>")),
        ],
    )
    gone = Message.objects.get(mailing_list=mlist, message_id="gone@x")
    keep = Message.objects.get(mailing_list=mlist, message_id="keep@x")
    assert gone.pk in _fts_hits(mlist, "wombat")

    request = RequestFactory().post("/admin/")
    request.user = admin_user
    request._messages = type("Store", (), {"add": lambda *a, **k: None})()
    model_admin = site._registry[Message]
    redact(model_admin, request, Message.objects.filter(pk=gone.pk))

    gone.refresh_from_db()
    assert gone.redacted
    assert _fts_hits(mlist, "wombat") == []
    assert keep.pk in _fts_hits(mlist, "quokka") and gone.pk not in _fts_hits(mlist, "quokka")
    if connection.vendor == "sqlite":  # the contentless FTS5 index is still consistent
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO search_fts(search_fts) VALUES ('integrity-check')")
