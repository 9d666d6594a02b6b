"""Which list and role an LMTP recipient names."""

from __future__ import annotations

import pytest

from listhaven.lists.directory import ListNotFound, create_list
from listhaven.lists.routing import resolve, service_address


@pytest.fixture
def lists(db):
    return create_list("garden@lists.example.org"), create_list("garden-owner-talk@lists.example.org")


@pytest.mark.parametrize(("recipient", "role", "detail"), [
    ("garden@lists.example.org", "post", ""), ("Garden@Lists.Example.org", "post", ""),
    ("garden-owner@lists.example.org", "owner", ""), ("garden-request@lists.example.org", "request", ""),
    ("garden-join@lists.example.org", "join", ""), ("garden-leave@lists.example.org", "leave", ""),
    ("garden-confirm+Tok3n@lists.example.org", "confirm", "Tok3n"),
    ("garden-bounces@lists.example.org", "bounces", ""),
    ("garden-bounces+ann=example.org@lists.example.org", "bounces", "ann=example.org"),
    ("<garden-BOUNCES@lists.example.org>", "bounces", ""),
    # Mailman's names for join and leave: in a moved site's Postfix tables and its members' address books
    ("garden-subscribe@lists.example.org", "join", ""), ("garden-unsubscribe@lists.example.org", "leave", ""),
])  # fmt: skip
def test_a_lists_addresses(lists, recipient, role, detail):
    destination = resolve(recipient)
    assert (destination.mailing_list, destination.role, destination.detail) == (lists[0], role, detail)
    assert destination.recipient == recipient


def test_a_list_whose_name_ends_like_a_role_is_its_own_list(lists):
    assert (resolve("garden-owner-talk@lists.example.org").mailing_list, resolve(
        "garden-owner-talk@lists.example.org").role) == (lists[1], "post")  # fmt: skip


@pytest.mark.parametrize("recipient", [
    "nobody@lists.example.org", "garden@other.example.org", "garden+x@lists.example.org",
    "garden-owner+x@lists.example.org", "garden-admin@lists.example.org", "-bounces@lists.example.org", "garden",
])  # fmt: skip
def test_everything_else_is_not_found(lists, recipient):
    with pytest.raises(ListNotFound):
        resolve(recipient)


def test_service_address(lists):
    assert service_address(lists[0], "owner") == "garden-owner@lists.example.org"
    assert service_address(lists[0], "join") == "garden-join@lists.example.org"
    assert service_address(lists[0], "leave") == "garden-leave@lists.example.org"
    assert service_address(lists[0], "bounces") == "garden-bounces@lists.example.org"
