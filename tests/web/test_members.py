"""The member pages through Django's test client against a real store: the subscribe form and its
guards (CSRF, honeypot, minimum time, rate limits, no roster leak), /confirm/TOKEN (GET shows, POST
acts), the options page (one-time link, settings, leaving), one-click unsubscribe (RFC 8058) and
key rotation. The notices are read from the outgoing queue."""

from __future__ import annotations

import email
import email.policy
import re
import time

import pytest
from django.core import signing
from django.test import Client

from listhaven.archive.compression import decompress
from listhaven.lists.directory import create_list
from listhaven.lists.members import add_member, find_member
from listhaven.lists.models import Ban, Outgoing, Pending
from listhaven.lists.unsubscribe import unsubscribe_token
from listhaven.web.views.members import guard

LIST = "garden@lists.example.org"
ANN = "ann@example.org"


@pytest.fixture
def mlist(db, settings):
    settings.SUBSCRIBE_FORM_MIN_SECONDS = 3
    return create_list(LIST, description="Vegetables and how to grow them.")


def stamp(age: int = 10) -> str:
    """A form stamp as the page makes it, `age` seconds old."""
    return signing.dumps(int(time.time()) - age, salt=guard._SALT)


def subscribe(client: Client, address: str = ANN, **extra: str):
    data = {"address": address, "name": "Ann", "shown": stamp(), **extra}
    return client.post("/listinfo/garden", data, REMOTE_ADDR=extra.pop("ip", "192.0.2.1"))


def notices() -> list[tuple[list[str], email.message.EmailMessage]]:
    return [(row.recipients, email.message_from_bytes(decompress(bytes(row.template)), policy=email.policy.default))
            for row in Outgoing.objects.order_by("id")]  # fmt: skip


def link_in_last_notice(pattern: str) -> str:
    body = notices()[-1][1].get_body(("plain",)).get_content()
    found = re.search(pattern, body)
    assert found, body
    return found.group(0)


def test_listinfo_shows_the_form_with_its_guards(client, mlist):
    html = client.get("/listinfo/garden").content.decode()
    assert "Vegetables and how to grow them." in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'class="honeypot"' in html and f'name="{guard.HONEYPOT}"' in html
    assert 'name="shown"' in html
    assert "/garden/options/" in html and "/garden/" in html
    text = re.sub(r"<[^>]+>|\s+", " ", html)
    for role in ("join", "leave", "request", "owner"):  # shown as the list shows addresses (obfuscated)
        assert f"garden-{role} at lists.example.org" in text, role


def test_subscribe_sends_a_confirmation_and_confirm_needs_a_post(client, mlist):
    response = subscribe(client)
    assert response.status_code == 200 and "Check your mailbox" in response.content.decode()
    url = link_in_last_notice(r"https?://\S+/confirm/[0-9a-f]+")
    path = url[url.index("/confirm/"):]
    page = client.get(path)
    assert page.status_code == 200 and "subscribe ann@example.org" in page.content.decode()
    assert find_member(mlist, ANN) is None  # a link scanner's GET does nothing
    assert client.post(path).status_code == 200
    assert find_member(mlist, ANN) is not None
    assert client.post(path).status_code == 404  # used
    used = client.get(path)
    assert used.status_code == 404 and "<title>Link not valid — Listhaven</title>" in used.content.decode()
    assert "ask for a new link" in used.content.decode() and ">All lists</a>" in used.content.decode()  # a way on


def test_the_answer_is_the_same_whatever_the_address(client, mlist):
    add_member(mlist, "member@example.org")
    Ban.objects.create(mailing_list=mlist, pattern="banned@example.org")
    bodies = set()
    for address in (ANN, "member@example.org", "banned@example.org"):
        response = subscribe(client, address)
        assert response.status_code == 200
        body = response.content.decode()
        bodies.add(body)
    assert len(bodies) == 1


