"""One decision: a message removed with `listhaven redact` is gone from every kind of endpoint.

The same walk runs before the removal (each endpoint shows the message: the walk can see it)
and after (none does; its own page and downloads say it was removed).
"""

from __future__ import annotations

import gzip
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils.http import http_date

from listhaven.archive.models import Message
from listhaven.archive.search import search_message_ids
from listhaven.cli import main
from tests.web.conftest import make_message, store

SECRET = "zanzibarquokka"  # in the removed message's subject and body, nowhere else
POSTER = "Secretive Sam"
# Endpoints that show a thread's stored summary (participants), derived by archive/threads.py.
THREAD_SUMMARIES = ("overview", "api list", "api thread")


@pytest.fixture
def removable(db):
    """A list with a thread of three; the middle one is the one to remove."""
    from listhaven.lists.directory import create_list

    mlist = create_list("cases@lists.example.org")
    store(
        mlist,
        [
            make_message("start@example.org", subject="Picnic plans", body="Where shall we meet?\n"),
            make_message(
                "secret@example.org",
                subject=f"Re: Picnic plans {SECRET}",
                body=f"My {SECRET} idea.\n",
                sender=f"{POSTER} <sam@example.com>",
                date="Mon, 04 Mar 2019 11:00:00 +0100",
                refs=("start@example.org",),
            ),
            make_message(
                "after@example.org",
                subject="Re: Picnic plans",
                body="By the lake.\n",
                sender="Bob Builder <bob@example.net>",
                date="Mon, 04 Mar 2019 12:00:00 +0100",
                refs=("start@example.org", "secret@example.org"),
            ),
        ],
    )
    return Message.objects.select_related("thread").get(message_id="secret@example.org")


def _text(response) -> str:
    data = b"".join(response.streaming_content) if response.streaming else response.content
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data.decode("utf-8", "replace")


def _listing_urls(message: Message) -> dict[str, str]:
    """Every kind of endpoint that lists or exports messages, for the message's list/thread/month."""
    thread, month = message.thread.public_id, message.date.strftime("%Y-%m")
    return {
        "overview": "/cases/",
        "month": f"/cases/{month}/",
        "month by date": f"/cases/{month}/?sort=date",
        "month by author": f"/cases/{month}/?sort=author",
        "thread": f"/cases/thread/{thread}/",
        "neighbour's page": "/cases/message/{after}/",
        "messages feed": "/cases/feed.atom",
        "thread feed": f"/cases/thread/{thread}/feed.atom",
        "api thread": f"/api/lists/cases/threads/{thread}",
        "api list": "/api/lists/cases",
        "month mbox": f"/cases/{month}.mbox.gz",
        "thread mbox": f"/cases/thread/{thread}/mbox",
        "list mbox": "/cases/all.mbox.gz",
        "pipermail text": f"/cases/{message.date.strftime('%Y-%B')}.txt.gz",
        "search page": f"/cases/search?q={SECRET}",
        "site search page": f"/search?q={SECRET}",
        "search mbox": "/cases/search.mbox.gz?q=picnic",
        "api search": f"/api/lists/cases/search?q={SECRET}",
        "filter-only search": "/cases/search?q=list:cases",
    }


def _shows(name: str, text: str, message: Message) -> bool:
    """Whether an endpoint's response shows the message (search pages repeat the query: a hit links it)."""
    if "search" in name and "mbox" not in name:
        return message.public_id in text
    return SECRET in text


def _walk(client: Client, message: Message) -> dict[str, str]:
    after = Message.objects.get(message_id="after@example.org").public_id
    found = {}
    for name, url in _listing_urls(message).items():
        response = client.get(url.replace("{after}", after))
        assert response.status_code == 200, (name, url, response.status_code)
        found[name] = _text(response)
    return found


