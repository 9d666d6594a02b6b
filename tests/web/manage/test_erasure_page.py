"""/manage/erase/: a site administrator erases an address (lists/erasure.py, as `listhaven
erase-address`), the address typed twice; nobody else may."""

from __future__ import annotations

import pytest
from django.test import Client

from listhaven.archive.models import Message
from listhaven.lists.directory import create_list
from listhaven.lists.members import add_member
from listhaven.lists.models import Erasure, Member
from tests.web.conftest import make_message, store

ERIN = "erin@example.org"


@pytest.fixture
def garden(db):
    mlist = create_list("garden@lists.example.org")
    add_member(mlist, ERIN)
    add_member(mlist, "owner@example.org", role="owner")
    store(mlist, [make_message("erin-1@example.org", sender=f"Erin <{ERIN}>", to=mlist.address)])
    return mlist


def _client(django_user_model, address: str, **flags) -> Client:
    client = Client()
    client.force_login(django_user_model.objects.create_user(address, email=address, **flags))
    return client


def test_a_site_administrator_erases_an_address_after_typing_it_twice(garden, django_user_model):
    admin = _client(django_user_model, "root@example.org", is_staff=True)
    assert admin.get("/manage/erase/").status_code == 200
    refused = admin.post("/manage/erase/", {"address": ERIN, "again": "erin@example.com", "posts": "hide"})
    assert refused.status_code == 400 and Member.objects.filter(address=ERIN).exists()

    done = admin.post("/manage/erase/", {"address": ERIN, "again": ERIN.upper(), "posts": "hide", "list": ""})

    assert done.status_code == 200 and "memberships: 1" in done.content.decode()
    assert not Member.objects.filter(address=ERIN).exists()
    assert Message.objects.get(message_id="erin-1@example.org").is_hidden
    audit = Erasure.objects.get()
    assert audit.erased_by == "root@example.org" and ERIN not in done.content.decode().split("Recent erasures")[1]


def test_owners_and_strangers_may_not(garden, django_user_model):
    owner = _client(django_user_model, "owner@example.org")
    assert owner.post("/manage/erase/", {"address": ERIN, "again": ERIN, "posts": "purge"}).status_code == 403
    assert Client().post("/manage/erase/", {"address": ERIN, "again": ERIN}).status_code == 302  # sign in first
    assert Member.objects.filter(address=ERIN).exists() and not Erasure.objects.exists()
