"""Atom feeds: well-formed, the elements RFC 4287 requires, links to message pages, no poster addresses,
and hostile text (control characters) stripped rather than breaking the XML."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from django.urls import resolve

from listhaven.archive.importer import parse_one
from listhaven.archive.ingest import store_batch
from listhaven.archive.models import Message, Thread
from listhaven.lists.directory import create_list
from listhaven.mail.message import SourceMessage

ATOM = "{http://www.w3.org/2005/Atom}"
EMAIL = re.compile(r"\S+@\S+\.\w+")


def parse_feed(response) -> ET.Element:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["ETag"] and response["Cache-Control"].startswith("public")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    return root


def check_rfc4287(root: ET.Element) -> list[ET.Element]:
    for name in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{name}") is not None, name
    entries = root.findall(f"{ATOM}entry")
    feed_author = root.find(f"{ATOM}author/{ATOM}name") is not None
    for entry in entries:
        for name in ("id", "title", "updated"):
            assert (entry.findtext(f"{ATOM}{name}") or "").strip(), name
        assert feed_author or entry.find(f"{ATOM}author/{ATOM}name").text
        assert entry.find(f"{ATOM}author/{ATOM}name").text.strip()
        link = entry.find(f"{ATOM}link[@rel='alternate']")
        assert link is not None and link.get("href")
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", entry.findtext(f"{ATOM}updated"))
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(ids) == len(set(ids))
    return entries


def assert_links_to_message_pages(entries: list[ET.Element]) -> None:
    for entry in entries:
        href = entry.find(f"{ATOM}link[@rel='alternate']").get("href")
        path = re.sub(r"^https?://[^/]+", "", href)
        assert resolve(path).url_name == "message"


def sender_addresses() -> set[str]:
    return set(Message.objects.values_list("sender_email", flat=True)) - {""}


@pytest.fixture
def client() -> Client:
    return Client()


def test_list_messages_feed(fixture_archive, client):
    root = parse_feed(client.get("/reading-circle/feed.atom"))
    entries = check_rfc4287(root)
    assert len(entries) == 50
    assert_links_to_message_pages(entries)
    newest = Message.objects.filter(mailing_list__name="reading-circle").order_by("-date").first()
    assert newest.public_id in entries[0].find(f"{ATOM}link").get("href")
    assert entries[0].findtext(f"{ATOM}summary")


def test_threads_feed_lists_thread_starts(fixture_archive, client):
    entries = check_rfc4287(parse_feed(client.get("/reading-circle/threads.atom")))
    assert_links_to_message_pages(entries)
    roots = set(
        Thread.objects.filter(mailing_list__name="reading-circle").values_list("root_message__public_id", flat=True)
    )
    for entry in entries:
        assert entry.find(f"{ATOM}link").get("href").rstrip("/").rsplit("/", 1)[-1] in roots


def test_thread_feed(fixture_archive, client):
    thread = Thread.objects.filter(mailing_list__name="harbour-dev").order_by("-message_count").first()
    entries = check_rfc4287(parse_feed(client.get(f"/harbour-dev/thread/{thread.public_id}/feed.atom")))
    assert len(entries) == min(50, thread.message_count)
    assert_links_to_message_pages(entries)


@pytest.mark.parametrize("url", ["/reading-circle/feed.atom", "/harbour-dev/threads.atom", "/allotment/feed.atom"])
def test_feeds_show_no_poster_address(fixture_archive, client, url):
    text = client.get(url).content.decode()
    assert not set(EMAIL.findall(text)) & sender_addresses()
    assert not [s for s in sender_addresses() if s in text]


def test_feed_conditional_get(fixture_archive, client):
    first = client.get("/allotment/feed.atom")
    assert client.get("/allotment/feed.atom", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


HOSTILE = (
    "From: =?utf-8?q?Eve=07=1B[31m_<script>?= <eve@example.org>\n"
    "Message-ID: <hostile@example.org>\nDate: Fri, 1 Mar 2024 10:00:00 +0000\n"
    "Subject: bell\x07 escape\x1b[0m nul\x0b </title><script>alert(1)</script> ]]>\n"
    "Content-Type: text/plain; charset=utf-8\n\n"
    "control \x01\x02\x03\x08\x0c\x0e\x1f\x7f chars, <b>tags</b> & ampersands ]]> \ufffe\uffff\n"
    "reply to eve@example.org or <bob@example.net>\n"
)


def test_hostile_text_keeps_the_feed_well_formed(db, client):
    mlist = create_list("hostile@lists.example.org")
    store_batch(mlist, [parse_one(SourceMessage(HOSTILE.encode("utf-8"), "t#1"))])
    message = Message.objects.get(mailing_list=mlist)
    for url in ("/hostile/feed.atom", "/hostile/threads.atom", f"/hostile/thread/{message.thread.public_id}/feed.atom"):
        response = client.get(url)
        entries = check_rfc4287(parse_feed(response))
        assert len(entries) == 1
        assert not re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]", response.content)
        assert b"<script>" not in response.content
        text = response.content.decode()
        assert "eve@example.org" not in text and "bob@example.net" not in text
    summary = entries[0].findtext(f"{ATOM}summary")
    assert "&lt;b&gt;tags" in summary  # type="html": the text shows as written, never as markup


def test_without_obfuscation_the_author_address_is_shown(db, client):
    mlist = create_list("open@lists.example.org")
    mlist.obfuscate_addresses = False
    mlist.save()
    raw = b"From: ann@example.org\nMessage-ID: <o1@example.org>\nDate: Fri, 1 Mar 2024 10:00:00 +0000\nSubject: hi\n\nx\n"
    store_batch(mlist, [parse_one(SourceMessage(raw, "t#1"))])
    entries = check_rfc4287(parse_feed(client.get("/open/feed.atom")))
    assert entries[0].findtext(f"{ATOM}author/{ATOM}name") == "ann@example.org"


def test_empty_list_feed_is_valid(db, client):
    create_list("empty@lists.example.org")
    entries = check_rfc4287(parse_feed(client.get("/empty/feed.atom")))
    assert entries == []


def test_every_feed_link_starts_with_the_site_url_whatever_the_host_header(fixture_archive, client, settings):
    settings.SITE_URL = "https://lists.example.org/archives"
    settings.ALLOWED_HOSTS = ["*"]  # a site that answers any Host (unset, another Host gets 400)
    thread = Thread.objects.filter(mailing_list__name="harbour-dev").order_by("-message_count").first()
    for url in ("/allotment/feed.atom", "/allotment/threads.atom", f"/harbour-dev/thread/{thread.public_id}/feed.atom"):
        root = parse_feed(client.get(url, HTTP_HOST="attacker.example"))
        hrefs = [link.get("href") for link in root.iter(f"{ATOM}link")]
        assert len(hrefs) > 2
        assert all(h.startswith("https://lists.example.org/archives/") for h in hrefs), hrefs
        assert f"https://lists.example.org/archives{url}" in hrefs  # rel="self"
