"""The Message-ID a store gives a message that has none: made in the store's own domain, kept for life.

A new store derives ids in ``derived.listhaven.invalid``. A store made before the domain was recorded holds ids in
``synthetic.listhaven.invalid``; migration archive.0009 finds them and records that domain, so re-importing the same
mail still finds it stored and the public link of each such message stays the same.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from listhaven.archive.compression import compress
from listhaven.archive.importer import import_bytes
from listhaven.archive.ingest import ImportOutcome
from listhaven.mail.ids import message_id_hash
from listhaven.mail.message import SourceMessage
from listhaven.mail.parse import DEFAULT_LIMITS, parse_message

from .conftest import make_message

BEFORE_RECORD = ("archive", "0008_message_purged_at")
LEGACY = "synthetic.listhaven.invalid"
NO_ID = make_message(None, subject="A message without an id", body="Nobody gave this one a Message-ID.\n")
ALL_APPS = [app.split(".apps.")[0] for app in settings.INSTALLED_APPS]


def test_a_new_store_derives_ids_in_the_neutral_domain_and_finds_them_again(mlist, client):
    from listhaven.archive.models import Message, StoreIdentity

    assert StoreIdentity.current_derived_id_domain() == "derived.listhaven.invalid"
    outcome, _ = import_bytes(mlist, NO_ID, origin="first")
    assert outcome is ImportOutcome.STORED
    stored = Message.objects.get(mailing_list=mlist)
    assert stored.message_id_synthetic and stored.message_id.endswith("@derived.listhaven.invalid")
    assert stored.public_id == message_id_hash(stored.message_id)
    # The same bytes again, as LMTP would carry them (CRLF): found, not stored twice.
    again, _ = import_bytes(mlist, NO_ID.replace(b"\n", b"\r\n"), origin="again")
    assert again is ImportOutcome.DUPLICATE
    assert Message.objects.filter(mailing_list=mlist).count() == 1
    assert client.get(f"/{mlist.name}/message/{stored.public_id}/").status_code == 200


def _migrate_to(archive_node=None):
    """Every app at its newest migration, archive at `archive_node` (its newest when None); the models then."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    targets = executor.loader.graph.leaf_nodes()
    if archive_node:
        targets = [node for node in targets if node[0] != "archive"] + [archive_node]
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _old_store(apps, raw: bytes, domain: str) -> str:
    """One list holding `raw` as the code before archive.0009 stored it (its id derived in `domain`)."""
    parsed = parse_message(SourceMessage(raw, "old#1"), DEFAULT_LIMITS, domain)
    mailing_list = apps.get_model("lists", "MailingList").objects.create(
        name="garden", address="garden@lists.example.org", subject_tag="[Garden]", next_archive_number=1,
    )
    public_id = message_id_hash(parsed.message_id)
    thread = apps.get_model("archive", "Thread").objects.create(
        mailing_list=mailing_list, public_id=public_id, subject=parsed.subject, message_count=1,
        first_date=parsed.date, last_date=parsed.date,
    )
    message = apps.get_model("archive", "Message").objects.create(
        mailing_list=mailing_list, thread=thread, public_id=public_id, message_id=parsed.message_id,
        message_id_synthetic=parsed.message_id_derived, content_hash=parsed.content_hash, size=parsed.size,
        sender_name=parsed.sender.name, sender_email=parsed.sender.email, subject=parsed.subject,
        subject_normalised=parsed.subject_normalised, date=parsed.date or datetime(2024, 3, 1, tzinfo=UTC),
        body_text=parsed.body_text, archive_number=0, imported_at=datetime(2024, 3, 2, tzinfo=UTC),
    )
    apps.get_model("archive", "RawMessage").objects.create(message=message, data=compress(raw))
    apps.get_model("archive", "ThreadRef").objects.create(
        mailing_list=mailing_list, message_id=parsed.message_id, thread=thread
    )
    thread.root_message = message
    thread.save()
    return parsed.message_id


def _store_from_before_the_record(raw: bytes, domain: str) -> str:
    from listhaven.archive.models import Message
    from listhaven.search import backend_for
    from listhaven.search.documents import document_for_message

    try:
        message_id = _old_store(_migrate_to(BEFORE_RECORD), raw, domain)
    finally:
        _migrate_to()  # forward to the newest state, also when the old store could not be made
    # Its search row, as the ingest of that time wrote it (the search table is no model, so not in `apps`).
    with connection.cursor() as cursor:
        backend_for(connection).index(cursor, [document_for_message(Message.objects.get(message_id=message_id))])
    return message_id


# Transactional: SQLite's schema editor cannot run inside the test's transaction (as test_mailinglist_migration).
@pytest.mark.django_db(transaction=True, available_apps=ALL_APPS)
def test_a_store_holding_legacy_ids_keeps_deriving_them_so_reimports_dedupe_and_links_stay(client):
    from listhaven.archive.models import Message, StoreIdentity
    from listhaven.archive.reindex import reindex_list
    from listhaven.lists.models import MailingList

    old_id = _store_from_before_the_record(NO_ID, LEGACY)
    assert old_id.endswith("@" + LEGACY)
    assert StoreIdentity.current_derived_id_domain() == LEGACY
    garden = MailingList.objects.get(name="garden")
    link = f"/garden/message/{message_id_hash(old_id)}/"
    assert client.get(link).status_code == 200

    outcome, _ = import_bytes(garden, NO_ID, origin="re-import")
    assert outcome is ImportOutcome.DUPLICATE
    reindex_list(garden)
    stored = Message.objects.get(mailing_list=garden)
    assert (stored.message_id, stored.public_id) == (old_id, message_id_hash(old_id))
    assert client.get(link).status_code == 200
    # A new id-less message of this store is derived in the same, recorded domain.
    other = NO_ID.replace(b"Nobody gave", b"Still nobody gave")
    assert import_bytes(garden, other, origin="new")[0] is ImportOutcome.STORED
    assert Message.objects.filter(mailing_list=garden, message_id__endswith="@" + LEGACY).count() == 2


@pytest.mark.django_db(transaction=True, available_apps=ALL_APPS)
def test_a_store_from_before_without_derived_ids_takes_the_neutral_domain():
    from listhaven.archive.models import StoreIdentity

    with_id = make_message("seed-swap@example.org", subject="Seed swap")
    _store_from_before_the_record(with_id, LEGACY)
    assert StoreIdentity.current_derived_id_domain() == "derived.listhaven.invalid"
