"""/manage/LIST/requests/: subscriptions and departures waiting for an owner, approved and refused
(one by one and in bulk), each decided once, with the notices the addresses get."""

from __future__ import annotations

import email
import email.policy

from listhaven.archive.compression import decompress
from listhaven.lists.members import find_member
from listhaven.lists.models import Outgoing, Pending
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
