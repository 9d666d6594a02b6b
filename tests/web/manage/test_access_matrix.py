"""Every /manage/ URL, enumerated from the URL resolver, for every persona, GET and POST.

A URL added tomorrow is walked too: the test fails until its need is written in NEEDS below and
its view carries the same need (web/manage/guard.py), so no page can be added unguarded."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.web.manage.conftest import PERSONAS

# The need of each /manage/ URL (by name): who may use it.
NEEDS = {
    "manage": "any",
    "manage-new-list": "site",
    "manage-quarantine": "site",
    "manage-erase": "site",
    "manage-list": "moderate",
    "manage-remove": "site",
    "manage-held": "moderate",
    "manage-held-post": "moderate",
    "manage-bans": "moderate",
    "manage-list-erase": "erase",
    "manage-members": "administer",
    "manage-members-add": "administer",
    "manage-members-remove": "administer",
    "manage-members-invite": "administer",
    "manage-members-csv": "administer",
    "manage-requests": "administer",
    "manage-member": "administer",
    "manage-settings": "administer",
    "manage-history": "administer",
    "manage-notices": "administer",
    "manage-notice": "administer",
    "manage-remove-message": "administer",
    "outbox": "site",
    "outbox-message": "site",
    "outbox-raw": "site",
}

# Personas allowed by each need, on a list where member/moderator/owner hold those roles.
ALLOWED = {
    "any": {"moderator", "other_owner", "owner", "site_admin"},
    "moderate": {"moderator", "owner", "site_admin"},
    "administer": {"owner", "site_admin"},
    "erase": {"owner", "site_admin"},  # access.can_erase: not moderators
    "site": {"site_admin"},
}
READERS_OF_PRIVATE = {"member", "moderator", "owner", "site_admin"}


def manage_patterns():
    """(route, name, view) of every URL whose route starts with manage/."""
    found = []

    def walk(patterns, prefix):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                if route.startswith("manage/"):
                    found.append((route, p.name, p.callback))

    walk(get_resolver().url_patterns, "")
    return found


ROUTES = manage_patterns()


def test_the_walk_finds_the_manage_pages():
    names = {name for _, name, _ in ROUTES}
    assert {"manage", "manage-held", "manage-members", "manage-settings"} <= names


@pytest.mark.parametrize("route,name,view", ROUTES, ids=[r for r, _, _ in ROUTES])
def test_every_manage_url_declares_its_need(route, name, view):
    assert name in NEEDS, f"/{route} ({name}) is not in the access matrix: add its need to NEEDS"
    assert getattr(view, "manage_need", None) == NEEDS[name], f"/{route}: the view is not guarded as {NEEDS[name]!r}"


def _a_message(mlist) -> str:
    """The public id of a message of the list, stored on first use."""
    from listhaven.archive.models import Message
    from tests.web.conftest import make_message, store

    if not Message.objects.filter(mailing_list=mlist).exists():
        store(mlist, [make_message(f"one@{mlist.name}.example.org", to=mlist.address)])
    return Message.objects.filter(mailing_list=mlist).values_list("public_id", flat=True).first()


def concrete(route: str, list_name: str, data) -> str:
    values = {"list_name": list_name, "held_id": data["held"][list_name], "key": data["outbox_key"],
              "member_id": data[list_name].members.get(address="member@example.org").pk,
              "message_hash": _a_message(data[list_name]), "name": "welcome"}  # fmt: skip

    def fill(match):
        name = match.group(2)
        assert name in values, f"no test value for URL argument {name!r} of /{route}"
        return str(values[name])

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", fill, route)


def expected(persona: str, need: str, list_name: str | None) -> str:
    if persona == "anonymous":
        return "login"
    if list_name == "secret" and persona not in READERS_OF_PRIVATE:
        return "404"
    return "allowed" if persona in ALLOWED[need] else "403"


def answer(response) -> str:
    if response.status_code == 302 and response["Location"].startswith("/accounts/login/"):
        return "login"
    if response.status_code in (403, 404):
        return str(response.status_code)
    assert response.status_code < 500, response.status_code
    return "allowed"


@pytest.fixture
def outbox_message(settings, tmp_path, lists_with_roles):
    """One message in an outbox of the test's own, so the outbox's message pages have one to show."""
    settings.DATA_DIR = tmp_path
    (tmp_path / "outbox" / "new").mkdir(parents=True)
    (tmp_path / "outbox" / "new" / "1700000000.M1P1.test").write_bytes(
        b"Return-Path: <garden-bounces@lists.example.org>\nDelivered-To: member@example.org\n"
        b"From: garden@lists.example.org\nSubject: hello\n\nbody\n"
    )
    lists_with_roles["outbox_key"] = "1700000000.M1P1.test"


@pytest.mark.usefixtures("outbox_message")
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("list_name", ["garden", "secret"])
def test_access_matrix(client_as, lists_with_roles, persona, method, list_name):
    client = client_as(persona)
    seen = {}
    for route, name, _ in ROUTES:
        on_list = "<list:list_name>" in route
        if not on_list and list_name == "secret":
            continue  # site pages: walked once
        url = concrete(route, list_name, lists_with_roles)
        response = getattr(client, method)(url)
        seen[f"{method.upper()} {url}"] = (answer(response), expected(persona, NEEDS[name], list_name if on_list else None))
    wrong = {url: got for url, got in seen.items() if got[0] != got[1]}
    assert not wrong, f"{persona}: (answer, expected) {wrong}"


def test_a_refused_post_changes_nothing(client_as, lists_with_roles):
    from listhaven.lists.models import HeldMessage, Member

    garden = lists_with_roles["garden"]
    client = client_as("moderator")
    member = garden.members.get(address="member@example.org")
    response = client.post(f"/manage/garden/members/{member.pk}/", {"remove": "1"})
    assert response.status_code == 403
    assert Member.objects.filter(pk=member.pk).exists()
    client = client_as("member")
    held_id = lists_with_roles["held"]["garden"]
    assert client.post(f"/manage/garden/held/{held_id}/", {"action": "discard"}).status_code == 403
    assert HeldMessage.objects.filter(pk=held_id).exists()
