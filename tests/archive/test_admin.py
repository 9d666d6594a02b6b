"""The Django admin shows messages and threads but cannot move or rewrite them: their list, dates and flags
are copied into thread layouts, the list's numbering and the search index, which an edit would leave behind."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from listhaven.archive.importer import parse_one
from listhaven.archive.ingest import store_batch
from listhaven.archive.models import Message, Thread
from listhaven.archive.search import search_message_ids
from listhaven.lists.directory import create_list
from listhaven.lists.models import MailingList
from listhaven.mail.message import SourceMessage


@pytest.fixture
def admin_client(db) -> Client:
    get_user_model().objects.create_superuser("root", "root@example.org", "pw-not-used")
    client = Client()
    client.force_login(get_user_model().objects.get(username="root"))
    return client


def _stored(public: MailingList) -> Message:
    raw = b"From: a@example.org\nMessage-ID: <adm1@example.org>\nSubject: rhubarb\n\nrhubarb crumble\n"
    store_batch(public, [parse_one(SourceMessage(raw, "t#1"))])
    return Message.objects.get(mailing_list=public)


def test_a_message_cannot_be_moved_to_another_list_in_the_admin(admin_client):
    public = create_list("open@lists.example.org")
    private = create_list("closed@lists.example.org")
    message = _stored(public)
    url = f"/admin/archive/message/{message.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200
    assert b'name="mailing_list"' not in page.content  # shown, not offered for editing
    admin_client.post(url, {"mailing_list": private.pk, "subject": "moved", "has_attachments": "on"})
    message.refresh_from_db()
    assert (message.mailing_list_id, message.subject, message.has_attachments) == (public.pk, "rhubarb", False)
    assert search_message_ids(public, "rhubarb") == [message.pk]
    assert search_message_ids(private, "rhubarb") == []


def test_a_thread_cannot_be_moved_in_the_admin(admin_client):
    public = create_list("open@lists.example.org")
    private = create_list("closed@lists.example.org")
    thread = _stored(public).thread
    url = f"/admin/archive/thread/{thread.pk}/change/"
    assert b'name="mailing_list"' not in admin_client.get(url).content
    admin_client.post(url, {"mailing_list": private.pk, "subject": "moved", "message_count": 7})
    thread = Thread.objects.get(pk=thread.pk)
    assert (thread.mailing_list_id, thread.subject, thread.message_count) == (public.pk, "rhubarb", 1)
