"""A person's own data: /accounts/data.json (what the site holds about their address) and
/accounts/delete/ (the account and every membership gone, after a confirmation, CSRF-protected)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from listhaven.archive.models import Message
from listhaven.lists.directory import create_list
from listhaven.lists.members import add_member
from listhaven.lists.models import BounceEvent, Erasure, Member, RequestDecision
from listhaven.lists.subscriptions import create_pending
from tests.web.conftest import make_message, store

ANN = "ann@example.org"


@pytest.fixture
def ann(db, django_user_model):
    garden = create_list("garden@lists.example.org")
    plots = create_list("plots@lists.example.org", archive_policy="members")
    add_member(garden, ANN, display_name="Ann Example")
    add_member(plots, ANN, role="owner")
    add_member(garden, "bob@example.net")
    Member.objects.filter(mailing_list=garden, address=ANN).update(delivery_mode="plain_digest", hide_address=True)
    store(garden, [make_message("ann-1@example.org", subject="Ann's question", to=garden.address),
                   make_message("bob-1@example.org", subject="Bob's answer", sender="Bob <bob@example.net>",
                                to=garden.address)])  # fmt: skip
    BounceEvent.objects.create(mailing_list=garden, address=ANN, source="dsn", code=550, text="mailbox full")
    RequestDecision.objects.create(mailing_list=plots, address=ANN, asks_to="join", decision="refuse",
                                   outcome="refused by an owner", reason="members of the plots only",
                                   decided_by="bob@example.net")  # fmt: skip
    user = django_user_model.objects.create_user(ANN, email=ANN)
    client = Client()
    client.force_login(user)
    return client, garden, plots


def test_a_member_downloads_what_the_site_holds_about_them(ann):
    client, garden, plots = ann
    response = client.get("/accounts/data.json")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert data["addresses"] == [ANN] and data["account"]["email"] == ANN
    mine = {(m["list"], m["role"]): m for m in data["memberships"]}
    assert set(mine) == {(garden.address, "member"), (plots.address, "owner")}
    member = mine[(garden.address, "member")]
    assert (member["delivery_mode"], member["hide_address"], member["display_name"]) == ("plain_digest", True, "Ann Example")
    [post] = data["posts"]
    assert post["subject"] == "Ann's question" and post["url"].endswith(f"/{garden.name}/message/{post['message_hash']}/")
    assert client.get(post["url"]).status_code == 200
    assert [b["text"] for b in data["bounce_records"]] == ["mailbox full"]
    [decision] = data["request_decisions"]  # who decided is the owner's, not hers
    assert (decision["list"], decision["decision"], decision["reason"]) == (plots.address, "refuse", "members of the plots only")
    assert "bob@example.net" not in response.content.decode() and "Bob's answer" not in response.content.decode()


def test_a_member_proven_by_a_mailed_link_downloads_theirs_without_an_account(db):
    garden = create_list("garden@lists.example.org")
    add_member(garden, "cy@example.com")
    client = Client()
    assert client.get("/accounts/data.json").status_code == 302  # nobody proven yet: sign in
    token = create_pending(garden, "options", "cy@example.com")
    assert client.post(f"/{garden.name}/options/{token}").status_code == 302
    options = client.get(f"/{garden.name}/options/").content.decode()
    assert "/accounts/data.json" in options and "/accounts/delete/" not in options  # no account to delete
    data = json.loads(client.get("/accounts/data.json").content)
    assert data["addresses"] == ["cy@example.com"] and data["account"] is None
    assert [m["list"] for m in data["memberships"]] == [garden.address]


def test_deleting_an_account_needs_the_address_typed_again_and_a_csrf_token(ann):
    client, _garden, plots = ann
    page = client.get("/accounts/delete/")
    assert page.status_code == 200 and plots.address in page.content.decode()
    assert f"You are the only owner of {plots.address}" in page.content.decode()
    add_member(plots, "co-owner@example.org", role="owner")
    assert "only owner" not in client.get("/accounts/delete/").content.decode()
    assert client.post("/accounts/delete/", {"confirm": "someone@else.example"}).status_code == 400
    forged = Client(enforce_csrf_checks=True)
    forged.force_login(_user())
    assert forged.post("/accounts/delete/", {"confirm": ANN}).status_code == 403
    assert Member.objects.filter(address=ANN).count() == 2 and _user() is not None


def test_deleting_an_account_ends_every_membership_and_the_sign_in(ann):
    client, _garden, plots = ann
    response = client.post("/accounts/delete/", {"confirm": ANN.upper()})
    assert response.status_code == 200 and "is deleted" in response.content.decode()
    assert not Member.objects.filter(address=ANN).exists() and _user() is None
    assert not BounceEvent.objects.filter(address=ANN).exists()
    assert Member.objects.filter(address="bob@example.net").exists()
    assert client.get("/accounts/delete/").status_code == 302  # signed out
    assert client.get(f"/{plots.name}/").status_code == 404  # no longer an owner of the private list
    assert not Message.objects.get(message_id="ann-1@example.org").is_hidden  # posts stay, as the page said
    assert Erasure.objects.get().erased_by == "the member"


def _user():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(email=ANN).first()
