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


def test_behind_the_reverse_proxy_each_client_is_counted_by_its_own_address(client, owner_with_password):
    # nginx on the same machine: every request comes from 127.0.0.1 with the client in X-Forwarded-For;
    # counted by 127.0.0.1, twenty failures by anyone locked every sign-in on the site
    def via_proxy(username: str, password: str, forwarded: str, remote: str = "127.0.0.1"):
        return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=remote,
                           HTTP_X_FORWARDED_FOR=forwarded)  # fmt: skip

    for n in range(20):  # what a client writes itself before the proxy's own entry is not believed
        via_proxy(f"nobody{n}@example.org", "wrong", f"192.0.2.{n}, 203.0.113.7")
    assert "Too many failed sign-ins" in via_proxy("owner@example.org", "right horse battery", "203.0.113.7").content.decode()
    assert via_proxy("owner@example.org", "right horse battery", "203.0.113.8").status_code == 302
    client.logout()
    # a client that is no proxy does not choose its address by writing the header
    for n in range(20):
        via_proxy(f"nobody{n}@example.org", "wrong", f"198.51.100.{n}", remote="192.0.2.99")
    assert "Too many failed sign-ins" in via_proxy("owner@example.org", "right horse battery", "198.51.100.50",
                                                   remote="192.0.2.99").content.decode()  # fmt: skip


def _queued_text(address: str) -> str:
    import email
    import email.policy

    row = Outgoing.objects.filter(recipients=[address]).latest("id")
    return email.message_from_bytes(decompress(row.template), policy=email.policy.default).get_content()


def test_password_reset_is_mailed_through_the_queue(client, owner_with_password, settings):
    settings.SITE_URL = "https://lists.example.org"
    settings.ALLOWED_HOSTS = ["*"]  # a site that answers any Host (unset, another Host gets 400)
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


@pytest.mark.parametrize("url", ["/accounts/link/", "/accounts/password_reset/"])
def test_account_mail_to_one_address_is_capped_whoever_asks(client, owner_with_password, url):
    """Asked from many clients (a botnet, rotating proxies), the sign-in link and the password reset
    still reach one address at most ACCOUNT_MAIL_TO.attempts times an hour: the per-client limit
    alone let anyone fill a stranger's mailbox. Past the cap the answer is the one every request
    gets, so the page tells nothing about the address."""
    from listhaven.web.accounts.throttle import ACCOUNT_MAIL_TO

    answers = set()
    for n in range(ACCOUNT_MAIL_TO.attempts + 4):
        response = client.post(url, {"email": "Owner@example.org"}, REMOTE_ADDR=f"198.51.100.{n + 1}")
        answers.add((response.status_code, response.get("Location", ""), b"Too many" in response.content))
    assert len(answers) == 1, answers
    assert Outgoing.objects.filter(recipients=["owner@example.org"]).count() == ACCOUNT_MAIL_TO.attempts


@pytest.mark.parametrize("url", ["/accounts/link/", "/accounts/password_reset/"])
def test_the_count_of_mail_to_an_address_does_not_keep_the_address(client, db, url):
    """Anyone may type any address into these forms: the per-address count is kept under a keyed hash,
    so a stranger's address does not stay in the database because someone asked for it."""
    from listhaven.web.models import LoginFailure

    client.post(url, {"email": "Stranger.Asked@Example.net"}, REMOTE_ADDR="198.51.100.1")
    keys = list(LoginFailure.objects.values_list("key", flat=True))
    assert any(key.startswith("mail-to:") for key in keys), keys
    assert not [key for key in keys if "example.net" in key], keys


def test_the_worker_purges_throttle_rows_whose_window_lapsed(db):
    """A row past its window counts nothing; the worker's throttle-purge job deletes it (clients' IP
    addresses, accounts and hashed addresses stay about as long as their window), a current one stays."""
    from datetime import timedelta

    from django.utils import timezone

    from listhaven.delivery.schedule import JOBS
    from listhaven.web.accounts import throttle
    from listhaven.web.models import LoginFailure

    throttle.count(throttle.CLIENT, "192.0.2.7")
    throttle.count(throttle.ACCOUNT, "old@example.org")
    LoginFailure.objects.filter(key="account:old@example.org").update(first_at=timezone.now() - timedelta(hours=2))
    purge = next(job for job in JOBS if job.name == "throttle-purge").load()
    purge()
    ours = LoginFailure.objects.filter(key__in=["client:192.0.2.7", "account:old@example.org"])
    assert list(ours.values_list("key", flat=True)) == ["client:192.0.2.7"]


