"""Accounts: sign-in throttled per account and per client; password reset and sign-in links mailed
through the outgoing queue, each link working once."""

from __future__ import annotations

import re

import pytest

from listhaven.archive.compression import decompress
from listhaven.lists.models import Outgoing


@pytest.fixture
def owner_with_password(lists_with_roles):
    user = lists_with_roles["users"]["owner"]
    user.set_password("right horse battery")
    user.save()
    return user


def _sign_in(client, username, password, ip="10.0.0.1"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_sign_in_with_the_address(client, owner_with_password):
    response = _sign_in(client, "Owner@Example.org", "right horse battery")
    assert response.status_code == 302 and response["Location"] == "/manage/"


def test_failed_sign_ins_lock_the_account_for_a_while(client, owner_with_password):
    for _ in range(5):
        assert _sign_in(client, "owner@example.org", "wrong").status_code == 200
    locked = _sign_in(client, "owner@example.org", "right horse battery", ip="10.9.9.9")
    assert locked.status_code == 200 and "Too many failed sign-ins" in locked.content.decode()


def test_failed_sign_ins_from_one_client_lock_that_client(client, owner_with_password):
    for n in range(20):
        _sign_in(client, f"nobody{n}@example.org", "wrong", ip="10.0.0.7")
    assert "Too many failed sign-ins" in _sign_in(client, "owner@example.org", "right horse battery", ip="10.0.0.7").content.decode()
    assert _sign_in(client, "owner@example.org", "right horse battery", ip="10.0.0.8").status_code == 302


def _queued_text(address: str) -> str:
    import email
    import email.policy

    row = Outgoing.objects.filter(recipients=[address]).latest("id")
    return email.message_from_bytes(decompress(row.template), policy=email.policy.default).get_content()


def test_password_reset_is_mailed_through_the_queue(client, owner_with_password, settings):
    settings.SITE_URL = "https://lists.example.org"
    response = client.post("/accounts/password_reset/", {"email": "owner@example.org"}, HTTP_HOST="evil.example")
    assert response.status_code == 302
    text = _queued_text("owner@example.org")
    link = re.search(r"https://lists\.example\.org(/accounts/reset/\S+)", text)
    assert link, text  # the link names the configured site, never the request's Host
    page = client.get(link.group(1), follow=True)
    assert "new password" in page.content.decode().lower()


def test_a_sign_in_link_works_once(client, lists_with_roles):
    client.post("/accounts/link/", {"email": "moderator@example.org"})
    link = re.search(r"https?://[^/\s]+(/accounts/link/\S+)", _queued_text("moderator@example.org")).group(1)
    assert client.get(link).status_code == 200  # a button, not yet signed in
    assert client.get("/manage/").status_code == 302
    assert client.post(link).status_code == 302
    assert client.get("/manage/").status_code == 200
    client.post("/accounts/logout/")
    assert client.post(link).status_code == 400


def test_a_sign_in_link_creates_the_account_of_a_known_address_only(client, lists_with_roles):
    from django.contrib.auth import get_user_model

    from listhaven.lists.members import add_member
    from listhaven.lists.post import Role

    add_member(lists_with_roles["garden"], "newowner@example.org", role=Role.OWNER)
    client.post("/accounts/link/", {"email": "newowner@example.org"})
    client.post("/accounts/link/", {"email": "unknown@example.org"})
    users = get_user_model().objects
    assert users.filter(email="newowner@example.org").exists()
    assert not users.filter(email="unknown@example.org").exists()
    assert not Outgoing.objects.filter(recipients=["unknown@example.org"]).exists()


def test_csrf_is_required(lists_with_roles):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(lists_with_roles["users"]["owner"])
    held_id = lists_with_roles["held"]["garden"]
    assert client.post(f"/manage/garden/held/{held_id}/", {"action": "discard"}).status_code == 403
    from listhaven.lists.models import HeldMessage

    assert HeldMessage.objects.filter(pk=held_id).exists()