def test_a_message_removed_from_the_command_line_is_gone_from_every_endpoint(client, removable):
    message = removable
    before = _walk(client, message)
    shown = {name for name, text in before.items() if _shows(name, text, message)}
    assert shown == set(before) - {"overview", "api list"}  # these two show threads by their first message
    assert search_message_ids(message.mailing_list, SECRET) == [message.pk]

    assert main(["redact", "cases", message.public_id, "--reason", "the poster asked"]) == 0

    after = _walk(client, message)
    for name, text in after.items():
        assert not _shows(name, text, message), name
        assert POSTER not in text, name
    assert "(message removed)" in after["month"] and "(message removed)" in after["thread"]
    assert "By the lake" in after["thread"] and "By the lake" in after["list mbox"]  # the rest stays
    assert search_message_ids(message.mailing_list, SECRET) == []
    assert search_message_ids(message.mailing_list, "list:cases") and message.pk not in search_message_ids(
        message.mailing_list, "list:cases"
    )

    page = client.get(f"/cases/message/{message.public_id}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "This message was removed from the archive" in html and SECRET not in html and POSTER not in html
    for suffix in ("raw", "mbox"):
        assert client.get(f"/cases/message/{message.public_id}/{suffix}").status_code == 410
    assert client.get(f"/api/lists/cases/messages/{message.public_id}").status_code == 410

    message.refresh_from_db()
    assert message.is_hidden and message.redaction_reason == "the poster asked" and message.redacted_by == "cli"
    if connection.vendor == "sqlite":  # the contentless FTS5 index is still consistent
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO search_fts(search_fts) VALUES ('integrity-check')")


def test_a_download_fetched_before_the_removal_is_not_304_after_it(client, removable):
    message = removable
    url = f"/cases/{message.date.strftime('%Y-%m')}.mbox.gz"
    first = client.get(url)
    # A client that only kept the date: a removal after it must send the new file.
    Message.objects.filter(mailing_list=message.mailing_list).update(imported_at=message.imported_at - timedelta(days=1))
    stamp = http_date((message.imported_at - timedelta(hours=1)).timestamp())
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=stamp).status_code == 304
    assert main(["redact", "cases", message.public_id]) == 0
    again = client.get(url, HTTP_IF_MODIFIED_SINCE=stamp)
    assert again.status_code == 200 and SECRET in _text(first) and SECRET not in _text(again)
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


def test_redacting_twice_changes_nothing_the_second_time(removable, capsys):
    assert main(["redact", "cases", removable.public_id, "--json"]) == 0
    assert '"changed": true' in capsys.readouterr().out
    assert main(["redact", "cases", removable.public_id, "--json"]) == 0
    assert '"changed": false' in capsys.readouterr().out


def test_unknown_message_is_a_clear_error(removable, capsys):
    assert main(["redact", "cases", "A" * 32]) == 1
    assert "no message" in capsys.readouterr().err
    assert not Message.objects.hidden().filter(mailing_list=removable.mailing_list).exists()


def test_thread_participants_no_longer_name_the_removed_messages_poster(client, removable):
    assert main(["redact", "cases", removable.public_id]) == 0
    after = _walk(client, removable)
    assert all(POSTER not in after[name] for name in THREAD_SUMMARIES)


def test_a_removed_root_no_longer_names_its_thread_and_reindex_keeps_it_out(removable):
    from listhaven.archive.reindex import reindex_list

    root = Message.objects.get(message_id="start@example.org")
    assert main(["redact", "cases", root.public_id]) == 0
    thread = type(removable.thread).objects.get(pk=removable.thread_id)
    shown = Message.objects.visible().filter(thread=thread).order_by("date", "pk").first()
    assert thread.root_message_id == root.pk and thread.subject == shown.subject
    assert "Ann Example" not in thread.participants and thread.message_count == 3

    reindex_list(removable.mailing_list)  # re-parses every message: the removed one stays out of search
    assert search_message_ids(removable.mailing_list, "meet") == []
    assert search_message_ids(removable.mailing_list, "lake")
    thread.refresh_from_db()
    assert thread.subject == shown.subject and thread.participant_count == 2
