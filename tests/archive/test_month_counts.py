"""The kept month counts (archive/month_counts.py) after every writer of messages: each test writes
through the writer's own code and compares the table with a count made from the messages."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from listhaven.archive import month_counts
from listhaven.archive.models import Message
from listhaven.archive.redaction import purge, redact
from listhaven.cli import main
from listhaven.lists.directory import create_list
from listhaven.lists.members import add_member
from tests.web.conftest import make_message, store

pytestmark = pytest.mark.django_db

ADDRESS = "counts@lists.example.org"


@pytest.fixture
def mlist():
    mlist = create_list(ADDRESS)
    store(mlist, [
        make_message("a@example.org", date="Mon, 04 Mar 2019 10:00:00 +0000", to=ADDRESS),
        make_message("b@example.org", date="Sun, 31 Mar 2019 23:30:00 -0200", to=ADDRESS),  # April in UTC
        make_message("c@example.org", date="Tue, 09 Apr 2019 11:00:00 +0000", to=ADDRESS),
    ])  # fmt: skip
    return mlist


def kept(mlist) -> list[tuple[str, int]]:
    """The list's kept counts, after checking that every list's equal a count from scratch."""
    assert month_counts.kept() == month_counts.counted()
    return month_counts.months(mlist.pk)


def test_the_ingest_counts_each_message_in_its_utc_month(mlist):
    assert kept(mlist) == [("2019-03", 1), ("2019-04", 2)]
    store(
        mlist,
        [
            make_message("d@example.org", date="Wed, 01 May 2019 00:30:00 +0000", to=ADDRESS),
            make_message("a@example.org", date="Mon, 04 Mar 2019 10:00:00 +0000", to=ADDRESS),
        ],
    )  # a duplicate
    assert kept(mlist) == [("2019-03", 1), ("2019-04", 2), ("2019-05", 1)]


def test_reading_the_counts_reads_no_message(mlist):
    from listhaven.web.months import list_activity
    from listhaven.web.months import month_counts as shown

    with CaptureQueriesContext(connection) as queries:
        assert [(m.key, n) for m, n in shown(mlist)] == [("2019-03", 1), ("2019-04", 2)]
        activity = list_activity([mlist])[mlist.pk]
    assert activity.messages == 3 and activity.last_post.strftime("%Y-%m-%d %H:%M") == "2019-04-09 11:00"
    counting = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counting == [], counting


def test_lmtp_delivery_and_a_released_held_post_are_counted(mlist):
    from listhaven.delivery.lmtp import deliver
    from listhaven.lists.moderation import moderate
    from listhaven.lists.posting import receive_post

    add_member(mlist, "ann@example.org")
    reply = deliver(ADDRESS, make_message("lmtp@example.org", date="Mon, 04 Mar 2019 12:00:00 +0000", to=ADDRESS))
    assert reply.startswith("250"), reply
    assert Message.objects.filter(message_id="lmtp@example.org").exists()
    assert kept(mlist) == [("2019-03", 2), ("2019-04", 2)]
    stranger = make_message("held@example.org", sender="Zed <zed@elsewhere.example>",
                            date="Tue, 09 Apr 2019 12:00:00 +0000", to=ADDRESS)  # fmt: skip
    outcome = receive_post(mlist, stranger)
    assert outcome.held_id is not None and kept(mlist) == [("2019-03", 2), ("2019-04", 2)]
    moderate(mlist, outcome.held_id, "accept")
    assert kept(mlist) == [("2019-03", 2), ("2019-04", 3)]


def test_redaction_purge_and_erasure_keep_a_message_in_its_month(mlist):
    from listhaven.lists.erasure import erase_address

    redact(Message.objects.get(message_id="a@example.org"), "asked")
    purge(Message.objects.get(message_id="b@example.org"), "asked")
    erase_address("ann@example.org", posts="purge")
    assert Message.objects.visible().filter(mailing_list=mlist).count() == 0
    assert kept(mlist) == [("2019-03", 1), ("2019-04", 2)]  # a removed message keeps its place


def test_a_message_moved_to_another_list_or_month_moves_its_count(mlist):
    other = create_list("other@lists.example.org")
    Message.objects.filter(message_id="c@example.org").update(mailing_list=other)
    assert kept(mlist) == [("2019-03", 1), ("2019-04", 1)]
    assert kept(other) == [("2019-04", 1)]
    moved = Message.objects.get(message_id="a@example.org")
    moved.date = moved.date.replace(year=2020)
    moved.save(update_fields=["date"])
    assert kept(mlist) == [("2019-04", 1), ("2020-03", 1)]
    Message.objects.filter(mailing_list=mlist).update(subject="same month, same list")  # no count moves
    assert kept(mlist) == [("2019-04", 1), ("2020-03", 1)]


def test_deleting_messages_in_the_admin_and_removing_a_list_take_their_counts(mlist):
    from django.contrib.admin.sites import site

    from listhaven.lists.removal import remove_list

    admin = site._registry[Message]
    admin.delete_queryset(None, Message.objects.filter(message_id__in=["a@example.org", "b@example.org"]))
    assert kept(mlist) == [("2019-04", 1)]
    admin.delete_model(None, Message.objects.get(message_id="c@example.org"))
    assert kept(mlist) == []
    store(mlist, [make_message("e@example.org", date="Mon, 04 Mar 2019 10:00:00 +0000", to=ADDRESS)])
    assert kept(mlist) == [("2019-03", 1)]
    pk = mlist.pk
    remove_list(mlist, keep_archive=False)
    assert month_counts.kept([pk]) == {} and kept(mlist) == []


def test_recount_finds_and_repairs_wrong_counts(mlist, capsys):
    with connection.cursor() as cursor:
        mine = f"list_id = {int(mlist.pk)}"
        cursor.execute(f"UPDATE {month_counts.TABLE} SET messages = 7 WHERE {mine} AND month = '2019-03'")
        cursor.execute(f"DELETE FROM {month_counts.TABLE} WHERE {mine} AND month = '2019-04'")
        cursor.execute(f"INSERT INTO {month_counts.TABLE} VALUES (%s, '1999-01', 3)", [mlist.pk])
    assert main(["recount", "--check"]) == 1
    out = capsys.readouterr().out
    assert f"{ADDRESS} 2019-03: kept 7, counted 1" in out and f"{ADDRESS} 2019-04: kept 0, counted 2" in out
    assert f"{ADDRESS} 1999-01: kept 3, counted 0" in out and "3 month counts differ" in out
    assert month_counts.months(mlist.pk) == [("1999-01", 3), ("2019-03", 7)]  # --check repairs nothing
    assert main(["recount", "counts"]) == 0
    assert "3 month counts differed and were repaired" in capsys.readouterr().out
    assert kept(mlist) == [("2019-03", 1), ("2019-04", 2)]
    assert main(["recount", "--check"]) == 0
    assert "every month count is right" in capsys.readouterr().out


def test_reindex_repairs_the_counts_too(mlist):
    from listhaven.archive.reindex import reindex_list

    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {month_counts.TABLE} WHERE list_id = %s", [mlist.pk])
    assert "2 month counts repaired" in str(reindex_list(mlist))
    assert kept(mlist) == [("2019-03", 1), ("2019-04", 2)]


def test_the_command_lines_lists_and_stats_read_the_counts(mlist, capsys):
    import json

    assert main(["lists", "--json"]) == 0
    assert [row["messages"] for row in json.loads(capsys.readouterr().out) if row["name"] == "counts"] == [3]
    assert main(["stats", "counts", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["messages"] == 3 and figures["months"][-1] == {"month": "2019-04", "messages": 2}