def test_where_owners_approve_sign_ups_the_answer_says_they_decide(client, mlist):
    """No mail goes to the address until an owner decides: "check your mailbox" sent people waiting
    for a confirmation that never came. Still one answer for every address."""
    add_member(mlist, "member@example.org")
    mlist.subscribe_policy = "moderate"
    mlist.save(update_fields=["subscribe_policy"])
    bodies = {subscribe(client, address).content.decode() for address in (ANN, "member@example.org")}
    assert len(bodies) == 1
    (body,) = bodies
    assert "Waiting for the list" in body and "owners now decide" in body and "Check your mailbox" not in body
    mlist.subscribe_policy = "confirm_moderate"
    mlist.save(update_fields=["subscribe_policy"])
    assert "once you confirm, the list's owners decide" in subscribe(client, "bo@example.org").content.decode()


def test_csrf_is_required(mlist):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/listinfo/garden", {"address": ANN, "shown": stamp()})
    assert response.status_code == 403
    assert not Outgoing.objects.exists()


def test_honeypot_sends_nothing_but_answers_alike(client, mlist):
    response = subscribe(client, **{guard.HONEYPOT: "http://spam.example"})
    assert response.status_code == 200 and "Check your mailbox" in response.content.decode()
    assert not Outgoing.objects.exists() and not Pending.objects.exists()


def test_a_form_sent_too_fast_or_without_its_stamp_is_shown_again(client, mlist):
    for shown in (stamp(age=0), "", "forged:stamp"):
        response = client.post("/listinfo/garden", {"address": ANN, "shown": shown})
        assert response.status_code == 400 and "too quickly" in response.content.decode()
    assert not Outgoing.objects.exists()
    assert subscribe(client).status_code == 200 and Outgoing.objects.count() == 1


def test_the_fourth_request_in_an_hour_for_one_address_sends_nothing(client, mlist):
    for n in range(3):
        assert subscribe(client, ip=f"192.0.2.{n + 10}").status_code == 200
    assert Outgoing.objects.count() == 3
    response = subscribe(client, ip="192.0.2.99")  # another client, the same address
    assert response.status_code == 200 and "Check your mailbox" in response.content.decode()
    assert Outgoing.objects.count() == 3
    assert subscribe(client, "bob@example.net", ip="192.0.2.98").status_code == 200
    assert Outgoing.objects.count() == 4  # other addresses are not held back


def test_one_client_is_limited_across_addresses(client, mlist, settings):
    settings.SUBSCRIBE_RATE_CLIENT = "2/h"
    for n in range(4):
        subscribe(client, f"person{n}@example.org", ip="198.51.100.7")
    assert Outgoing.objects.count() == 2


def test_an_invalid_address_gets_the_form_back(client, mlist):
    response = subscribe(client, "not an address")
    assert response.status_code == 400 and "not an email address" in response.content.decode()


def one_click_path(address: str = ANN, issued: int | None = None) -> str:
    return f"/garden/unsubscribe/{unsubscribe_token(LIST, address, issued or int(time.time()))}"


def test_one_click_unsubscribe_post_removes_at_once_without_csrf(mlist):
    add_member(mlist, ANN)
    strict = Client(enforce_csrf_checks=True)  # a mailbox provider has no CSRF token
    response = strict.post(one_click_path(), "List-Unsubscribe=One-Click",
                           content_type="application/x-www-form-urlencoded")  # fmt: skip
    assert response.status_code == 200
    assert find_member(mlist, ANN) is None
    recipients, goodbye = notices()[-1]
    assert recipients == [ANN] and "You have left" in goodbye["Subject"]


def test_one_click_get_shows_a_button_and_changes_nothing(client, mlist):
    add_member(mlist, ANN)
    page = client.get(one_click_path())
    assert page.status_code == 200 and "<button" in page.content.decode()
    assert find_member(mlist, ANN) is not None


def test_the_unsubscribe_page_button_needs_csrf(mlist):
    add_member(mlist, ANN)
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(one_click_path(), {"action": "leave"}).status_code == 403
    assert find_member(mlist, ANN) is not None
    strict.get(one_click_path())
    token = strict.cookies["csrftoken"].value
    assert strict.post(one_click_path(), {"action": "leave", "csrfmiddlewaretoken": token}).status_code == 200
    assert find_member(mlist, ANN) is None


