"""The ingest transaction: outcomes, identity, duplicates, conflicts, quarantine, search rows."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from listhaven.archive.compression import decompress
from listhaven.archive.ingest import store_batch
from listhaven.archive.models import Message, Quarantine, RawMessage
from listhaven.archive.search import search_message_ids
from listhaven.mail.ids import message_id_hash

from .conftest import make_message, parsed


def test_stored_message_keeps_raw_bytes_and_public_hash(mlist):
    raw = make_message("a1@example.org", body="Indented:\n    code line\n")
    result = store_batch(mlist, [parsed(raw)])
    assert len(result.stored) == 1
    message = Message.objects.filter(mailing_list=mlist).get()
    assert message.public_id == message_id_hash("<a1@example.org>")
    assert decompress(RawMessage.objects.get(message=message).data) == raw
    assert message.sender_email == "ann@example.org"
    assert "    code line" in message.body_text


def test_same_message_twice_is_a_duplicate(mlist):
    raw = make_message("dup@example.org")
    first = store_batch(mlist, [parsed(raw)])
    second = store_batch(mlist, [parsed(raw), parsed(raw)])
    assert len(first.stored) == 1
    assert second.duplicates == 2 and not second.stored
    assert Message.objects.filter(mailing_list=mlist).count() == 1


def test_duplicate_within_one_batch(mlist):
    raw = make_message("twice@example.org")
    result = store_batch(mlist, [parsed(raw), parsed(raw)])
    assert len(result.stored) == 1 and result.duplicates == 1


def test_reused_message_id_with_other_content_is_stored_and_flagged(mlist):
    store_batch(mlist, [parsed(make_message("reused@example.org", body="first\n"))])
    result = store_batch(mlist, [parsed(make_message("reused@example.org", body="different\n"))])
    assert len(result.stored) == 1 and result.conflicts == 1
    rows = list(Message.objects.filter(mailing_list=mlist, message_id="reused@example.org"))
    assert len(rows) == 2
    assert all(r.msgid_conflict for r in rows)
    assert len({r.public_id for r in rows}) == 2


def test_two_messages_sharing_an_id_in_one_batch_keep_the_canonical_hash_on_the_first(mlist):
    first = make_message("twin@example.org", body="one\n")
    second = make_message("twin@example.org", body="two\n")
    result = store_batch(mlist, [parsed(first), parsed(second)])
    assert len(result.stored) == 2 and result.conflicts == 1
    rows = {r.body_text.strip(): r for r in Message.objects.filter(mailing_list=mlist, message_id="twin@example.org")}
    assert rows["one"].public_id == message_id_hash("<twin@example.org>")
    assert rows["two"].public_id != rows["one"].public_id
    assert rows["one"].msgid_conflict and rows["two"].msgid_conflict


def test_unparseable_bytes_go_to_quarantine_once(mlist):
    garbage = b""
    result = store_batch(mlist, [parsed(garbage), parsed(garbage)])
    assert result.quarantined == 2
    assert Quarantine.objects.filter(mailing_list=mlist).count() == 1
    assert Quarantine.objects.filter(mailing_list=mlist).get().reason


def test_message_without_id_gets_a_stable_synthetic_one(mlist):
    raw = make_message(None, subject="No id")
    store_batch(mlist, [parsed(raw)])
    again = store_batch(mlist, [parsed(raw)])
    message = Message.objects.filter(mailing_list=mlist).get()
    assert message.message_id_synthetic
    assert again.duplicates == 1


def test_archive_numbers_follow_archive_order(mlist):
    raws = [make_message(f"n{i}@example.org", minutes=-i) for i in range(5)]
    store_batch(mlist, [parsed(r) for r in raws[:3]])
    store_batch(mlist, [parsed(r) for r in raws[3:]])
    numbers = list(Message.objects.filter(mailing_list=mlist).order_by("archive_number").values_list("message_id", "archive_number"))
    assert numbers == [(f"n{i}@example.org", i) for i in range(5)]


def test_search_rows_written_in_the_same_transaction(mlist):
    store_batch(mlist, [parsed(make_message("s1@example.org", subject="Zanzibar meeting", body="xylophone\n"))])
    assert search_message_ids([mlist], "xylophone") == [Message.objects.filter(mailing_list=mlist).get().pk]
    assert search_message_ids([mlist], "subject:zanzibar") == search_message_ids([mlist], "xylophone")


def test_search_facets_of_a_batch_are_its_messages_utc_day_list_and_attachments(mlist):
    # The ingest hands the index each message's list, date and attachment flag as it inserts the
    # row; they must be what the row says: the UTC day (here the day after the sender's), and
    # "has:attachment" only for the message with one.
    late = (
        "From: Ann <ann@example.org>\nTo: test@lists.example.org\nSubject: late\nMessage-ID: <late@example.org>\n"
        "Date: Mon, 31 Dec 2018 21:30:00 -0500\nContent-Type: text/plain\n\nquokka evening\n"
    )
    attached = (
        "From: Bob <bob@example.org>\nTo: test@lists.example.org\nSubject: file\nMessage-ID: <file@example.org>\n"
        "Date: Mon, 31 Dec 2018 12:00:00 +0000\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n"
        "--b\nContent-Type: text/plain\n\nquokka noon\n--b\nContent-Type: application/octet-stream\n"
        "Content-Disposition: attachment; filename=data.bin\n\nxyz\n--b--\n"
    )
    store_batch(mlist, [parsed(late.encode()), parsed(attached.encode())])
    pk = dict(Message.objects.filter(mailing_list=mlist).values_list("message_id", "pk"))
    assert search_message_ids([mlist], "quokka date:2019-01-01") == [pk["late@example.org"]]
    assert search_message_ids([mlist], "quokka date:2018-12-31") == [pk["file@example.org"]]
    assert search_message_ids([mlist], "quokka has:attachment") == [pk["file@example.org"]]
    assert search_message_ids([mlist], "quokka -has:attachment") == [pk["late@example.org"]]
    assert sorted(search_message_ids([mlist], "quokka list:test")) == sorted(pk.values())


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="SQLite's writers take turns at BEGIN IMMEDIATE: two never overlap")  # fmt: skip
def test_a_numbered_batch_waits_for_a_post_still_committing_and_numbers_around_it(transactional_db):
    """PostgreSQL: a live post (receive_post, its own thread and connection) has taken number 3 and not
    committed yet when an import's batch (Pipermail numbers 3 and 4) is stored. The batch waits for the
    list's row, then sees number 3 taken: its message goes to the next free number, 4 stays Pipermail's.
    Before, the batch read the next number without a lock, wrote 3 too and failed on the unique index."""
    from listhaven.lists.directory import create_list
    from listhaven.lists.members import add_member
    from listhaven.lists.posting import receive_post

    mlist = create_list("test@lists.example.org")
    add_member(mlist, "ann@example.org")
    store_batch(mlist, [parsed(make_message(f"old{n}@example.org")) for n in range(3)], numbers=[0, 1, 2])
    posted, release = threading.Event(), threading.Event()
    outcomes: dict[str, object] = {}

    def post() -> None:
        try:
            with transaction.atomic():
                outcomes["post"] = receive_post(mlist, make_message("live@example.org"), envelope_sender="ann@example.org")
                posted.set()
                assert release.wait(60)
        finally:
            connection.close()

    def store() -> None:
        try:
            batch = [parsed(make_message("old3@example.org")), parsed(make_message("old4@example.org"))]
            outcomes["batch"] = store_batch(mlist, batch, numbers=[3, 4])
        except Exception as exc:  # noqa: BLE001 - the assertion below names it
            outcomes["batch"] = exc
        finally:
            connection.close()

    poster = threading.Thread(target=post)
    poster.start()
    assert posted.wait(60)
    storer = threading.Thread(target=store)
    storer.start()
    try:
        for _ in range(3000):  # until the batch waits on a lock the post holds (bounded: a minute at most)
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                               "AND datname = current_database()")  # fmt: skip
                if cursor.fetchone()[0]:
                    break
            threading.Event().wait(0.02)
        else:
            pytest.fail("the batch never waited for the post")
    finally:
        release.set()
        poster.join(60)
        storer.join(60)
    assert not isinstance(outcomes["batch"], Exception), outcomes["batch"]
    numbers = dict(Message.objects.filter(mailing_list=mlist).values_list("message_id", "archive_number"))
    assert numbers == {"old0@example.org": 0, "old1@example.org": 1, "old2@example.org": 2, "live@example.org": 3,
                       "old4@example.org": 4, "old3@example.org": 5}  # fmt: skip
    assert outcomes["batch"].renumbered == {3: 5}
