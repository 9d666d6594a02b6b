"""A newcomer's member flows in Chromium (Playwright) against `listhaven run` (web, LMTP and a worker)
with its outbox: subscribe from /listinfo/LIST, read the confirmation in the outbox, confirm, receive a
post, change options, leave with the one-click link; and the same by mail through the LMTP server."""

from __future__ import annotations

import email
import email.policy
import json
import re
import smtplib
import time
import urllib.request
from pathlib import Path

import pytest

from tests.web.conftest import running_site

pytestmark = pytest.mark.browser

LIST = "garden@lists.example.org"
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Site:
    def __init__(self, url: str, lmtp_port: int, data: Path) -> None:
        self.url, self.lmtp_port, self.outbox = url, lmtp_port, data / "outbox"

    def mail_to(self, address: str, subject_pattern: str, seen: set[str] | None = None) -> email.message.EmailMessage:
        """The first outbox message to `address` whose Subject matches (waits for the worker, 60 s at most)."""
        seen = seen if seen is not None else set()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for path in sorted(self.outbox.glob("*/*")):
                if path.name in seen or not path.is_file():
                    continue
                message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                to = f"{message.get('Delivered-To', '')} {message.get('To', '')}"  # a list copy's To is the list
                if address in to and re.search(subject_pattern, str(message["Subject"])):
                    seen.add(path.name)
                    return message
            time.sleep(0.3)
        raise AssertionError(f"no mail to {address} matching {subject_pattern!r} in the outbox")

    def sent_to(self, address: str, subject_pattern: str) -> list[email.message.EmailMessage]:
        """The outbox's messages to `address` whose Subject matches, now (no waiting)."""
        found = []
        for path in sorted(self.outbox.glob("*/*")):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            to = f"{message.get('Delivered-To', '')} {message.get('To', '')}"
            if address in to and re.search(subject_pattern, str(message["Subject"])):
                found.append(message)
        return found

    def lmtp(self, sender: str, recipient: str, raw: bytes) -> int:
        with smtplib.LMTP("127.0.0.1", self.lmtp_port, timeout=30) as client:
            client.ehlo("mta.example.org")
            client.mail(sender)
            client.rcpt(recipient)
            return client.data(raw)[0]


