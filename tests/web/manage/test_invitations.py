"""/manage/LIST/members/invite/: an owner invites; each invitee is mailed and joins only by accepting."""

from __future__ import annotations

import email
import email.policy
import re

from listhaven.archive.compression import decompress
from listhaven.lists.models import Ban, Member, Outgoing, Pending


def _invitations(mlist) -> dict[str, str]:
    """Address -> the confirmation path in its invitation notice."""
    found = {}
    for row in Outgoing.objects.filter(mailing_list=mlist, kind="notice").order_by("id"):
        message = email.message_from_bytes(decompress(bytes(row.template)), policy=email.policy.default)
        text = message.get_body(("plain",)).get_content()
        if "invite" in text and (link := re.search(r"/confirm/[0-9a-f]+", text)):
            found[row.recipients[0]] = link.group(0)
    return found


def test_an_owner_invites_and_only_the_invitees_who_accept_join(client_as, lists_with_roles):
    garden = lists_with_roles["garden"]
    garden.subscribe_policy = "moderate"  # an invitation needs no approval: the owner asked
    garden.save()
    Ban.objects.create(mailing_list=garden, pattern="spammer@example.net")
    addresses = "Nell Grower <nell@example.com>\nfred@example.com\nmember@example.org\nspammer@example.net\nnot an address\n"
    client = client_as("owner")
    response = client.post("/manage/garden/members/invite/", {"addresses": addresses}, follow=True)
    page = response.content.decode()
    assert "2 invited, 1 already members, 1 banned, 1 not valid." in page
    assert "not an address" in page and "spammer@example.net: banned" in page

    links = _invitations(garden)
    assert set(links) == {"nell@example.com", "fred@example.com"}
    assert Pending.objects.filter(mailing_list=garden, purpose="invite").count() == 2
    assert not Member.objects.filter(mailing_list=garden, address__in=["nell@example.com", "fred@example.com"]).exists()

    invitee = client_as("anonymous")
    invitee.logout()
    shown = invitee.get(links["nell@example.com"])
    assert shown.status_code == 200 and "accept the invitation of nell@example.com" in shown.content.decode()
    assert not Member.objects.filter(mailing_list=garden, address="nell@example.com").exists()  # a GET acts on nothing
    assert invitee.post(links["nell@example.com"]).status_code == 200
    nell = Member.objects.get(mailing_list=garden, address="nell@example.com")
    assert (nell.role, nell.display_name) == ("member", "Nell Grower")
    assert invitee.post(links["nell@example.com"]).status_code == 404  # used once
    assert not Member.objects.filter(mailing_list=garden, address="fred@example.com").exists()


def test_a_name_the_members_pages_would_refuse_invites_nobody_and_says_why(client_as, lists_with_roles):
    """The form's names are checked as the subscribe, options and member pages check them: a control
    character or more than 200 characters is refused with the reason; that line invites nobody,
    the others are invited."""
    garden = lists_with_roles["garden"]
    long = "L" * 201
    addresses = f'"Tess\tGrower" <tess@example.com>\n{long} <lee@example.com>\nUma <uma@example.com>\n'
    page = client_as("owner").post("/manage/garden/members/invite/", {"addresses": addresses}, follow=True).content.decode()
    assert "1 invited, 0 already members, 0 banned, 2 not valid." in page
    assert "a name may not hold control characters or line breaks" in page
    assert "a name has at most 200 characters (this one has 201)" in page
    assert set(_invitations(garden)) == {"uma@example.com"}
    assert list(Pending.objects.filter(mailing_list=garden, purpose="invite").values_list("address", flat=True)) == [
        "uma@example.com"
    ]


def test_invitations_are_for_owners_and_a_huge_list_invites_nobody(client_as, lists_with_roles):
    assert client_as("moderator").post("/manage/garden/members/invite/", {"addresses": "x@example.com"}).status_code == 403
    assert not Pending.objects.filter(purpose="invite").exists()
    many = "\n".join(f"p{n}@example.com" for n in range(1001))
    page = client_as("owner").post("/manage/garden/members/invite/", {"addresses": many}, follow=True).content.decode()
    assert "at most 1000 invitations" in page
    assert not Pending.objects.filter(purpose="invite").exists()


def test_mass_subscribe_welcomes_with_the_lists_own_welcome_notice(client_as, lists_with_roles):
    garden = lists_with_roles["garden"]
    garden.notice_templates = {"welcome": {"subject": "Hello from {list_name}",
                                           "body": "Glad you came, {address}. Options: {options_url}\n"}}  # fmt: skip
    garden.save()
    client_as("owner").post("/manage/garden/members/add/", {"addresses": "rose@example.com\nsam@example.com",
                                                           "role": "member", "welcome": "1"})  # fmt: skip
    welcomes = {}
    for row in Outgoing.objects.filter(mailing_list=garden, kind="notice").order_by("id"):
        message = email.message_from_bytes(decompress(bytes(row.template)), policy=email.policy.default)
        if message["Subject"] == "Hello from garden":
            welcomes[row.recipients[0]] = message.get_body(("plain",)).get_content()
    assert set(welcomes) == {"rose@example.com", "sam@example.com"}
    assert "Glad you came, rose@example.com. Options: " in welcomes["rose@example.com"]
    assert "/garden/options/" in welcomes["rose@example.com"]