def test_one_click_tokens_rejected_forged_expired_or_for_another_list(client, mlist):
    add_member(mlist, ANN)
    other = create_list("other@lists.example.org")
    add_member(other, ANN)
    good = one_click_path()
    forged = good[:-1] + ("0" if good[-1] != "0" else "1")
    expired = one_click_path(issued=int(time.time()) - 91 * 24 * 3600)
    for path in (forged, expired, good.replace("/garden/", "/other/")):
        assert client.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 404
    assert find_member(mlist, ANN) is not None and find_member(other, ANN) is not None


def test_tokens_from_before_a_key_rotation_work_during_the_grace_period(client, mlist, settings):
    add_member(mlist, ANN)
    settings.TOKEN_KEY = "the-first-key-of-this-site"
    old = one_click_path()
    settings.TOKEN_KEY, settings.TOKEN_KEY_PREVIOUS = "the-second-key-of-this-site", "the-first-key-of-this-site"
    assert client.get(old).status_code == 200
    settings.TOKEN_KEY_PREVIOUS = ""  # the grace period is over
    assert client.get(old).status_code == 404
    assert client.get(one_click_path()).status_code == 200


def test_goodbye_can_be_turned_off(mlist):
    mlist.send_goodbye = False
    mlist.save()
    add_member(mlist, ANN)
    Client().post(one_click_path(), {"List-Unsubscribe": "One-Click"})
    assert find_member(mlist, ANN) is None and not Outgoing.objects.exists()


def test_options_by_a_one_time_link(client, mlist):
    add_member(mlist, ANN)
    page = client.get("/garden/options/")
    assert "Email me my options link" in page.content.decode()
    client.post("/garden/options/", {"address": ANN, "shown": stamp()})
    path = link_in_last_notice(r"/garden/options/[0-9a-f]+")
    assert client.get(path).status_code == 200  # a button, not yet used
    response = client.post(path)
    assert response.status_code == 302 and response["Location"] == "/garden/options/"
    assert client.post(path).status_code == 404  # once only
    html = client.get("/garden/options/").content.decode()
    assert "For ann@example.org" in html
    client.post("/garden/options/", {"delivery_mode": "mime_digest", "acknowledge_posts": "on",
                                     "hide_address": "on", "display_name": "Ann E."})  # fmt: skip
    member = find_member(mlist, ANN)
    assert (member.delivery_mode, member.receive_own_posts, member.acknowledge_posts, member.hide_address,
            member.display_name) == ("mime_digest", False, True, True, "Ann E.")  # fmt: skip
    assert "left" in client.post("/garden/options/", {"action": "leave"}).content.decode()
    assert find_member(mlist, ANN) is None


def test_options_by_login(client, mlist, django_user_model):
    add_member(mlist, ANN)
    user = django_user_model.objects.create_user(username=ANN, email=ANN)
    client.force_login(user)
    assert "For ann@example.org" in client.get("/garden/options/").content.decode()


def test_a_change_of_address_counts_against_the_same_confirmations_as_subscribing(client, mlist, django_user_model):
    """The address a member moves to gets a confirmation: it counts against SUBSCRIBE_RATE_ADDRESS with the
    subscribe form's and mail's (lists/answer_limits.py), written any way, not against a budget of its own."""
    victim = "victim@example.net"
    for n in range(3):
        subscribe(client, victim, ip=f"192.0.2.{n + 10}")
    assert len([r for r, _ in notices() if r == [victim]]) == 3
    add_member(mlist, ANN)
    client.force_login(django_user_model.objects.create_user(username=ANN, email=ANN))
    for written in (victim, f"<{victim}>", "Victim@Example.NET"):
        answer = client.post("/garden/options/", {"action": "change_address", "new_address": written})
        assert answer.status_code == 200
    assert len([r for r, _ in notices() if [a.lower() for a in r] == [victim]]) == 3
    assert not Pending.objects.filter(purpose="change_address").exists()


