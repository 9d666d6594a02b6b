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


@pytest.fixture
def orchard(garden):
    """A second list where Erin is a member and posted too: an owner of garden does not reach it."""
    mlist = create_list("orchard@lists.example.org")
    add_member(mlist, ERIN)
    store(mlist, [make_message("erin-2@example.org", sender=f"Erin <{ERIN}>", to=mlist.address)])
    return mlist


def _outbox_copy(folder, name: str, return_path: str) -> None:
    (folder / "new").mkdir(parents=True, exist_ok=True)
    (folder / "new" / name).write_bytes(
        f"Return-Path: <{return_path}>\nDelivered-To: {ERIN}\nFrom: list@lists.example.org\nTo: {ERIN}\n"
        f"Subject: a copy\n\nbody\n".encode()
    )


def test_an_owner_erases_an_address_from_their_list_only(garden, orchard, django_user_model, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    _outbox_copy(tmp_path / "outbox", "1.garden", "garden-bounces+erin=example.org@lists.example.org")
    _outbox_copy(tmp_path / "outbox", "2.orchard", "orchard-bounces+erin=example.org@lists.example.org")
    account = django_user_model.objects.create_user(ERIN, email=ERIN)
    owner = _client(django_user_model, "owner@example.org")
    assert 'href="/manage/garden/erase/"' in owner.get("/manage/garden/").content.decode()
    page = owner.get("/manage/garden/erase/").content.decode()
    assert 'name="list"' not in page  # no choice of list: this one
    refused = owner.post("/manage/garden/erase/", {"address": ERIN, "again": "erin@example.net", "posts": "hide"})
    assert refused.status_code == 400 and Member.objects.filter(mailing_list=garden, address=ERIN).exists()

    done = owner.post("/manage/garden/erase/", {"address": ERIN, "again": ERIN, "posts": "hide", "list": "orchard"})

    assert done.status_code == 200 and "memberships: 1" in done.content.decode()
    assert not Member.objects.filter(mailing_list=garden, address=ERIN).exists()
    assert Member.objects.filter(mailing_list=orchard, address=ERIN).exists()  # the form's "list" is not read
    assert Message.objects.get(message_id="erin-1@example.org").is_hidden
    assert not Message.objects.get(message_id="erin-2@example.org").is_hidden
    assert django_user_model.objects.filter(pk=account.pk).exists()  # the account is the site's
    assert sorted(p.name for p in (tmp_path / "outbox" / "new").iterdir()) == ["2.orchard"]
    audit = Erasure.objects.get()
    assert (audit.scope, audit.erased_by, audit.posts) == ("garden", "owner@example.org", "hide")
    assert ERIN not in done.content.decode().split("Recent erasures")[1]


def test_an_owner_sees_only_their_lists_erasures_and_moderators_may_not_erase(garden, orchard, django_user_model):
    from listhaven.lists.erasure import erase_address

    erase_address(ERIN, mlist=orchard, posts="keep", by="someone-else")
    add_member(garden, "mod@example.org", role="moderator")
    owner = _client(django_user_model, "owner@example.org")
    page = owner.get("/manage/garden/erase/").content.decode()
    assert "someone-else" not in page and "None yet." in page
    moderator = _client(django_user_model, "mod@example.org")
    assert 'href="/manage/garden/erase/"' not in moderator.get("/manage/garden/").content.decode()
    assert moderator.post("/manage/garden/erase/", {"address": ERIN, "again": ERIN, "posts": "purge"}).status_code == 403
    assert Member.objects.filter(mailing_list=garden, address=ERIN).exists() and Erasure.objects.count() == 1


BY_OWNER = '<td class="address"><span>owner@example.org</span></td>'  # the By cell, its <wbr> taken out


def test_a_lists_erasures_follow_it_when_renamed_and_do_not_pass_to_a_new_list_of_its_old_name(garden, django_user_model):
    from listhaven.lists.erasure import erase_address

    erase_address(ERIN, mlist=garden, posts="keep", by="owner@example.org")
    garden.name, garden.address = "orchard", "orchard@lists.example.org"
    garden.save(update_fields=["name", "address"])  # as the admin renames a list
    owner = _client(django_user_model, "owner@example.org")
    page = owner.get("/manage/orchard/erase/").content.decode().replace("<wbr>", "")  # an address's breaks
    assert "None yet." not in page and BY_OWNER in page.split("Recent erasures")[1]
    newcomer = create_list("garden@lists.example.org")  # the old name, another list
    add_member(newcomer, "new-owner@example.org", role="owner")
    page = _client(django_user_model, "new-owner@example.org").get("/manage/garden/erase/").content.decode()
    assert "None yet." in page and BY_OWNER not in page.replace("<wbr>", "")
    from listhaven.lists.removal import remove_list

    old_pk = garden.pk
    remove_list(garden, keep_archive=False)
    assert Erasure.objects.get().list_pk == old_pk  # the audit outlives the list


@pytest.mark.parametrize("who", ["co-owner@example.org", "Mod@Example.org", "owner@example.org", "root@example.org"])
def test_an_owner_may_not_erase_who_runs_the_list_or_the_site(garden, django_user_model, who):
    """A co-owner, a moderator, the owner themselves, a site administrator's account: refused with the
    reason, nothing erased, no audit row; a site administrator erases the same address on the same page."""
    add_member(garden, "co-owner@example.org", role="owner")
    add_member(garden, "mod@example.org", role="moderator")
    django_user_model.objects.create_user("root@example.org", email="root@example.org", is_staff=True)
    store(garden, [make_message("runner-1@example.org", sender=f"<{who}>", to=garden.address)])
    owner = _client(django_user_model, "owner@example.org")

    refused = owner.post("/manage/garden/erase/", {"address": who, "again": who, "posts": "anonymise"})

    assert refused.status_code == 403
    text = refused.content.decode()
    assert "Only a site administrator may erase" in text and 'role="alert"' in text
    assert Member.objects.filter(mailing_list=garden, role__in=["owner", "moderator"]).count() == 3
    assert not Erasure.objects.exists()
    assert Message.objects.get(message_id="runner-1@example.org").sender_email.lower() == who.lower()

    admin = Client()
    admin.force_login(django_user_model.objects.get(username="root@example.org"))
    done = admin.post("/manage/garden/erase/", {"address": who, "again": who, "posts": "anonymise"})
    assert done.status_code == 200 and Erasure.objects.get().erased_by == "root@example.org"
    assert not Member.objects.filter(mailing_list=garden, address__iexact=who).exists()
    assert Message.objects.get(message_id="runner-1@example.org").sender_email == "address.removed@erased.invalid"


def test_an_owner_still_erases_a_member_with_an_account(garden, django_user_model):
    django_user_model.objects.create_user(ERIN, email=ERIN)  # an ordinary account: not protected
    owner = _client(django_user_model, "owner@example.org")
    done = owner.post("/manage/garden/erase/", {"address": ERIN, "again": ERIN, "posts": "keep"})
    assert done.status_code == 200 and not Member.objects.filter(mailing_list=garden, address=ERIN).exists()
