"""Pages that show one person's own data (their address, their options, what a link mailed to them
confirms) are theirs alone, whoever the reader and whatever the list: `Cache-Control: private,
no-store`, so neither a shared cache nor the browser's own disk keeps them (a proxy answering
`/LIST/options/` to the next person behind it; the personal data download left in a library
computer's cache). They were answered with no Cache-Control at all on public lists and to a reader
proven by a mailed link rather than signed in."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from django.test import Client

ADDRESS = "mem@example.org"


@pytest.fixture
def lists(db):
    from listhaven.lists.directory import create_list
    from listhaven.lists.members import add_member
    from listhaven.lists.post import Role

    made = {policy: create_list(f"{name}@lists.example.org", archive_policy=policy)
            for policy, name in (("public", "open"), ("members", "club"))}  # fmt: skip
    for mlist in made.values():
        add_member(mlist, ADDRESS, role=Role.MEMBER)
    return made


def _personal(response, where) -> None:
    assert response.status_code == 200, where
    control = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    assert {"private", "no-store"} <= control, (where, response.get("Cache-Control"))
    assert "public" not in control, where


@pytest.mark.parametrize("policy", ["public", "members"])
def test_pages_of_one_persons_links_are_never_stored(lists, policy):
    from listhaven.lists.bounces import reenable_url
    from listhaven.lists.held_tokens import WITHDRAW, held_token
    from listhaven.lists.posting import receive_post
    from listhaven.lists.subscriptions import create_pending
    from listhaven.lists.unsubscribe import unsubscribe_token

    mlist = lists[policy]
    anonymous = Client()
    unsubscribe = unsubscribe_token(mlist.address, ADDRESS, int(time.time()))
    _personal(anonymous.get(f"/{mlist.name}/unsubscribe/{unsubscribe}"), "unsubscribe")
    reenable = reenable_url(mlist, ADDRESS, datetime.now(UTC)).split("/reenable/")[1]
    _personal(anonymous.get(f"/{mlist.name}/reenable/{reenable}"), "reenable")
    _personal(anonymous.get(f"/confirm/{create_pending(mlist, 'subscribe', 'new@example.org')}"), "confirm")
    raw = (f"From: outsider@example.net\nTo: {mlist.address}\nSubject: Held\nMessage-ID: <held@{mlist.name}>\n\n"
           "Hello.\n").encode()  # fmt: skip
    held = receive_post(mlist, raw, envelope_sender="outsider@example.net").held_id
    from listhaven.lists.models import HeldMessage

    token = held_token(HeldMessage.objects.get(pk=held), WITHDRAW)
    _personal(anonymous.get(f"/{mlist.name}/held/withdraw/{token}"), "withdraw")

    from django.contrib.auth import get_user_model

    from listhaven.web.accounts.signin_link import link_path_parts

    account = get_user_model().objects.get_or_create(username=ADDRESS, email=ADDRESS)[0]
    _personal(anonymous.get("/accounts/link/{}/{}/".format(*link_path_parts(account))), "sign-in link")

    # A member proven by the one-time options link (not signed in): the link's page, then their
    # options and their data, on a public list as on a private one.
    proven = Client()
    link = f"/{mlist.name}/options/{create_pending(mlist, 'options', ADDRESS)}"
    _personal(proven.get(link), "options link")
    assert proven.post(link).status_code == 302
    _personal(proven.get(f"/{mlist.name}/options/"), "options")
    _personal(proven.get("/accounts/data.json"), "data.json")


def test_a_signed_in_persons_own_pages_are_never_stored(lists, django_user_model):
    client = Client()
    client.force_login(django_user_model.objects.create_user(ADDRESS, email=ADDRESS))
    for url in ("/accounts/", "/accounts/data.json", "/accounts/delete/", "/accounts/api-token/", "/open/options/",
                "/club/options/"):  # fmt: skip
        _personal(client.get(url), url)


def test_archive_pages_stay_revalidated_not_unstored(lists, django_user_model):
    """The archive's own pages keep their caching (docs/urls.md): no-store is for personal pages only."""
    from tests.web.conftest import make_message, store

    store(lists["public"], [make_message("one@example.org")])
    assert Client().get("/open/")["Cache-Control"] == "public, no-cache"
    client = Client()
    client.force_login(django_user_model.objects.create_user(ADDRESS, email=ADDRESS))
    assert client.get("/club/")["Cache-Control"] == "private, no-cache"