def test_a_signed_in_non_member_is_told_so_not_sent_to_sign_in_again(client, mlist, django_user_model):
    """The sign-in link would lead back to the same page (they are signed in): a loop that looked broken."""
    client.force_login(django_user_model.objects.create_user(username="bo@example.org", email="bo@example.org"))
    html = client.get("/garden/options/").content.decode()
    assert "signed in as bo@example.org, which is not a member of Garden" in html
    assert 'href="/listinfo/garden"' in html and "/accounts/login/?next=" not in html


def test_options_link_request_says_nothing_about_the_roster(client, mlist):
    add_member(mlist, ANN)
    first = client.post("/garden/options/", {"address": ANN, "shown": stamp()})
    second = client.post("/garden/options/", {"address": "stranger@example.org", "shown": stamp()})
    assert first.content == second.content
    assert Outgoing.objects.count() == 1


def test_members_of_a_list_with_a_private_archive_leave_and_reach_their_options_by_their_links(client, mlist):
    from django.utils import timezone

    from listhaven.lists.bounces import reenable_token
    from listhaven.lists.subscriptions import request_options_link

    mlist.archive_policy = "members"
    mlist.save()
    add_member(mlist, ANN)
    bea = add_member(mlist, "bea@example.org")
    missing = client.get("/nosuchlist/unsubscribe/x")
    # Without a valid token the list stays unseen: the same 404 as a list that does not exist.
    forged = one_click_path()[:-1] + ("0" if one_click_path()[-1] != "0" else "1")
    for path in (forged, "/garden/reenable/nothing", "/garden/options/0123abcd", "/garden/options/"):
        answer = client.get(path)
        assert answer.status_code == 404 and answer.content == missing.content.replace(b"nosuchlist", b"garden")

    # A mailbox provider's one-click POST for a member works as on a public list, and is not cached.
    response = Client(enforce_csrf_checks=True).post(one_click_path(), "List-Unsubscribe=One-Click",
                                                     content_type="application/x-www-form-urlencoded")  # fmt: skip
    assert response.status_code == 200 and find_member(mlist, ANN) is None
    assert "private" in response["Cache-Control"]

    # The options link mailed to a member, then the options page in that session.
    request_options_link(mlist, "bea@example.org")
    path = link_in_last_notice(r"/garden/options/[0-9a-f]+")
    assert client.get(path).status_code == 200
    assert client.post(path).status_code == 302
    assert "For bea@example.org" in client.get("/garden/options/").content.decode()

    bea.delivery_status = "by_bounces"
    bea.save()
    reenable = f"/garden/reenable/{reenable_token(mlist, 'bea@example.org', timezone.now())}"
    assert Client().get(reenable).status_code == 200


def test_a_name_given_on_the_subscribe_form_or_the_options_page_is_checked_as_the_owners_page_checks_it(
        client, mlist, django_user_model):  # fmt: skip
    """The owners' member page refuses a name holding a line break or a control character, or
    longer than 200 characters (lists/members.valid_display_name: names go into mail headers, the
    roster and its CSV as one line); the public subscribe form and a member's options page took
    anything, cutting at 200 without a word. Now they say why, and keep nothing."""
    from listhaven.lists.models import Pending

    response = subscribe(client, "bad@example.org", name="Eve\r\nBcc: everyone@example.org")
    assert response.status_code == 400 and "line break" in response.content.decode()
    assert not Pending.objects.filter(address="bad@example.org").exists()
    response = subscribe(client, "long@example.org", name="x" * 201)
    assert response.status_code == 400 and "at most 200" in response.content.decode()
    assert subscribe(client, "fine@example.org", name="  Fine Person ").status_code == 200
    assert Pending.objects.get(address="fine@example.org").payload["display_name"] == "Fine Person"

    add_member(mlist, ANN, display_name="Ann")
    client.force_login(django_user_model.objects.create_user(username=ANN, email=ANN))
    response = client.post("/garden/options/", {"delivery_mode": "regular", "display_name": "Ann\x00\nX"})
    assert response.status_code == 400 and "line break" in response.content.decode()
    assert find_member(mlist, ANN).display_name == "Ann"
    client.post("/garden/options/", {"delivery_mode": "regular", "display_name": " Ann E. "})
    assert find_member(mlist, ANN).display_name == "Ann E."
