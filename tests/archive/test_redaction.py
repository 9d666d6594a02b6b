"""Removing a message on request (archive/redaction.py): gone from search, the row kept and marked;
the one rule of what readers see (`Message.objects.visible()`) in its ORM and SQL forms."""

from __future__ import annotations

from django.contrib.admin.sites import site
from django.db import connection
from django.test import RequestFactory

from listhaven.archive.admin import redact
from listhaven.archive.ingest import store_batch
from listhaven.archive.models import Message, visible_sql
from listhaven.archive.redaction import redact as redact_message
from listhaven.archive.search import search_message_ids

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
    assert gone.is_hidden and gone.redacted_by == admin_user.get_username() and gone.redacted_at is not None
    assert _fts_hits(mlist, "wombat") == []
    assert keep.pk in _fts_hits(mlist, "quokka") and gone.pk not in _fts_hits(mlist, "quokka")
    if connection.vendor == "sqlite":  # the contentless FTS5 index is still consistent
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO search_fts(search_fts) VALUES ('integrity-check')")


def test_the_service_keeps_who_when_and_why_and_the_raw_bytes(mlist):
    store_batch(mlist, [parsed(make_message("gone@x", "Gone", "wombat\n")), parsed(make_message("keep@x", "Keep", "wombat\n"))])
    gone = Message.objects.get(mailing_list=mlist, message_id="gone@x")
    done = redact_message(gone, "  asked by the poster ", by="owner")
    assert done.changed and done.message.redaction_reason == "asked by the poster"
    stored = Message.objects.select_related("raw").get(pk=gone.pk)
    assert stored.is_hidden and stored.redacted_by == "owner" and stored.raw.data  # bytes kept for the owners
    assert list(Message.objects.visible().filter(mailing_list=mlist).values_list("message_id", flat=True)) == ["keep@x"]
    assert list(Message.objects.hidden().filter(mailing_list=mlist).values_list("message_id", flat=True)) == ["gone@x"]
    assert _fts_hits(mlist, "wombat") == [Message.objects.get(mailing_list=mlist, message_id="keep@x").pk]
    assert not redact_message(gone, "again").changed
    assert Message.objects.get(pk=gone.pk).redaction_reason == "asked by the poster"


def test_the_sql_form_of_the_rule_says_what_the_queryset_says(mlist):
    store_batch(mlist, [parsed(make_message(f"m{n}@x", f"M{n}", "text\n")) for n in range(4)])
    for message in Message.objects.filter(message_id__in=["m1@x", "m3@x"]):
        redact_message(message)
    table = Message._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {table} m WHERE {visible_sql('m')} AND mailing_list_id = %s ORDER BY id", [mlist.pk])
        by_sql = [row[0] for row in cursor.fetchall()]
    by_orm = list(Message.objects.visible().filter(mailing_list=mlist).order_by("id").values_list("id", flat=True))
    assert by_sql == by_orm and len(by_orm) == 2
    flags = dict(Message.objects.with_hidden().filter(mailing_list=mlist).values_list("message_id", "hidden"))
    assert flags == {"m0@x": False, "m1@x": True, "m2@x": False, "m3@x": True}
