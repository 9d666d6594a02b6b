"""The API's owner and moderator endpoints (/api/manage/...) with a token per account: each endpoint,
each role, revoked and expired tokens, the session cookie refused, and the same services as the pages."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from listhaven.lists.models import Ban, HeldMessage, MailingList, Member, Outgoing, PostRecord
from listhaven.web.api.tokens import create_token, revoke_token
from listhaven.web.models import ApiToken, SettingChange

# persona -> what it may do on garden (public) and secret (private): administer, moderate, read, nothing
GARDEN = {"owner": "administer", "site_admin": "administer", "moderator": "moderate", "member": "read",
          "stranger": "read", "other_owner": "read"}  # fmt: skip
SECRET = {**GARDEN, "stranger": "none", "other_owner": "none"}


@pytest.fixture
def api(lists_with_roles):
    def as_persona(persona: str) -> tuple[Client, str]:
        token = create_token(lists_with_roles["users"][persona])
        return Client(HTTP_AUTHORIZATION=f"Bearer {token}"), token

    return as_persona


def _call(client: Client, method: str, url: str, body: dict | None = None):
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def test_the_token_is_stored_hashed_and_unguessable(lists_with_roles):
    user = lists_with_roles["users"]["owner"]
    first, second = create_token(user), create_token(user)
    assert first != second and len(first) > 40
    row = ApiToken.objects.get(user=user)  # one per account: the second replaced the first
    assert first not in row.digest and second not in row.digest and row.prefix == second[:10]
    assert Client(HTTP_AUTHORIZATION=f"Bearer {first}").get("/api/manage/lists").status_code == 401
    assert Client(HTTP_AUTHORIZATION=f"Bearer {second}").get("/api/manage/lists").status_code == 200


def test_lists_names_only_what_the_account_runs(api):
    expected = {"owner": {"garden": "owner", "secret": "owner"}, "moderator": {"garden": "moderator", "secret": "moderator"},
                "member": {}, "stranger": {}, "other_owner": {"other": "owner"},
                # Every list (other tests' fixture archive may have added some): owner everywhere.
                "site_admin": {name: "owner" for name in MailingList.objects.values_list("name", flat=True)}}  # fmt: skip
    assert {"garden", "secret", "other"} <= set(expected["site_admin"])
    for persona, lists in expected.items():
        client, _ = api(persona)
        response = client.get("/api/manage/lists")
        assert response.status_code == 200 and "no-store" in response["Cache-Control"], persona
        got = {row["name"]: row["role"] for row in response.json()["items"]}
        assert got == lists, persona
    owner, _ = api("owner")
    garden = next(r for r in owner.get("/api/manage/lists").json()["items"] if r["name"] == "garden")
    assert garden["held"] == 1 and garden["members"] == 1


def test_no_token_a_revoked_or_an_expired_one_is_401(api, lists_with_roles):
    client, _ = api("owner")
    assert client.get("/api/manage/lists/garden/held").status_code == 200
    assert Client().get("/api/manage/lists/garden/held").status_code == 401
    assert Client(HTTP_AUTHORIZATION="Bearer lh_nosuchtoken").get("/api/manage/lists/garden/held").status_code == 401
    ApiToken.objects.filter(user=lists_with_roles["users"]["owner"]).update(expires_at=timezone.now() - timedelta(1))
    expired = client.get("/api/manage/lists/garden/held")
    assert expired.status_code == 401 and expired["WWW-Authenticate"].startswith("Bearer")
    client, _ = api("owner")
    assert revoke_token(lists_with_roles["users"]["owner"])
    assert client.get("/api/manage/lists/garden/held").status_code == 401


def test_the_session_cookie_opens_nothing(client_as, lists_with_roles):
    client = client_as("owner")  # signed in: the pages would let them in
    assert client.get("/manage/garden/held/").status_code == 200
    held_id = lists_with_roles["held"]["garden"]
    for method, url, body in (("get", "/api/manage/lists", None), ("get", "/api/manage/lists/garden/members", None),
                              ("post", f"/api/manage/lists/garden/held/{held_id}", {"action": "discard"}),
                              ("patch", "/api/manage/lists/garden/settings", {"footer": "x"})):  # fmt: skip
        assert _call(client, method, url, body).status_code == 401, url
    assert HeldMessage.objects.filter(pk=held_id).exists()


def _expected(access: str, need: str) -> int:
    if access == "none":
        return 404
    ranks = ("read", "moderate", "administer")
    return 200 if ranks.index(access) >= ranks.index(need) else 403


ENDPOINTS = [
    ("get", "members", "administer"), ("get", "settings", "administer"), ("get", "held", "moderate"),
    ("get", "requests", "administer"), ("get", "bans", "moderate"),
]  # fmt: skip


def test_each_role_on_each_list_endpoint(api):
    for persona in GARDEN:
        client, _ = api(persona)
        for name, roles in (("garden", GARDEN), ("secret", SECRET)):
            for method, tail, need in ENDPOINTS:
                url = f"/api/manage/lists/{name}/{tail}"
                response = _call(client, method, url)
                assert response.status_code == _expected(roles[persona], need), (persona, url, response.content[:200])
            # Writes too: a list the account may not read is missing, whatever the method.
            for method, tail, body, need in (("post", "members", {"addresses": ["x@example.com"]}, "administer"),
                                             ("patch", "settings", {"footer": "x"}, "administer"),
                                             ("post", "held/1", {"action": "defer"}, "moderate"),
                                             ("delete", "members/1", None, "administer"),
                                             ("patch", "members/999999", {"moderated": True}, "administer"),
                                             ("post", "requests/999999", {"action": "refuse"}, "administer"),
                                             ("post", "bans", {"pattern": "y@example.com"}, "moderate"),
                                             ("delete", "bans/999999", None, "moderate")):  # fmt: skip
                response = _call(client, method, f"/api/manage/lists/{name}/{tail}", body)
                missing = _call(client, method, f"/api/manage/lists/nosuchlist/{tail}", body)
                expected = _expected(roles[persona], need)
                where = (persona, name, method, tail, response.status_code)
                if expected == 200:
                    assert response.status_code in (200, 201, 404), where  # 404: no held post / member #1 there
                    continue
                assert response.status_code == expected, where
                if expected == 404:
                    assert missing.status_code == 404, where
                    assert response.content.replace(name.encode(), b"X") == missing.content.replace(b"nosuchlist", b"X")
    # Only the owners and the site administrator changed anything.
    assert Member.objects.filter(address="x@example.com").count() == 2
    assert SettingChange.objects.filter(field="footer").count() == 2
    assert set(Ban.objects.filter(pattern="y@example.com").values_list("mailing_list__name", flat=True)) == {
        "garden", "secret"}  # by the moderators too, on their lists only


def test_held_posts_listed_and_decided_like_the_page(api, lists_with_roles):
    garden = lists_with_roles["garden"]
    held_id = lists_with_roles["held"]["garden"]
    client, _ = api("moderator")
    items = client.get("/api/manage/lists/garden/held").json()["items"]
    assert [(i["id"], i["sender"], i["subject"]) for i in items] == [(held_id, "outsider@example.net", "A question")]
    assert _call(client, "post", f"/api/manage/lists/garden/held/{held_id}", {"action": "publish"}).status_code == 400
    before = Outgoing.objects.filter(mailing_list=garden, kind="post").count()
    response = _call(client, "post", f"/api/manage/lists/garden/held/{held_id}", {"action": "accept_unmoderate"})
    assert response.status_code == 200 and response.json()["decision"] == "accept"
    assert not HeldMessage.objects.filter(pk=held_id).exists()
    assert Outgoing.objects.filter(mailing_list=garden, kind="post").count() == before + 1
    assert Member.objects.get(mailing_list=garden, address="outsider@example.net", role="nonmember").action == "accept"
    again = _call(client, "post", f"/api/manage/lists/garden/held/{held_id}", {"action": "accept"})
    assert again.status_code == 404


def test_reject_with_reason_and_ban(api, lists_with_roles):
    from listhaven.archive.compression import decompress

    held_id = lists_with_roles["held"]["secret"]
    client, _ = api("owner")
    response = _call(client, "post", f"/api/manage/lists/secret/held/{held_id}", {"action": "reject", "reason": "Off topic."})
    assert response.status_code == 200 and response.json()["notified"] is True
    notice = Outgoing.objects.filter(kind="notice", recipients=["outsider@example.net"]).latest("id")
    assert b"Off topic." in decompress(notice.template)
    assert PostRecord.objects.filter(mailing_list__name="secret", verdict="reject", reason="Off topic.").exists()
    garden_held = lists_with_roles["held"]["garden"]
    _call(client, "post", f"/api/manage/lists/garden/held/{garden_held}", {"action": "ban"})
    assert Ban.objects.filter(mailing_list__name="garden", pattern="outsider@example.net").exists()


def test_members_listed_added_with_welcome_and_removed(api, lists_with_roles):
    garden = lists_with_roles["garden"]
    client, _ = api("owner")
    response = _call(client, "post", "/api/manage/lists/garden/members",
                     {"addresses": ["Ann <ann@Example.COM>", "member@example.org", "not an address"], "welcome": True})
    assert response.status_code == 201
    report = response.json()
    assert report["added"] == ["ann@example.com"] and report["existing"] == ["member@example.org"]
    assert [i["given"] for i in report["invalid"]] == ["not an address"]
    assert Outgoing.objects.filter(mailing_list=garden, kind="notice", recipients=["ann@example.com"]).count() == 1
    found = client.get("/api/manage/lists/garden/members?q=ann").json()
    assert [m["address"] for m in found["items"]] == ["ann@example.com"] and found["total"] == 1
    everyone = client.get("/api/manage/lists/garden/members?per_page=2")
    assert everyone.json()["total"] == 4 and len(everyone.json()["items"]) == 2
    row = Member.objects.get(mailing_list=garden, address="ann@example.com")
    assert client.delete(f"/api/manage/lists/garden/members/{row.pk}").json()["removed"] == "ann@example.com"
    assert not Member.objects.filter(pk=row.pk).exists()
    assert client.delete(f"/api/manage/lists/garden/members/{row.pk}").status_code == 404
    secret_row = Member.objects.get(mailing_list__name="secret", address="member@example.org")
    assert client.delete(f"/api/manage/lists/garden/members/{secret_row.pk}").status_code == 404  # another list's row
    assert _call(client, "post", "/api/manage/lists/garden/members", {"addresses": "a@b.c"}).status_code == 400


def test_settings_validated_as_the_form_and_recorded(api, lists_with_roles):
    garden = lists_with_roles["garden"]
    client, _ = api("owner")
    shown = client.get("/api/manage/lists/garden/settings").json()["settings"]
    assert shown["subject_tag"] == "[Garden]"
    bad = _call(client, "patch", "/api/manage/lists/garden/settings", {"header_filters": ["([unclosed"],
                                                                       "disabled_rules": ["nosuch"]})  # fmt: skip
    assert bad.status_code == 400
    assert set(bad.json()["fields"]) == {"header_filters", "disabled_rules"}
    assert _call(client, "patch", "/api/manage/lists/garden/settings", {"no_such": 1}).status_code == 400
    assert not SettingChange.objects.filter(mailing_list=garden).exists()
    good = _call(client, "patch", "/api/manage/lists/garden/settings", {"subject_tag": "[Green]", "footer": "Grow."})
    assert good.status_code == 200 and good.json()["settings"]["footer"] == "Grow."
    garden.refresh_from_db()
    assert (garden.subject_tag, garden.footer) == ("[Green]", "Grow.")
    # Only what changed is recorded: the untouched fields went through the form unchanged.
    changes = {c.field: c for c in SettingChange.objects.filter(mailing_list=garden)}
    assert set(changes) == {"subject_tag", "footer"} and changes["footer"].changed_by == "owner@example.org"
    assert {k: v for k, v in shown.items() if k not in ("subject_tag", "footer")} == {
        k: v for k, v in good.json()["settings"].items() if k not in ("subject_tag", "footer")}


def test_last_use_is_recorded(api, lists_with_roles):
    client, _ = api("moderator")
    row = ApiToken.objects.get(user=lists_with_roles["users"]["moderator"])
    assert row.last_used_at is None
    client.get("/api/manage/lists")
    row.refresh_from_db()
    assert row.last_used_at is not None


def test_rate_limited(api, settings):
    settings.API_RATE = "3/m"
    client, _ = api("owner")
    codes = [client.get("/api/manage/lists").status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]


def test_the_account_page_makes_shows_once_and_revokes(client_as, lists_with_roles):
    client = client_as("member")
    page = client.get("/accounts/api-token/")
    assert page.status_code == 200 and "You have no API token" in page.content.decode()
    made = client.post("/accounts/api-token/", {"action": "create"}).content.decode()
    token = made.split('id="new-token">')[1].split("<")[0]
    assert token.startswith("lh_") and made.count(token) == 1
    assert token not in client.get("/accounts/api-token/").content.decode()  # shown once
    assert Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/manage/lists").status_code == 200
    client.post("/accounts/api-token/", {"action": "revoke"})
    assert Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/manage/lists").status_code == 401
    assert Client().get("/accounts/api-token/").status_code == 302


def test_the_account_page_refuses_a_post_without_csrf(lists_with_roles):
    client = Client(enforce_csrf_checks=True)
    client.force_login(lists_with_roles["users"]["owner"])
    assert client.post("/accounts/api-token/", {"action": "create"}).status_code == 403
    assert not ApiToken.objects.exists()


def test_the_command_makes_and_revokes(lists_with_roles, capsys):
    from listhaven.cli import main

    assert main(["api-token", "moderator@example.org"], quick=False) == 0
    token = capsys.readouterr().out.strip()
    assert Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/manage/lists/garden/held").status_code == 200
    assert main(["api-token", "moderator@example.org", "--revoke"], quick=False) == 0
    assert Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/manage/lists/garden/held").status_code == 401


def test_approving_a_post_content_filtering_empties_answers_what_became_of_it(api, lists_with_roles):
    garden = lists_with_roles["garden"]
    garden.filter_content, garden.filter_types, garden.filter_action = True, ["text"], "reject"
    garden.save()
    held_id = lists_with_roles["held"]["garden"]
    client, _ = api("moderator")
    response = _call(client, "post", f"/api/manage/lists/garden/held/{held_id}", {"action": "accept"})
    answer = response.json()
    assert response.status_code == 200 and (answer["decision"], answer["result"], answer["notified"]) == ("accept", "reject", True)
    assert answer["summary"].startswith("not sent: rejected, the poster told why (the list does not pass")
    assert not Outgoing.objects.filter(mailing_list=garden, kind="post").exists()
