"""Subscriptions: each policy for joining and leaving, invitations, bans, and the Pending tokens
(random, stored as a hash, single purpose, bound to a list, expiring, used once) — against a real store,
reading the notices from the outgoing queue."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from listhaven.archive.compression import decompress
from listhaven.lists.directory import create_list
from listhaven.lists.members import add_member, find_member
from listhaven.lists.models import Ban, Member, Outgoing, Pending
from listhaven.lists.notices import NOTICES, render_notice, send_notice
from listhaven.lists.subscriptions import (
    Status,
    confirm,
    create_pending,
    find_pending,
    invite,
    leave,
    purge_expired,
    request_options_link,
    request_subscription,
    request_unsubscription,
    token_hash,
)

LIST = "garden@lists.example.org"
ANN = "ann@example.org"


@pytest.fixture
def mlist(db):
    made = create_list(LIST, description="Vegetables and how to grow them.")
    add_member(made, "owner@example.com", role="owner")
    return made


def queued() -> list[tuple[list[str], email.message.Message]]:
    """Every queued notice: (recipients, parsed message), oldest first."""
    return [(row.recipients, email.message_from_bytes(decompress(bytes(row.template)), policy=email.policy.default))
            for row in Outgoing.objects.order_by("id")]  # fmt: skip


def last_token() -> str:
    _, message = queued()[-1]
    found = re.search(r"/confirm/([0-9a-f]+)", message.get_payload(decode=True).decode())
    assert found, "the notice carries a confirmation link"
    return found.group(1)


def test_confirm_policy_sends_a_confirmation_and_subscribes_only_when_confirmed(mlist):
    outcome = request_subscription(mlist, "Ann@EXAMPLE.org", display_name="Ann", digest="plain")
    assert outcome.status == Status.CONFIRM_SENT
    assert find_member(mlist, ANN) is None
    recipients, message = queued()[-1]
    assert recipients == ["Ann@example.org"]
    token = last_token()
    assert message["Subject"] == f"confirm {token}"
    assert message["Reply-To"] == f"garden-confirm+{token}@lists.example.org"
    assert message["Auto-Submitted"] == "auto-generated"
    assert confirm(find_pending(token)).status == Status.SUBSCRIBED
    member = find_member(mlist, "Ann@example.org")
    assert member is not None and member.display_name == "Ann" and member.delivery_mode == "plain_digest"
    assert "Welcome to" in queued()[-1][1]["Subject"]


def test_token_is_stored_only_as_its_hash(mlist):
    request_subscription(mlist, ANN)
    token = last_token()
    assert len(token) == 40
    row = Pending.objects.get()
    assert row.token_hash == token_hash(token) != token
    assert not Pending.objects.filter(token_hash=token).exists()


def test_token_rejected_after_use_after_expiry_and_on_another_list(mlist):
    other = create_list("other@lists.example.org")
    request_subscription(mlist, ANN)
    token = last_token()
    assert find_pending(token, mlist=other) is None
    assert find_pending(token, purposes={"unsubscribe"}) is None
    assert find_pending(token[:-1] + ("0" if token[-1] != "0" else "1")) is None
    pending = find_pending(token, mlist=mlist)
    assert confirm(pending).status == Status.SUBSCRIBED
    assert find_pending(token) is None
    assert confirm(pending).status == Status.INVALID  # a second use of the same row does nothing

    request_subscription(mlist, "bob@example.net")
    expiring = last_token()
    Pending.objects.filter(address="bob@example.net").update(expires_at=timezone.now() - timedelta(seconds=1))
    assert find_pending(expiring) is None
    assert purge_expired() >= 1


def test_token_is_case_insensitive_for_mail_software_that_changes_case(mlist):
    request_subscription(mlist, ANN)
    assert find_pending(last_token().upper()) is not None


def test_open_policy_subscribes_at_once_with_a_welcome(mlist):
    mlist.subscribe_policy = "open"
    mlist.save()
    assert request_subscription(mlist, ANN).status == Status.SUBSCRIBED
    assert find_member(mlist, ANN) is not None
    assert queued()[-1][0] == [ANN] and "Welcome" in queued()[-1][1]["Subject"]


def test_no_welcome_when_the_list_turns_it_off(mlist):
    mlist.subscribe_policy = "open"
    mlist.send_welcome = False
    mlist.save()
    request_subscription(mlist, ANN)
    assert find_member(mlist, ANN) is not None and not Outgoing.objects.exists()


def test_moderate_policy_asks_the_owners(mlist):
    mlist.subscribe_policy = "moderate"
    mlist.save()
    assert request_subscription(mlist, ANN).status == Status.APPROVAL_ASKED
    recipients, message = queued()[-1]
    assert recipients == ["owner@example.com"] and ANN in message.get_payload(decode=True).decode()
    assert confirm(find_pending(last_token())).status == Status.SUBSCRIBED
    assert find_member(mlist, ANN) is not None


def test_confirm_then_moderate(mlist):
    mlist.subscribe_policy = "confirm_moderate"
    mlist.save()
    request_subscription(mlist, ANN)
    assert confirm(find_pending(last_token())).status == Status.APPROVAL_ASKED
    assert find_member(mlist, ANN) is None
    assert queued()[-1][0] == ["owner@example.com"]
    assert confirm(find_pending(last_token())).status == Status.SUBSCRIBED
    assert find_member(mlist, ANN) is not None


def test_invitation_is_confirmed_by_the_address(mlist):
    assert invite(mlist, ANN, inviter="owner@example.com").status == Status.INVITED
    recipients, message = queued()[-1]
    assert recipients == [ANN] and "invite" in message.get_payload(decode=True).decode()
    mlist.subscribe_policy = "moderate"  # an invitation needs no approval
    mlist.save()
    assert confirm(find_pending(last_token())).status == Status.SUBSCRIBED


@pytest.mark.parametrize("name, reason", [
    ("Ann\r\nBcc: everyone@example.net", "control characters or line breaks"),
    ("Ann\x07Example", "control characters or line breaks"),
    ("Ann\u2028Example", "control characters or line breaks"),
    ("A" * 201, "at most 200 characters (this one has 201)"),
])  # fmt: skip
def test_an_invitation_with_a_name_a_member_could_not_have_invites_nobody(mlist, name, reason):
    """The name goes into the member's row, and from there into From/To headers, the roster and the
    CSV export: it is refused as the subscribe, options and members pages refuse it, with the reason,
    and nothing is kept (no confirmation waiting, no mail)."""
    outcome = invite(mlist, ANN, display_name=name, inviter="owner@example.com")
    assert (outcome.status, outcome.address) == (Status.INVALID, ANN)
    assert reason in outcome.detail
    assert not Pending.objects.exists() and not Outgoing.objects.exists()
    assert invite(mlist, ANN, display_name="  Ann Example ", inviter="owner@example.com").status == Status.INVITED
    assert Pending.objects.get().payload["display_name"] == "Ann Example"


def test_an_invitation_waiting_from_before_names_were_checked_joins_without_its_name(mlist):
    """Invitations sent before their names were checked kept a name with a tab or a line break for the
    member row the acceptance makes: it joins, without that name."""
    token = create_pending(mlist, "invite", ANN, {"display_name": "Ann\r\nExample", "origin": "invitation"})
    assert confirm(find_pending(token)).status == Status.SUBSCRIBED
    assert find_member(mlist, ANN).display_name == ""


def test_bans_stop_subscriptions_quietly(mlist):
    Ban.objects.create(mailing_list=mlist, pattern=r"^.*@spam\.example$")
    Ban.objects.create(mailing_list=None, pattern="ann@example.org")
    assert request_subscription(mlist, "x@spam.example").status == Status.BANNED
    assert request_subscription(mlist, ANN).status == Status.BANNED
    assert invite(mlist, ANN).status == Status.BANNED
    assert not Outgoing.objects.exists() and not Pending.objects.exists()


def test_a_ban_made_after_the_request_stops_the_confirmation(mlist):
    request_subscription(mlist, ANN)
    token = last_token()
    Ban.objects.create(mailing_list=mlist, pattern=ANN)
    assert confirm(find_pending(token)).status == Status.BANNED
    assert find_member(mlist, ANN) is None


def test_already_a_member_gets_a_notice_not_a_second_row(mlist):
    add_member(mlist, ANN)
    assert request_subscription(mlist, ANN).status == Status.ALREADY
    assert "already subscribed" in queued()[-1][1]["Subject"]
    assert Member.objects.filter(mailing_list=mlist, address=ANN).count() == 1


def test_unsubscribe_policies(mlist):
    add_member(mlist, ANN)
    assert request_unsubscription(mlist, "nobody@example.org").status == Status.NOT_MEMBER
    assert request_unsubscription(mlist, ANN).status == Status.CONFIRM_SENT  # default: confirm
    assert find_member(mlist, ANN) is not None
    assert confirm(find_pending(last_token())).status == Status.UNSUBSCRIBED
    assert find_member(mlist, ANN) is None
    assert "You have left" in queued()[-1][1]["Subject"]

    add_member(mlist, ANN)
    mlist.unsubscribe_policy = "open"
    mlist.send_goodbye = False
    mlist.save()
    before = Outgoing.objects.count()
    assert request_unsubscription(mlist, ANN).status == Status.UNSUBSCRIBED
    assert Outgoing.objects.count() == before  # no goodbye: the list turned it off


def test_leave_sends_goodbye_and_reports_non_members(mlist):
    add_member(mlist, ANN)
    assert leave(mlist, ANN) is True
    assert leave(mlist, ANN) is False
    assert [r for r, _ in queued()] == [[ANN]]


def test_options_link_only_for_members(mlist):
    assert request_options_link(mlist, ANN).status == Status.NOT_MEMBER
    assert not Outgoing.objects.exists()
    add_member(mlist, ANN)
    assert request_options_link(mlist, ANN).status == Status.LINK_SENT
    body = queued()[-1][1].get_payload(decode=True).decode()
    assert "/garden/options/" in body
    assert Pending.objects.get().purpose == "options"


def test_owner_templates_override_the_site_default(mlist):
    mlist.notice_templates = {"welcome": {"subject": "Hello {address}!", "body": "Grow {list_name}. {x.__class__}"}}
    mlist.save()
    subject, body = render_notice(mlist, "welcome", {"address": ANN})
    assert subject == f"Hello {ANN}!"
    assert body == "Grow garden. {x.__class__}"  # unknown placeholders stay as written, never evaluated
    subject, body = render_notice(mlist, "goodbye", {"address": ANN})
    assert subject == NOTICES["goodbye"].subject.format(list_title=mlist.title)


def test_send_notice_queues_one_message_per_call(mlist):
    row = send_notice(mlist, "help", ["a@example.org", "b@example.org"])
    assert row.kind == "notice" and row.recipients == ["a@example.org", "b@example.org"] and not row.personalised
    message = queued()[-1][1]
    assert message["From"].endswith("<garden-owner@lists.example.org>")
    assert "garden-request@lists.example.org" in message.get_payload(decode=True).decode()


def test_members_invite_command(mlist, capsys):
    from listhaven.cli import build_parser

    args = build_parser().parse_args(["members", "invite", "garden", ANN, "not an address"])
    assert args.handler(args) == 1  # one address was refused
    out = capsys.readouterr().out
    assert f"{ANN}\tinvited" in out and "not a valid address" in out
    assert Pending.objects.get().purpose == "invite"
    assert queued()[-1][0] == [ANN]


def test_a_member_changes_address_once_the_new_one_confirms_options_kept(mlist):
    from listhaven.lists.subscriptions import request_address_change

    member = add_member(mlist, ANN)
    Member.objects.filter(pk=member.pk).update(delivery_mode="mime_digest", hide_address=True)
    member.refresh_from_db()
    assert request_address_change(mlist, member, "not an address").status == Status.INVALID
    assert request_address_change(mlist, member, "ANN@example.org").status == Status.ALREADY
    assert request_address_change(mlist, member, "ann.new@Example.ORG").status == Status.CONFIRM_SENT
    recipients, message = queued()[-1]
    assert recipients == ["ann.new@example.org"]  # the new address proves it reads its mail
    assert "change the address ann@example.org to ann.new@example.org" in message.get_content()
    assert find_member(mlist, ANN) is not None  # nothing changed yet
    outcome = confirm(find_pending(last_token()))
    assert outcome.status == Status.ADDRESS_CHANGED
    assert find_member(mlist, ANN) is None
    moved = find_member(mlist, "ann.new@example.org")
    assert (moved.pk, moved.delivery_mode, moved.hide_address) == (member.pk, "mime_digest", True)


def test_a_change_of_address_everywhere_skips_lists_the_new_address_may_not_join(mlist):
    from listhaven.lists.subscriptions import request_address_change

    herbs, fruit, other = (create_list(f"{n}@lists.example.org") for n in ("herbs", "fruit", "other"))
    for each in (mlist, herbs, fruit):
        add_member(each, ANN)
    add_member(herbs, "ann.new@example.org")  # already there
    Ban.objects.create(mailing_list=fruit, pattern="ann.new@example.org")
    add_member(other, "someone@example.org")
    request_address_change(mlist, find_member(mlist, ANN), "ann.new@example.org", everywhere=True)
    outcome = confirm(find_pending(last_token()))
    assert outcome.status == Status.ADDRESS_CHANGED and "Fruit, Herbs, where" in outcome.detail
    assert find_member(mlist, ANN) is None and find_member(mlist, "ann.new@example.org") is not None
    assert find_member(herbs, ANN) is not None and find_member(fruit, ANN) is not None  # left as they were
    assert find_member(fruit, "ann.new@example.org") is None
    assert confirm(find_pending(last_token()) or Pending.objects.latest("id")).status == Status.INVALID  # used once