def body(message: email.message.EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    data = tmp_path_factory.mktemp("members-site")
    with running_site(data, [["list", "create", LIST]], {"LISTHAVEN_SUBSCRIBE_FORM_MIN_SECONDS": "1"}) as (url, lmtp):
        yield Site(url, lmtp, data)


def post_to_list(site: Site, sender: str, subject: str) -> None:
    raw = (f"From: <{sender}>\r\nTo: {LIST}\r\nSubject: {subject}\r\nMessage-ID: <{subject.replace(' ', '.')}@example>\r\n"
           f"Date: Mon, 30 Nov 2026 10:00:00 +0000\r\nContent-Type: text/plain\r\n\r\nHello everyone.\r\n").encode()  # fmt: skip
    assert site.lmtp(sender, LIST, raw) == 250


def unsubscribe_url(message: email.message.EmailMessage) -> str:
    found = re.search(r"<(https?://[^>]+/unsubscribe/[0-9a-f]+)>", str(message["List-Unsubscribe"]))
    assert found, message["List-Unsubscribe"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    return found.group(1)


def test_subscribe_confirm_options_and_leave_in_the_browser(site, browser):
    ann = "ann@example.org"
    context = browser.new_context(base_url=site.url)
    page = context.new_page()
    page.goto("/listinfo/garden")
    page.fill("#sub-address", ann)
    page.fill("#sub-name", "Ann Example")
    assert not page.locator("#sub-website").is_visible()  # the honeypot is not for people
    page.wait_for_timeout(1300)  # the form's minimum time (1 s here)
    page.click("button:has-text('Subscribe')")
    assert page.locator("h1").inner_text() == "Check your mailbox"

    confirmation = site.mail_to(ann, r"^confirm [0-9a-f]+$")
    link = re.search(r"https?://\S+/confirm/[0-9a-f]+", body(confirmation)).group(0)
    page.goto(link)
    page.click("button:has-text('Confirm')")
    assert page.locator("h1").inner_text() == "You are subscribed"
    site.mail_to(ann, "Welcome to")

    post_to_list(site, ann, "Browser flow post")
    copy = site.mail_to(ann, "Browser flow post")
    one_click = unsubscribe_url(copy)

    page.goto("/garden/options/")
    page.fill("#opt-address", ann)
    page.wait_for_timeout(1300)
    page.click("button:has-text('Email me my options link')")
    options_link = re.search(r"https?://\S+/garden/options/[0-9a-f]+", body(site.mail_to(ann, "your options"))).group(0)
    page.goto(options_link)
    assert f"the options of {ann} on the Garden mailing list" in page.locator("main").inner_text()  # not a bare button
    page.click("button:has-text('Open my options')")
    page.check("input[name=delivery_mode][value=mime_digest]")
    page.check("input[name=acknowledge_posts]")
    page.click("button:has-text('Save')")
    assert "saved" in page.locator("[role=status]").inner_text()
    assert page.locator("input[name=delivery_mode][value=mime_digest]").is_checked()

    page.goto(one_click)
    page.click("button:has-text('Unsubscribe')")
    assert page.locator("h1").inner_text().startswith("You have left")
    site.mail_to(ann, "You have left")

    # The same link again (an older copy, the mail program's button pressed twice): no button that
    # would do nothing, but what is true and the way back in.
    page.goto(one_click)
    assert page.locator("h1").inner_text() == "Not on Garden"
    assert f"{ann} does not receive" in page.locator("main").inner_text()
    assert page.get_by_role("button", name="Unsubscribe").count() == 0
    page.click("main a:has-text('Join again')")
    assert page.url.endswith("/listinfo/garden")
    context.close()


def test_the_same_by_mail_through_lmtp_and_one_click(site):
    bob = "bob@example.net"
    join = "garden-join@lists.example.org"
    raw = f"From: Bob <{bob}>\r\nTo: {join}\r\nSubject: join\r\nMessage-ID: <join.bob@example>\r\n\r\n".encode()
    assert site.lmtp(bob, join, raw) == 250
    confirmation = site.mail_to(bob, r"^confirm [0-9a-f]+$")
    reply_to = str(confirmation["Reply-To"])
    reply = (f"From: Bob <{bob}>\r\nTo: {reply_to}\r\nSubject: Re: {confirmation['Subject']}\r\n"
             f"Message-ID: <confirm.bob@example>\r\n\r\n> Someone asked to subscribe\r\n").encode()  # fmt: skip
    assert site.lmtp(bob, reply_to, reply) == 250
    site.mail_to(bob, "Welcome to")

    post_to_list(site, bob, "Mail flow post")
    url = unsubscribe_url(site.mail_to(bob, "Mail flow post"))
    request = urllib.request.Request(url, data=b"List-Unsubscribe=One-Click", method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    with OPENER.open(request, timeout=30) as response:
        assert response.status == 200
    site.mail_to(bob, "You have left")
    again = urllib.request.Request(url.replace("/unsubscribe/", "/unsubscribe/0"), data=b"List-Unsubscribe=One-Click")
    with pytest.raises(urllib.error.HTTPError) as refused:
        OPENER.open(again, timeout=30)
    assert refused.value.code == 404


def test_a_member_downloads_their_data_and_deletes_their_account_in_the_browser(site, browser):
    carol = "carol@example.com"
    join = "garden-join@lists.example.org"
    raw = f"From: <{carol}>\r\nTo: {join}\r\nSubject: join\r\nMessage-ID: <join.carol@example>\r\n\r\n".encode()
    assert site.lmtp(carol, join, raw) == 250
    confirmation = site.mail_to(carol, r"^confirm [0-9a-f]+$")
    reply = (f"From: <{carol}>\r\nTo: {confirmation['Reply-To']}\r\nSubject: Re: {confirmation['Subject']}\r\n"
             f"Message-ID: <confirm.carol@example>\r\n\r\n").encode()  # fmt: skip
    assert site.lmtp(carol, str(confirmation["Reply-To"]), reply) == 250
    site.mail_to(carol, "Welcome to")
    post_to_list(site, carol, "Carol data post")
    site.mail_to(carol, "Carol data post")

    context = browser.new_context(base_url=site.url, accept_downloads=True)
    page = context.new_page()
    page.goto("/accounts/link/")
    page.fill("input[name=email]", carol)
    page.click("button:has-text('Mail me a link')")
    page.goto(re.search(r"https?://\S+/accounts/link/\S+/", body(site.mail_to(carol, "^Sign in to"))).group(0))
    page.click("button:has-text('Sign in')")

    page.goto("/garden/options/")
    with page.expect_download() as download:
        page.click("text=Download what this site holds about you")
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert [m["list"] for m in data["memberships"]] == [LIST] and data["account"]["email"] == carol
    assert [p["subject"] for p in data["posts"]] == ["[Garden] Carol data post"]  # as archived, tag and all

    page.click("text=Delete your account")
    page.fill("#confirm-address", carol)
    page.click("button:has-text('Delete my account')")
    assert page.locator("h1").inner_text() == "Your account is deleted"
    page.goto("/garden/options/")  # signed out: the page asks for an address to mail a link to
    assert page.locator("#opt-address").is_visible() and not page.locator("input[name=delivery_mode]").count()
    page.goto("/accounts/data.json")
    assert "/accounts/login/" in page.url  # nobody to show data of
    context.close()


def test_a_member_changes_their_address_and_keeps_their_options(site, browser):
    """Mailman 2's "change your subscription address": from the options page, confirmed by the new
    address; the next post goes to it, as a digest member's would (the options move with it)."""
    dave, new = "dave@example.org", "dave@new.example.org"
    join = "garden-join@lists.example.org"
    raw = f"From: <{dave}>\r\nTo: {join}\r\nSubject: join\r\nMessage-ID: <join.dave@example>\r\n\r\n".encode()
    assert site.lmtp(dave, join, raw) == 250
    confirmation = site.mail_to(dave, r"^confirm [0-9a-f]+$")
    reply = (f"From: <{dave}>\r\nTo: {confirmation['Reply-To']}\r\nSubject: Re: {confirmation['Subject']}\r\n"
             f"Message-ID: <confirm.dave@example>\r\n\r\n").encode()  # fmt: skip
    assert site.lmtp(dave, str(confirmation["Reply-To"]), reply) == 250
    site.mail_to(dave, "Welcome to")

    context = browser.new_context(base_url=site.url)
    page = context.new_page()
    page.goto("/garden/options/")
    page.fill("#opt-address", dave)
    page.wait_for_timeout(1300)
    page.click("button:has-text('Email me my options link')")
    page.goto(re.search(r"https?://\S+/garden/options/[0-9a-f]+", body(site.mail_to(dave, "your options"))).group(0))
    page.click("button:has-text('Open my options')")
    page.check("input[name=acknowledge_posts]")
    page.click("button:has-text('Save')")
    page.fill("#new-address", new)
    page.click("button:has-text('Change my address')")
    assert f"A message to {new} asks it to confirm" in page.locator("[role=status]").inner_text()

    link = re.search(r"https?://\S+/confirm/[0-9a-f]+", body(site.mail_to(new, r"^confirm [0-9a-f]+$"))).group(0)
    page.goto(link)
    assert f"change the address {dave} to {new}" in page.locator("main").inner_text()
    page.click("button:has-text('Confirm')")
    assert page.locator("h1").inner_text() == "Your address is changed"

    post_to_list(site, new, "Dave from his new address")
    site.mail_to(new, "Dave from his new address")  # a member's copy, at the new address
    site.mail_to(new, "post acknowledgement$")  # the acknowledgement he asked for moved with him
    assert site.sent_to(dave, "Dave from his new address") == []
    context.close()
