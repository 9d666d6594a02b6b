"""Fixtures of the /manage/ tests: two lists with people in every role, and a held post."""

from __future__ import annotations

import pytest

PERSONAS = ("anonymous", "stranger", "member", "moderator", "other_owner", "owner", "site_admin")


def held_post_bytes(sender: str = "outsider@example.net", subject: str = "A question", body: str = "Hello list.\n",
                    msgid: str = "held-1@example.net", to: str = "garden@lists.example.org") -> bytes:  # fmt: skip
    return (f"From: {sender}\nTo: {to}\nSubject: {subject}\nDate: Mon, 30 Nov 2026 10:00:00 +0000\n"
            f"Message-ID: <{msgid}>\nContent-Type: text/plain; charset=utf-8\n\n{body}").encode()  # fmt: skip


@pytest.fixture
def lists_with_roles(db, django_user_model):
    """`garden` (public) and `secret` (private), each with a member, a moderator and an owner;
    `other` owned by other_owner; an account for each persona (site_admin is staff); one post held
    on each of garden and secret."""
    from listhaven.lists.directory import create_list
    from listhaven.lists.members import add_member
    from listhaven.lists.post import Role
    from listhaven.lists.posting import receive_post

    garden = create_list("garden@lists.example.org", display_name="Garden")
    secret = create_list("secret@lists.example.org", display_name="Secret", private=True)
    other = create_list("other@lists.example.org", display_name="Other")
    users = {}
    for persona in PERSONAS[1:]:
        address = f"{persona.replace('_', '-')}@example.org"
        users[persona] = django_user_model.objects.create_user(
            username=address, email=address, password=None, is_staff=persona == "site_admin"
        )
    for mlist in (garden, secret):
        add_member(mlist, "member@example.org", role=Role.MEMBER)
        add_member(mlist, "moderator@example.org", role=Role.MODERATOR)
        add_member(mlist, "owner@example.org", role=Role.OWNER)
    add_member(other, "other-owner@example.org", role=Role.OWNER)
    held = {}
    for mlist in (garden, secret):
        outcome = receive_post(
            mlist, held_post_bytes(to=mlist.address, msgid=f"held@{mlist.name}"), envelope_sender="outsider@example.net"
        )
        held[mlist.name] = outcome.held_id
    assert all(held.values())
    return {"garden": garden, "secret": secret, "other": other, "users": users, "held": held}


@pytest.fixture
def client_as(client, lists_with_roles):
    def sign_in(persona: str):
        if persona != "anonymous":
            client.force_login(lists_with_roles["users"][persona])
        return client

    return sign_in
