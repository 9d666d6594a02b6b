"""One presenter: every endpoint shows a poster's address as the list's one setting says.

A poster whose display name is itself an address, writing an address in the body: with the
list's obfuscation on, no endpoint shows either in full; turned off, every one shows them.
"""

from __future__ import annotations

import gzip

import pytest
from django.test import Client

from listhaven.archive.models import Message
from listhaven.archive.versions import changed_fields
from listhaven.lists.models import MailingList
from tests.web.conftest import make_message, store

ADDRESS = "jo.poster@example.com"
IN_BODY = "write.me@example.net"


@pytest.fixture
def poster(db):
    from listhaven.lists.directory import create_list

    mlist = create_list("shown@lists.example.org")
    store(
        mlist,
        [
            make_message(
                "p1@example.org", subject="Kayak trip", body=f"Mail {IN_BODY} for the kayak list.\n",
                sender=f'"{ADDRESS}" <{ADDRESS}>',
            ),
        ],
    )
    return Message.objects.select_related("thread").get(mailing_list=mlist)


def _urls(message: Message) -> dict[str, str]:
    thread, month = message.thread.public_id, message.date.strftime("%Y-%m")
    return {
        "message page": f"/shown/message/{message.public_id}/",
        "thread page": f"/shown/thread/{thread}/",
        "month page": f"/shown/{month}/",
        "overview": "/shown/",
        "feed": "/shown/feed.atom",
        "thread feed": f"/shown/thread/{thread}/feed.atom",
        "api message": f"/api/lists/shown/messages/{message.public_id}",
        "api thread": f"/api/lists/shown/threads/{thread}",
        "api search": "/api/lists/shown/search?q=kayak",
        "search page": "/shown/search?q=kayak",
        "pipermail text": f"/shown/{message.date.strftime('%Y-%B')}.txt.gz",
    }


def _get(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    data = b"".join(response.streaming_content) if response.streaming else response.content
    return (gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data).decode()


def test_every_endpoint_follows_the_lists_one_setting(client, poster):
    urls = _urls(poster)
    obfuscated = {name: _get(client, url) for name, url in urls.items()}
    for name, text in obfuscated.items():
        assert ADDRESS not in text and IN_BODY not in text, name
    assert all("jo.poster at example.com" in text for text in obfuscated.values())

    # A settings change as the owners' settings page makes it: the row and the archive's version in one
    # update, so the page cache keeps none of the pages rendered with the old setting.
    MailingList.objects.filter(pk=poster.mailing_list_id).update(obfuscate_addresses=False, **changed_fields())
    as_written = {name: _get(client, url) for name, url in urls.items()}
    for name, text in as_written.items():
        assert ADDRESS in text, name
    bodies = ("message page", "thread page", "feed", "thread feed", "api message", "search page", "pipermail text")
    for name in bodies:
        assert IN_BODY in as_written[name] and IN_BODY not in obfuscated[name], name
