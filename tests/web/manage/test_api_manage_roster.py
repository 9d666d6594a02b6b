"""The API's member changes, subscription requests and bans (/api/manage/...): the same services and
the same roles as the members, requests and bans pages, checked against what those pages do."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from listhaven.lists.members import find_member
from listhaven.lists.models import Ban, Member, Pending, RequestDecision
from listhaven.lists.posting import receive_post
from listhaven.lists.subscriptions import Status, is_banned, request_subscription, request_unsubscription
from listhaven.web.api.tokens import create_token
from tests.web.manage.conftest import held_post_bytes
from tests.web.manage.test_requests import notices_to


@pytest.fixture
def api(lists_with_roles):
    def as_persona(persona: str) -> Client:
        return Client(HTTP_AUTHORIZATION=f"Bearer {create_token(lists_with_roles['users'][persona])}")

    return as_persona


def _send(client: Client, method: str, url: str, body: object = None):
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


# --- one member ------------------------------------------------------------------------------------


def test_a_member_changed_as_the_member_page_changes_it(api, lists_with_roles):
    garden = lists_with_roles["garden"]
    row = Member.objects.get(mailing_list=garden, address="member@example.org", role="member")
    url = f"/api/manage/lists/garden/members/{row.pk}"
    client = api("owner")
    changed = _send(client, "patch", url, {"delivery_mode": "mime_digest", "moderated": True, "receive_own_posts": False,
                                           "acknowledge_posts": True, "hide_address": True})  # fmt: skip
    assert changed.status_code == 200, changed.content
    body = changed.json()
    assert (body["delivery_mode"], body["moderated"], body["receive_own_posts"], body["acknowledge_posts"],
            body["hide_address"]) == ("mime_digest", True, False, True, True)  # fmt: skip
    row.refresh_from_db()
    assert (row.delivery_mode, row.moderated, row.receive_own_posts, row.acknowledge_posts, row.hide_address) == (
        "mime_digest", True, False, True, True)
    # Only what the body names changes: the other flags stay as they are.
    assert _send(client, "patch", url, {"moderated": False}).json()["hide_address"] is True
    row.refresh_from_db()
    assert (row.moderated, row.hide_address, row.delivery_mode) == (False, True, "mime_digest")
    # A posting member, moderated through the API, has their next post held.
    _send(client, "patch", url, {"moderated": True})
    outcome = receive_post(garden, held_post_bytes(sender="member@example.org", msgid="m1@example.org"),
                           envelope_sender="member@example.org")  # fmt: skip
    assert outcome.held_id


def test_a_members_name_changed_through_the_api_is_in_the_history(api, lists_with_roles):
    from listhaven.web.models import SettingChange

    garden = lists_with_roles["garden"]
    row = Member.objects.get(mailing_list=garden, address="member@example.org", role="member")
    url = f"/api/manage/lists/garden/members/{row.pk}"
    changed = _send(api("owner"), "patch", url, {"display_name": " Ann Example "})
    assert changed.status_code == 200 and changed.json()["display_name"] == "Ann Example"
    assert Member.objects.get(pk=row.pk).display_name == "Ann Example"
    change = SettingChange.objects.get(mailing_list=garden, group="members")
    assert (change.changed_by, change.old_value, change.new_value) == (
        "owner@example.org", "member@example.org", "Ann Example <member@example.org>")
    _send(api("owner"), "patch", url, {"moderated": True})  # the name untouched: nothing more recorded
    assert SettingChange.objects.filter(group="members").count() == 1


def test_role_changes_and_their_conflicts(api, lists_with_roles):
    garden = lists_with_roles["garden"]
    row = Member.objects.get(mailing_list=garden, address="member@example.org", role="member")
    url = f"/api/manage/lists/garden/members/{row.pk}"
    client = api("site_admin")
    assert _send(client, "patch", url, {"role": "moderator"}).json()["role"] == "moderator"
    assert Member.objects.get(pk=row.pk).role == "moderator"
    # owner@example.org is already the owner: a second owner row for the address would break the roster.
    owner_as_member = Member.objects.create(mailing_list=garden, address="owner@example.org", role="member")
    taken = _send(client, "patch", f"/api/manage/lists/garden/members/{owner_as_member.pk}",
                  {"role": "owner", "moderated": True})  # fmt: skip
    assert taken.status_code == 409 and taken.json()["error"] == "conflict"
    owner_as_member.refresh_from_db()
    assert (owner_as_member.role, owner_as_member.moderated) == ("member", False)  # nothing of it saved


@pytest.mark.parametrize("body", [{"role": "king"}, {"delivery_mode": "pigeon"}, {"moderated": "yes"},
                                  {"enable": 1}, {"address": "x@example.org"}, {"role": ["owner"]},
                                  {"display_name": 7}, {"display_name": "Ann\r\nBcc: x@example.net"},
                                  {"display_name": "Ann\x00"}, {"display_name": "A" * 201},
                                  {"display_name": "Ann", "role": "king"}])  # fmt: skip
def test_a_bad_member_change_is_400_and_saves_nothing(api, lists_with_roles, body):
    row = Member.objects.get(mailing_list=lists_with_roles["garden"], address="member@example.org", role="member")
    before = Member.objects.filter(pk=row.pk).values().get()
    response = _send(api("owner"), "patch", f"/api/manage/lists/garden/members/{row.pk}", body)
    assert response.status_code == 400 and response.json()["error"] == "bad_request", response.content
    assert Member.objects.filter(pk=row.pk).values().get() == before


def test_a_bounce_disabled_member_re_enabled_starts_again(api, lists_with_roles):
    garden = lists_with_roles["garden"]
    row = Member.objects.get(mailing_list=garden, address="member@example.org", role="member")
    Member.objects.filter(pk=row.pk).update(
        delivery_status="by_bounces", disabled_reason="bounces", bounce_score=5.5, last_bounce=timezone.now().date(),
        bounce_disabled_at=timezone.now(), bounce_warnings_sent=2, bounce_next_step=timezone.now() + timedelta(days=7))  # fmt: skip
    listed = api("owner").get("/api/manage/lists/garden/members?disabled=bounces").json()
    assert [m["id"] for m in listed["items"]] == [row.pk]
    response = _send(api("owner"), "patch", f"/api/manage/lists/garden/members/{row.pk}", {"enable": True})
    assert response.status_code == 200 and response.json()["delivery_status"] == "enabled"
    row.refresh_from_db()
    assert (row.delivery_status, row.disabled_reason, row.bounce_score, row.last_bounce, row.bounce_disabled_at,
            row.bounce_warnings_sent, row.bounce_next_step) == ("enabled", "", 0.0, None, None, 0, None)  # fmt: skip
    assert api("owner").get("/api/manage/lists/garden/members?disabled=bounces").json()["total"] == 0


def test_the_member_page_re_enables_the_same_way(client_as, lists_with_roles):
    row = Member.objects.get(mailing_list=lists_with_roles["garden"], address="member@example.org", role="member")
    Member.objects.filter(pk=row.pk).update(delivery_status="by_bounces", bounce_score=6.0, bounce_warnings_sent=1,
                                            bounce_next_step=timezone.now())  # fmt: skip
    client_as("owner").post(f"/manage/garden/members/{row.pk}/", {"enable": "1"})
    row.refresh_from_db()
    assert (row.delivery_status, row.bounce_score, row.bounce_warnings_sent, row.bounce_next_step) == (
        "enabled", 0.0, 0, None)


def test_moderators_may_not_change_members(api, lists_with_roles):
    row = Member.objects.get(mailing_list=lists_with_roles["garden"], address="member@example.org", role="member")
    for persona, status in (("moderator", 403), ("member", 403), ("other_owner", 403)):
        response = _send(api(persona), "patch", f"/api/manage/lists/garden/members/{row.pk}", {"moderated": True})
        assert response.status_code == status, persona
    hidden = _send(api("other_owner"), "patch", f"/api/manage/lists/secret/members/{row.pk}", {"moderated": True})
    assert hidden.status_code == 404
    assert Member.objects.get(pk=row.pk).moderated is False


# --- requests --------------------------------------------------------------------------------------


def _ask_to_join(mlist, address: str, name: str = "") -> int:
    mlist.subscribe_policy = "moderate"
    mlist.save(update_fields=["subscribe_policy"])
    assert request_subscription(mlist, address, display_name=name, digest="mime").status == Status.APPROVAL_ASKED
    return Pending.objects.filter(mailing_list=mlist, address=address, used_at__isnull=True).latest("id").pk


def test_requests_listed_and_approved(api, lists_with_roles):
    garden = lists_with_roles["garden"]
    first = _ask_to_join(garden, "newcomer@example.net", "New Comer")
    second = _ask_to_join(garden, "second@example.net")
    client = api("owner")
    listed = client.get("/api/manage/lists/garden/requests").json()
    assert [(r["id"], r["address"], r["asks_to"], r["display_name"], r["delivery_mode"]) for r in listed["items"]] == [
        (first, "newcomer@example.net", "join", "New Comer", "mime_digest"), (second, "second@example.net", "join", "", "mime_digest")]
    assert client.get("/api/manage/lists/secret/requests").json()["total"] == 0
    decided = _send(client, "post", f"/api/manage/lists/garden/requests/{first}", {"action": "approve"})
    assert decided.status_code == 200
    assert decided.json() == {"id": first, "address": "newcomer@example.net", "action": "approve",
                              "outcome": "subscribed", "done": True}  # fmt: skip
    member = find_member(garden, "newcomer@example.net")
    assert member is not None and member.display_name == "New Comer" and member.delivery_mode == "mime_digest"
    assert any(m["Subject"].startswith("Welcome to") for m in notices_to("newcomer@example.net"))
    again = _send(client, "post", f"/api/manage/lists/garden/requests/{first}", {"action": "refuse"})
    assert again.status_code == 404 and find_member(garden, "newcomer@example.net") is not None
    assert [r["id"] for r in client.get("/api/manage/lists/garden/requests").json()["items"]] == [second]
    # Another list's request is not found under this one.
    assert client.get(f"/api/manage/lists/secret/requests/{second}").status_code == 404


def test_a_request_refused_with_a_reason_tells_the_address(api, lists_with_roles):
    garden = lists_with_roles["garden"]
    pk = _ask_to_join(garden, "spammy@example.net")
    client = api("site_admin")
    assert client.get(f"/api/manage/lists/garden/requests/{pk}").json()["address"] == "spammy@example.net"
    bad = _send(client, "post", f"/api/manage/lists/garden/requests/{pk}", {"action": "ignore"})
    assert bad.status_code == 400 and Pending.objects.get(pk=pk).used_at is None
    refused = _send(client, "post", f"/api/manage/lists/garden/requests/{pk}",
                    {"action": "refuse", "reason": "Members of the club only."})  # fmt: skip
    assert refused.json()["outcome"] == "refused by an owner" and refused.json()["done"] is True
    assert find_member(garden, "spammy@example.net") is None
    assert any("Members of the club only." in m.get_content() for m in notices_to("spammy@example.net"))


def test_a_request_discarded_through_the_api_tells_nobody_and_is_recorded(api, lists_with_roles):
    garden = lists_with_roles["garden"]
    pk = _ask_to_join(garden, "bot@spam.example")
    decided = _send(api("owner"), "post", f"/api/manage/lists/garden/requests/{pk}", {"action": "discard"})
    assert decided.status_code == 200
    assert decided.json() == {"id": pk, "address": "bot@spam.example", "action": "discard",
                              "outcome": "discarded by an owner", "done": True}  # fmt: skip
    assert find_member(garden, "bot@spam.example") is None and notices_to("bot@spam.example") == []
    record = RequestDecision.objects.get(mailing_list=garden)
    assert (record.address, record.decision, record.decided_by) == ("bot@spam.example", "discard", "owner@example.org")
    again = _send(api("owner"), "post", f"/api/manage/lists/garden/requests/{pk}", {"action": "discard"})
    assert again.status_code == 404 and RequestDecision.objects.count() == 1


def test_a_request_to_leave_approved(api, lists_with_roles):
    garden = lists_with_roles["garden"]
    garden.unsubscribe_policy = "moderate"
    garden.save(update_fields=["unsubscribe_policy"])
    assert request_unsubscription(garden, "member@example.org").status == Status.APPROVAL_ASKED
    client = api("owner")
    (item,) = client.get("/api/manage/lists/garden/requests").json()["items"]
    assert (item["address"], item["asks_to"]) == ("member@example.org", "leave")
    decided = _send(client, "post", f"/api/manage/lists/garden/requests/{item['id']}", {"action": "approve"}).json()
    assert decided["outcome"] == "unsubscribed" and find_member(garden, "member@example.org") is None


def test_a_ban_since_the_request_stops_the_approval(api, lists_with_roles):
    garden = lists_with_roles["garden"]
    pk = _ask_to_join(garden, "later-banned@example.net")
    client = api("owner")
    assert _send(client, "post", "/api/manage/lists/garden/bans", {"pattern": "^later-"}).status_code == 201
    decided = _send(client, "post", f"/api/manage/lists/garden/requests/{pk}", {"action": "approve"}).json()
    assert (decided["outcome"], decided["done"]) == ("banned", False)
    assert find_member(garden, "later-banned@example.net") is None


def test_requests_are_for_owners_only(api, lists_with_roles):
    pk = _ask_to_join(lists_with_roles["garden"], "newcomer@example.net")
    for persona in ("moderator", "member", "stranger"):
        client = api(persona)
        assert client.get("/api/manage/lists/garden/requests").status_code == 403, persona
        assert _send(client, "post", f"/api/manage/lists/garden/requests/{pk}", {"action": "approve"}).status_code == 403
    assert Pending.objects.get(pk=pk).used_at is None


# --- bans ------------------------------------------------------------------------------------------


def test_bans_added_listed_and_lifted_by_a_moderator(api, lists_with_roles):
    garden = lists_with_roles["garden"]
    client = api("moderator")
    added = _send(client, "post", "/api/manage/lists/garden/bans", {"pattern": " Troll@Example.COM ", "reason": "flames"})
    assert added.status_code == 201
    assert {k: added.json()[k] for k in ("pattern", "regex", "reason")} == {"pattern": "Troll@example.com",
                                                                          "regex": False, "reason": "flames"}  # fmt: skip
    again = _send(client, "post", "/api/manage/lists/garden/bans", {"pattern": "Troll@example.com", "reason": "other"})
    assert again.status_code == 200 and again.json()["reason"] == "flames" and again.json()["id"] == added.json()["id"]
    regex = _send(client, "post", "/api/manage/lists/garden/bans", {"pattern": r"^.*@spam\.example$"})
    assert regex.status_code == 201 and regex.json()["regex"] is True
    assert is_banned(garden, "Troll@example.com") and is_banned(garden, "anyone@SPAM.example")
    assert not is_banned(garden, "friend@example.com")
    assert request_subscription(garden, "anyone@spam.example").status == Status.BANNED
    listed = client.get("/api/manage/lists/garden/bans").json()
    assert {b["pattern"] for b in listed["items"]} == {r"^.*@spam\.example$", "Troll@example.com"}  # collation decides the order
    assert client.get("/api/manage/lists/secret/bans").json()["total"] == 0
    lifted = client.delete(f"/api/manage/lists/garden/bans/{regex.json()['id']}")
    assert lifted.status_code == 200 and lifted.json() == {"removed": r"^.*@spam\.example$"}
    assert not is_banned(garden, "anyone@spam.example")
    assert client.delete(f"/api/manage/lists/garden/bans/{regex.json()['id']}").status_code == 404


@pytest.mark.parametrize("body", [{"pattern": "^([unclosed"}, {"pattern": "not an address"}, {"pattern": ""},
                                  {"pattern": "a" * 310 + "@example.com"}, {"pattern": 7}, {"reason": "x"},
                                  {"pattern": "x@example.com", "reason": ["x"]}])  # fmt: skip
def test_a_bad_ban_is_400(api, lists_with_roles, body):
    response = _send(api("owner"), "post", "/api/manage/lists/garden/bans", body)
    assert response.status_code == 400 and response.json()["error"] == "bad_request", response.content
    assert not Ban.objects.exists()


def test_bans_of_another_list_and_by_members(api, lists_with_roles):
    secret_ban = Ban.objects.create(mailing_list=lists_with_roles["secret"], pattern="x@example.com")
    site_ban = Ban.objects.create(mailing_list=None, pattern="y@example.com")
    client = api("owner")
    for ban in (secret_ban, site_ban):
        assert client.get(f"/api/manage/lists/garden/bans/{ban.pk}").status_code == 404
        assert client.delete(f"/api/manage/lists/garden/bans/{ban.pk}").status_code == 404
    assert client.get(f"/api/manage/lists/secret/bans/{secret_ban.pk}").json()["pattern"] == "x@example.com"
    member = api("member")
    assert member.get("/api/manage/lists/garden/bans").status_code == 403
    assert _send(member, "post", "/api/manage/lists/garden/bans", {"pattern": "z@example.com"}).status_code == 403
    assert member.delete(f"/api/manage/lists/secret/bans/{secret_ban.pk}").status_code == 403
    assert api("stranger").delete(f"/api/manage/lists/secret/bans/{secret_ban.pk}").status_code == 404
    assert Ban.objects.count() == 2


def test_a_get_never_lifts_a_ban(api, lists_with_roles):
    ban = Ban.objects.create(mailing_list=lists_with_roles["garden"], pattern="x@example.com")
    client = api("owner")
    for method in ("get", "head", "post", "put"):
        _send(client, method, f"/api/manage/lists/garden/bans/{ban.pk}")
    assert Ban.objects.filter(pk=ban.pk).exists()
    assert client.put(f"/api/manage/lists/garden/bans/{ban.pk}").status_code == 405
