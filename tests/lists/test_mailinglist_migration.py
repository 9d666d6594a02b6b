"""A store made before MailingList moved from `archive` to `lists` migrates with its lists and messages intact.

The test database is taken back to the last migration before the move (archive.0005), filled through the models
of that state (as the code of that time stored its rows: `archive.MailingList` in `archive_mailinglist`), then
migrated forward; the lists, their settings, their messages and raw bytes, and the pages must be as before.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from listhaven.archive.compression import compress, decompress
from listhaven.mail.ids import message_id_hash

BEFORE_MOVE = [("archive", "0005_message_redaction")]

ROOT_RAW = (
    b"From: Alice Example <alice@example.org>\nTo: garden@lists.example.org\nSubject: [Garden] Seed swap\n"
    b"Date: Sat, 02 Mar 2024 10:00:00 +0000\nMessage-ID: <swap@example.org>\n\nBring your seeds on Sunday.\n"
)
REPLY_RAW = (
    b"From: Bob Example <bob@example.org>\nTo: garden@lists.example.org\nSubject: Re: [Garden] Seed swap\n"
    b"Date: Sat, 02 Mar 2024 11:00:00 +0000\nMessage-ID: <swap-reply@example.org>\n"
    b"In-Reply-To: <swap@example.org>\nReferences: <swap@example.org>\n\nI will bring beans.\n"
)


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    return executor.loader.project_state(targets).apps if targets else None


def _old_store(apps) -> dict[str, int]:
    """Two lists as the code before the move stored them: a public one with a thread of two, a private one."""
    old_list = apps.get_model("archive", "MailingList")
    thread_model = apps.get_model("archive", "Thread")
    message_model = apps.get_model("archive", "Message")
    raw_model = apps.get_model("archive", "RawMessage")
    ref_model = apps.get_model("archive", "ThreadRef")
    garden = old_list.objects.create(
        name="garden", address="garden@lists.example.org", display_name="Garden", description="Allotment talk",
        subject_tag="[Garden]", obfuscate_addresses=True, next_archive_number=2,
    )
    secret = old_list.objects.create(
        name="board", address="board@lists.example.org", subject_tag="[Board]", is_private=True,
        obfuscate_addresses=False, next_archive_number=1,
    )
    start = datetime(2024, 3, 2, 10, tzinfo=UTC)
    thread = thread_model.objects.create(
        mailing_list=garden, public_id=message_id_hash("swap@example.org"), subject="[Garden] Seed swap",
        subject_normalised="seed swap", message_count=2, participant_count=2,
        participants=["Alice Example", "Bob Example"], first_date=start, last_date=start.replace(hour=11),
    )
    root = None
    for n, (msgid, raw, sender, body) in enumerate([
        ("swap@example.org", ROOT_RAW, "alice", "Bring your seeds on Sunday.\n"),
        ("swap-reply@example.org", REPLY_RAW, "bob", "I will bring beans.\n"),
    ]):
        message = message_model.objects.create(
            mailing_list=garden, thread=thread, public_id=message_id_hash(msgid), message_id=msgid,
            content_hash=f"hash{n}", in_reply_to="" if root is None else root.message_id,
            references="" if root is None else root.message_id, sender_name=f"{sender.capitalize()} Example",
            sender_email=f"{sender}@example.org", subject=("Re: " if n else "") + "[Garden] Seed swap",
            subject_normalised="seed swap", date=start.replace(hour=10 + n), body_text=body, size=len(raw),
            parent=root, thread_depth=n, thread_order=n, archive_number=n,
        )
        raw_model.objects.create(message=message, data=compress(raw))
        ref_model.objects.create(mailing_list=garden, message_id=msgid, thread=thread)
        root = root or message
    thread.root_message = root
    thread.save()
    board_thread = thread_model.objects.create(mailing_list=secret, public_id="BOARDTHREAD", subject="Minutes")
    message_model.objects.create(
        mailing_list=secret, thread=board_thread, public_id=message_id_hash("minutes@example.org"),
        message_id="minutes@example.org", content_hash="hash-board", sender_name="Carol", sender_email="carol@example.org",
        subject="[Board] Minutes", date=start, body_text="Private minutes.\n", archive_number=0,
    )
    return {"garden": garden.pk, "board": secret.pk}


# Transactional: SQLite's schema editor cannot run inside the test's transaction. All apps named so that the
# flush after the test cascades: on PostgreSQL the search table (not a model) references archive_message.
# available_apps takes app names; INSTALLED_APPS may name an AppConfig (the admin's SimpleAdminConfig).
@pytest.mark.django_db(transaction=True, available_apps=[app.split(".apps.")[0] for app in settings.INSTALLED_APPS])
def test_a_store_from_before_the_move_keeps_its_lists_messages_and_pages(client):
    from django.contrib.contenttypes.models import ContentType

    from listhaven.archive.importer import import_bytes
    from listhaven.archive.models import Message, RawMessage, Thread
    from listhaven.lists.models import MailingList

    try:
        old_apps = _migrate(BEFORE_MOVE)
        with connection.cursor() as cursor:
            tables = connection.introspection.table_names(cursor)
        assert "archive_mailinglist" in tables and "lists_mailinglist" not in tables
        pks = _old_store(old_apps)
        old_type = ContentType.objects.get_or_create(app_label="archive", model="mailinglist")[0].pk
    finally:
        _migrate(None)  # forward to the newest state, also when the old store could not be made

    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    assert "lists_mailinglist" in tables and "archive_mailinglist" not in tables
    garden = MailingList.objects.get(name="garden")
    board = MailingList.objects.get(name="board")
    assert (garden.pk, board.pk) == (pks["garden"], pks["board"])
    assert (garden.address, garden.title, garden.description, garden.subject_tag) == (
        "garden@lists.example.org", "Garden", "Allotment talk", "[Garden]",
    )
    assert (garden.is_private, garden.obfuscate_addresses, board.is_private, board.obfuscate_addresses) == (
        False, True, True, False,
    )
    assert garden.messages.count() == 2 and board.messages.count() == 1
    assert Thread.objects.get(mailing_list=garden).messages.count() == 2
    root = Message.objects.get(mailing_list=garden, message_id="swap@example.org")
    assert decompress(RawMessage.objects.get(message=root).data) == ROOT_RAW
    ContentType.objects.clear_cache()
    assert ContentType.objects.get(app_label="lists", model="mailinglist").pk == old_type

    page = client.get(f"/garden/message/{root.public_id}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "[Garden] Seed swap" in html and "Bring your seeds on Sunday." in html
    assert "alice at example.org" in html and "alice@example.org" not in html
    thread_page = client.get(f"/garden/thread/{root.thread.public_id}/").content.decode()
    assert "I will bring beans." in thread_page
    index = client.get("/").content.decode()
    assert "garden" in index and "board" not in index  # the private list stays private
    assert client.get(f"/board/message/{message_id_hash('minutes@example.org')}/").status_code == 404

    # The moved list goes on archiving where it stopped: the next Pipermail number, the same thread.
    late = REPLY_RAW.replace(b"swap-reply@", b"swap-late@").replace(b"beans", b"peas")
    import_bytes(garden, late, origin="test")
    stored = Message.objects.get(mailing_list=garden, message_id="swap-late@example.org")
    assert stored.archive_number == 2 and stored.thread_id == root.thread_id
    garden.refresh_from_db()
    assert garden.next_archive_number == 3
