"""/manage/LIST/requests/: subscriptions and departures waiting for an owner, approved and refused
(one by one and in bulk), each decided once, with the notices the addresses get."""

from __future__ import annotations

import email
import email.policy

from listhaven.archive.compression import decompress
from listhaven.lists.members import find_member
from listhaven.lists.models import Outgoing, Pending, RequestDecision
from listhaven.lists.subscriptions import Status, request_subscription, request_unsubscription


def notices_to(address: str) -> list[email.message.EmailMessage]:
    rows = Outgoing.objects.filter(kind="notice").order_by("id")
    return [email.message_from_bytes(decompress(bytes(r.template)), policy=email.policy.default)
            for r in rows if address in r.recipients]  # fmt: skip


def ask(mlist, address: str, name: str = "") -> int:
    mlist.subscribe_policy = "moderate"
    mlist.save(update_fields=["subscribe_policy"])
    assert request_subscription(mlist, address, display_name=name).status == Status.APPROVAL_ASKED
    return Pending.objects.filter(mailing_list=mlist, address=address, used_at__isnull=True).latest("id").pk


def test_requests_are_listed_and_approved(client_as, lists_with_roles):
    garden = lists_with_roles["garden"]
    pk = ask(garden, "newcomer@example.net", "New Comer")
    client = client_as("owner")
    page = client.get("/manage/garden/requests/").content.decode()
    assert "newcomer@example.net" in page and "New Comer" in page and "Requests (1)" in page
    assert "newcomer@example.net" not in client.get("/manage/secret/requests/").content.decode()
    response = client.post("/manage/garden/requests/", {"approve": str(pk)}, follow=True)
    assert "newcomer@example.net: subscribed." in response.content.decode()
    member = find_member(garden, "newcomer@example.net")
    assert member is not None and member.display_name == "New Comer"
    assert any(m["Subject"].startswith("Welcome to") for m in notices_to("newcomer@example.net"))
    assert "No request waits" in client.get("/manage/garden/requests/").content.decode()


def test_refused_with_a_reason_and_decided_only_once(client_as, lists_with_roles):
    garden = lists_with_roles["garden"]
    pk = ask(garden, "doubtful@example.net")
    client = client_as("owner")
    client.post("/manage/garden/requests/", {"refuse": str(pk), "reason": "This list is for the club's members."})
    assert find_member(garden, "doubtful@example.net") is None
    [notice] = notices_to("doubtful@example.net")
    assert "refused" in notice["Subject"]
    assert "This list is for the club's members." in notice.get_body(("plain",)).get_content()
    again = client.post("/manage/garden/requests/", {"approve": str(pk)}, follow=True).content.decode()
    assert "decided meanwhile" in again and find_member(garden, "doubtful@example.net") is None


def test_bulk_approve_and_departures(client_as, lists_with_roles):
    garden = lists_with_roles["garden"]
    ids = [ask(garden, f"joiner{n}@example.net") for n in range(3)]
    garden.unsubscribe_policy = "moderate"
    garden.save(update_fields=["unsubscribe_policy"])
    assert request_unsubscription(garden, "member@example.org").status == Status.APPROVAL_ASKED
    leaving = Pending.objects.get(mailing_list=garden, address="member@example.org", purpose="approve_unsubscribe").pk
    client = client_as("owner")
    assert "leave" in client.get("/manage/garden/requests/").content.decode()
    client.post("/manage/garden/requests/", {"action": "approve", "request": [str(i) for i in [*ids[:2], leaving]]})
    assert all(find_member(garden, f"joiner{n}@example.net") for n in range(2))
    assert find_member(garden, "joiner2@example.net") is None
    assert find_member(garden, "member@example.org") is None


def test_another_lists_request_cannot_be_decided_here(client_as, lists_with_roles):
    secret = lists_with_roles["secret"]
    pk = ask(secret, "someone@example.net")
    client_as("owner").post("/manage/garden/requests/", {"approve": str(pk)})
    assert find_member(secret, "someone@example.net") is None
    assert Pending.objects.get(pk=pk).used_at is None


def test_discarded_without_a_word_to_the_address_and_recorded(client_as, lists_with_roles):
    """Mailman's discard (spam sign-ups): the request is spent, the address gets no mail; the decision
    is recorded with who made it, as approvals and refusals are, and listed under the requests."""
    garden = lists_with_roles["garden"]
    spam = ask(garden, "bot1@spam.example")
    bulk = [ask(garden, f"bot{n}@spam.example") for n in (2, 3)]
    kept = ask(garden, "friend@example.net")
    client = client_as("owner")
    assert f'name="discard" value="{spam}"' in client.get("/manage/garden/requests/").content.decode()

    one = client.post("/manage/garden/requests/", {"discard": str(spam)}, follow=True).content.decode()
    several = client.post("/manage/garden/requests/", {"action": "discard", "request": [str(i) for i in bulk],
                                                       "reason": "sign-up spam"}, follow=True).content.decode()  # fmt: skip
    client.post("/manage/garden/requests/", {"refuse": str(kept), "reason": "Club members only."})

    assert "bot1@spam.example: discarded (not told)." in one and "bot3@spam.example: discarded (not told)." in several
    assert all(find_member(garden, f"bot{n}@spam.example") is None for n in (1, 2, 3))
    assert all(notices_to(f"bot{n}@spam.example") == [] for n in (1, 2, 3))  # no mail at all
    assert len(notices_to("friend@example.net")) == 1  # a refusal is told
    assert Pending.objects.filter(pk__in=[spam, *bulk], used_at__isnull=False).count() == 3  # spent
    rows = RequestDecision.objects.filter(mailing_list=garden).order_by("id")
    assert [(r.address, r.decision, r.outcome, r.reason, r.decided_by) for r in rows] == [
        ("bot1@spam.example", "discard", "discarded by an owner", "", "owner@example.org"),
        ("bot2@spam.example", "discard", "discarded by an owner", "sign-up spam", "owner@example.org"),
        ("bot3@spam.example", "discard", "discarded by an owner", "sign-up spam", "owner@example.org"),
        ("friend@example.net", "refuse", "refused by an owner", "Club members only.", "owner@example.org")]  # fmt: skip
    page = client.get("/manage/garden/requests/").content.decode().replace("<wbr>", "")  # an address's breaks
    recent = page.split("Recent decisions")[1]
    assert "bot2@spam.example" in recent and "discarded, the address not told" in recent and "sign-up spam" in recent
    assert "bot2@spam.example" not in client.get("/manage/secret/requests/").content.decode()
    again = client.post("/manage/garden/requests/", {"discard": str(spam)}, follow=True).content.decode()
    assert "decided meanwhile" in again and RequestDecision.objects.count() == 4  # decided once, recorded once
