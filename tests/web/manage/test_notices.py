"""The list's notices edited by its owners: the site default shown and previewed, the list's own text
validated, saved (and used by the next notice sent), recorded in the history, and reset. The
subscription, digest and bounce settings on the settings page."""

from __future__ import annotations

import email
import email.policy

from listhaven.archive.compression import decompress
from listhaven.lists.models import MailingList, Outgoing
from listhaven.lists.subscriptions import request_subscription
from listhaven.web.models import SettingChange
from tests.web.conftest import settings_post


def last_notice_to(address: str) -> email.message.EmailMessage:
    row = next(r for r in Outgoing.objects.filter(kind="notice").order_by("-id") if address in r.recipients)
    return email.message_from_bytes(decompress(bytes(row.template)), policy=email.policy.default)


def test_every_notice_is_listed_and_previewed_with_the_lists_values(client_as, lists_with_roles):
    client = client_as("owner")
    listing = client.get("/manage/garden/notices/").content.decode()
    for name in ("welcome", "goodbye", "confirm_subscribe", "request_refused", "bounce_disabled"):
        assert f"/manage/garden/notices/{name}/" in listing
    page = client.get("/manage/garden/notices/welcome/").content.decode()
    assert "Welcome to the Garden mailing list, ann@example.org." in page  # filled in: list values and samples
    assert "{options_url}" in page  # the placeholders are listed
    assert client.get("/manage/garden/notices/no_such_notice/").status_code == 404


def test_every_notices_preview_fills_every_placeholder(client_as, lists_with_roles):
    """The preview an owner edits against shows each notice as sent: no {placeholder} left as written."""
    import re

    from listhaven.lists.notices import NOTICES

    client = client_as("owner")
    missing: set[tuple[str, str]] = set()
    for name in NOTICES:
        page = client.get(f"/manage/garden/notices/{name}/").content.decode()
        preview = page[page.index("As a member gets it"):]
        missing.update((name, p) for p in re.findall(r"\{[a-z_]+\}", preview))
    assert sorted(missing) == [], sorted(missing)


def test_the_lists_own_text_is_saved_used_recorded_and_reset(client_as, lists_with_roles):
    garden = lists_with_roles["garden"]
    garden.subscribe_policy = "open"
    garden.save(update_fields=["subscribe_policy"])
    client = client_as("owner")
    text = {"subject": "Hello from {list_title}", "body": "Dear {address}, welcome among the gardeners.\nOptions: {options_url}\n"}
    preview = client.post("/manage/garden/notices/welcome/", {**text, "preview": "1"}).content.decode()
    assert "Dear ann@example.org, welcome among the gardeners." in preview
    assert "welcome" not in MailingList.objects.get(pk=garden.pk).notice_templates  # a preview saves nothing
    client.post("/manage/garden/notices/welcome/", text)
    garden.refresh_from_db()
    request_subscription(garden, "newcomer@example.net")
    welcome = last_notice_to("newcomer@example.net")
    assert welcome["Subject"] == "Hello from Garden"
    assert "Dear newcomer@example.net, welcome among the gardeners." in welcome.get_body(("plain",)).get_content()
    change = SettingChange.objects.get(mailing_list=garden, group="notices", field="welcome")
    assert change.old_value == "(the site's default)" and "welcome among the gardeners" in change.new_value
    client.post("/manage/garden/notices/welcome/", {"reset": "1"})
    garden.refresh_from_db()
    assert "welcome" not in garden.notice_templates
    request_subscription(garden, "second@example.net")
    assert last_notice_to("second@example.net")["Subject"] == "Welcome to Garden"


def test_unknown_placeholders_and_two_line_subjects_are_refused(client_as, lists_with_roles):
    client = client_as("owner")
    response = client.post("/manage/garden/notices/goodbye/", {"subject": "Bye\nBcc: x@example.net", "body": "{confirm_url}"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "a subject is one line" in page and "this notice has no {confirm_url}" in page
    assert MailingList.objects.get(name="garden").notice_templates == {}


def test_subscription_digest_and_bounce_settings_on_the_settings_page(client_as, lists_with_roles):
    garden = lists_with_roles["garden"]
    client = client_as("owner")
    page = client.get("/manage/garden/settings/").content.decode()
    for group in ('id="subscription"', 'id="digests"', 'id="bounces"', "/manage/garden/notices/"):
        assert group in page
    data = settings_post(garden, subscribe_policy="moderate", digest_frequency="weekly", bounce_threshold="0")
    refused = client.post("/manage/garden/settings/", data)
    assert refused.status_code == 400 and "a threshold above 0" in refused.content.decode()
    data["bounce_threshold"] = "3.5"
    assert client.post("/manage/garden/settings/", data).status_code == 302
    garden.refresh_from_db()
    assert (garden.subscribe_policy, garden.digest_frequency, garden.bounce_threshold) == ("moderate", "weekly", 3.5)
    assert SettingChange.objects.filter(mailing_list=garden, group="subscription", field="subscribe_policy").exists()


def test_held_posts_cannot_be_set_to_expire_as_they_are_held(client_as, lists_with_roles):
    """The worker discards expired held posts every ten minutes: at 0 days (Mailman's "keep for ever")
    every held post would be gone before a moderator could read its notice."""
    garden = lists_with_roles["garden"]
    client = client_as("owner")
    refused = client.post("/manage/garden/settings/", settings_post(garden, hold_days="0"))
    assert refused.status_code == 400 and "at least 1 day" in refused.content.decode()
    garden.refresh_from_db()
    assert garden.hold_days == 14
    assert client.post("/manage/garden/settings/", settings_post(garden, hold_days="30")).status_code == 302
    garden.refresh_from_db()
    assert garden.hold_days == 30