def test_csrf_is_required(lists_with_roles):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(lists_with_roles["users"]["owner"])
    held_id = lists_with_roles["held"]["garden"]
    assert client.post(f"/manage/garden/held/{held_id}/", {"action": "discard"}).status_code == 403
    from listhaven.lists.models import HeldMessage

    assert HeldMessage.objects.filter(pk=held_id).exists()


def test_a_member_signs_in_to_their_own_lists_not_to_a_refusal(client, lists_with_roles):
    """Mailman's members sign in too: their landing page is their lists (role, delivery, the options
    link of each), not /manage/, which they may not open."""
    from listhaven.lists.members import add_member
    from listhaven.lists.post import Role

    add_member(lists_with_roles["other"], "member@example.org", role=Role.NONMEMBER)  # an owner's rule, not a list of theirs
    client.post("/accounts/link/", {"email": "member@example.org"})
    link = re.search(r"https?://[^/\s]+(/accounts/link/\S+)", _queued_text("member@example.org")).group(1)
    assert client.post(link)["Location"] == "/accounts/"
    html = client.get("/accounts/").content.decode()
    assert "/garden/options/" in html and "/secret/options/" in html  # the private list too: they belong to it
    assert "Other" not in html and "/manage/" not in html
    assert "each post" in html


def test_owners_land_on_the_lists_they_run_and_see_their_own_lists_there_too(client, lists_with_roles):
    client.post("/accounts/link/", {"email": "moderator@example.org"})
    link = re.search(r"https?://[^/\s]+(/accounts/link/\S+)", _queued_text("moderator@example.org")).group(1)
    assert client.post(link)["Location"] == "/manage/"
    html = client.get("/accounts/").content.decode()
    assert 'href="/manage/garden/"' in html and "moderator" in html and "/garden/options/" not in html  # no member row


def test_the_account_page_asks_the_signed_out_to_sign_in(client, lists_with_roles):
    response = client.get("/accounts/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=/accounts/")


@pytest.mark.parametrize("persona, url, says", [
    ("member", "/manage/", "you own or moderate none here"),
    ("moderator", "/manage/garden/settings/", "Only the owners of Garden may open this page."),
    ("owner", "/manage/erase/", "This page is for the site"),
])  # fmt: skip
def test_a_refusal_says_why_on_the_sites_own_page(client_as, persona, url, says):
    response = client_as(persona).get(url)
    html = response.content.decode()
    assert response.status_code == 403
    assert says in html and "Not allowed" in html and "listhaven.css" in html
    assert 'href="/accounts/"' in html  # the way to what they may do


def test_a_form_without_its_csrf_check_gets_a_page_that_says_nothing_changed(lists_with_roles):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post("/listinfo/garden", {"address": "ann@example.net"}, HTTP_REFERER="http://testserver/listinfo/garden")
    html = response.content.decode()
    assert response.status_code == 403
    assert "Nothing was changed" in html and "listhaven.css" in html
    assert 'href="http://testserver/listinfo/garden"' in html  # back to the form's page
    elsewhere = client.post("/listinfo/garden", {"address": "ann@example.net"}, HTTP_REFERER="https://evil.example/x")
    assert "evil.example" not in elsewhere.content.decode()


def test_the_sign_out_address_typed_in_asks_with_a_button(client_as):
    """GET /accounts/logout/ signs nobody out (a link must not) and no longer answers a blank 405."""
    client = client_as("member")
    page = client.get("/accounts/logout/")
    assert page.status_code == 200 and 'action="/accounts/logout/"' in page.content.decode()
    assert client.get("/accounts/").status_code == 200  # still signed in
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/accounts/").status_code == 302
    assert "You are signed out" in client.get("/accounts/logout/").content.decode()
