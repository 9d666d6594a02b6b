"""Moving a Mailman 2.1 list: config.pck as Python 2 writes it, read with the restricted unpickler,
turned into the list's settings, people and options; its archive keeps Pipermail's numbers; a post
afterwards goes where the old options say; a hostile pickle runs nothing and creates nothing."""

from __future__ import annotations

import email
import email.header
import gzip
import hashlib
import json
import smtplib
import threading

import pytest

from listhaven.archive.models import Message, Quarantine
from listhaven.cli import main
from listhaven.delivery.outgoing import Worker
from listhaven.delivery.transport import MaildirTransport
from listhaven.lists.models import Ban, HeldMessage, MailingList, Member, Outgoing, Pending
from listhaven.lists.moderation import held_bytes, moderate
from listhaven.lists.moving.mailman2 import plan_from_config
from listhaven.lists.moving.safe_pickle import UnsafePickle, load_config
from listhaven.lists.posting import receive_post
from tests.lists.messages import build
from tests.support.mailman2 import (
    DEFAULT_FOOTER,
    BounceInfo,
    Charset,
    Header,
    Py2Message,
    Unicode,
    hostile_pickle,
    pipermail_article,
    py2_pickle,
)  # fmt: skip

ADDRESS = "garden@lists.example.org"


def garden_config() -> dict:
    """Every key the move reads, with values as Mailman 2.1 keeps them (lower-cased keys, the
    case-preserved address or 0 as the members' values, times as floats)."""
    return {
        "_internal_name": "garden", "host_name": "lists.example.org", "web_page_url": "http://lists.example.org/mailman/",
        "cgiext": "", "data_version": 112, "real_name": "Garden", "description": "Growing things together",
        "info": Unicode("A list for allotment holders. Café on Sundays."), "subject_prefix": "[Garden %d] ",
        "msg_footer": DEFAULT_FOOTER + "Your address: %(user_address)s\nPassword: %(user_password)s\n",
        "reply_goes_to_list": 2, "reply_to_address": "replies@lists.example.org", "max_message_size": 120,
        "subscribe_policy": 3, "unsubscribe_policy": 1, "archive_private": 1, "archive": True,
        "generic_nonmember_action": 2, "member_moderation_action": 1, "private_roster": 1,
        "send_welcome_msg": 0, "send_goodbye_msg": 1, "max_num_recipients": 25, "emergency": 0,
        "acceptable_aliases": "garden@old.example.org\n", "digest_size_threshhold": 45,
        "accept_these_nonmembers": ["friend@elsewhere.example", "^.*@partner\\.example$"],
        "hold_these_nonmembers": ["maybe@elsewhere.example"], "reject_these_nonmembers": ["@otherlist"],
        "discard_these_nonmembers": ["spam@elsewhere.example"],
        "ban_list": ["troll@example.com", "^.*@spam\\.example$"],
        "owner": ["owner@example.org"], "moderator": ["mod@example.org", "owner@example.org"],
        "members": {"ann@example.org": 0, "bob@example.net": "Bob@example.net", "quiet@example.org": 0,
                    "away@example.org": 0, "gone@example.org": 0, "hush@example.org": 0, "mod@example.org": 0},
        "digest_members": {"mime@example.com": 0, "plain@example.com": 0},
        "usernames": {"ann@example.org": Unicode("Ann Exämple"), "bob@example.net": "Bob Builder"},
        "user_options": {"ann@example.org": 2 | 4 | 32, "quiet@example.org": 128, "hush@example.org": 16,
                         "plain@example.com": 8, "away@example.org": 1, "bob@example.net": 256},
        "delivery_status": {"gone@example.org": (4, 1262304000.0), "away@example.org": (2, 1300000000.0)},
        "bounce_info": {"gone@example.org": BounceInfo("gone@example.org", 5.0, (2010, 1, 1), 0)},
        "passwords": {"ann@example.org": "secret", "bob@example.net": "hunter2"},
        "mod_password": "5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8", "password": "x", "post_password": "",
        "language": {"ann@example.org": "en"}, "preferred_language": "en", "topics": [("Seeds", "seeds?", "", 0)],
        "topics_userinterest": {}, "bounce_processing": 0, "header_filter_rules": [], "new_member_options": 256,
        "digestable": 1, "nondigestable": 1, "_new_member_options": 0,
    }  # fmt: skip


def mbox(*posts: tuple[str, str, str]) -> bytes:
    """An archive mbox as Mailman 2 appends it: From_ line, the message, a blank line."""
    parts = []
    for msgid, subject, month in posts:
        parts.append(
            f"From ann@example.org  Mon {month} 10:00:00 2010\n"
            f"From: Ann <ann@example.org>\nTo: {ADDRESS}\nSubject: {subject}\n"
            f"Date: Mon, 01 {month} 2010 10:00:00 +0000\nMessage-ID: <{msgid}>\n\n{subject}: body text.\n\n"
        )
    return "".join(parts).encode()


ARCHIVE = mbox(("first@example.org", "Seeds", "Feb"), ("second@example.org", "Sun", "Feb"),
               ("first@example.org", "Seeds", "Feb"),  # the same message archived twice
               ("third@example.org", "Rain", "Mar"), ("fourth@example.org", "Frost", "Mar"))  # fmt: skip


def move(tmp_path, capsys):
    config = tmp_path / "config.pck"
    config.write_bytes(py2_pickle(garden_config(), protocol=2))
    (tmp_path / "garden.mbox").write_bytes(ARCHIVE)
    assert main(["import-list", "mailman2", "--config", str(config), "--archive", str(tmp_path / "garden.mbox")]) == 0
    return MailingList.objects.get(address=ADDRESS), capsys.readouterr().out


@pytest.fixture
def moved(db, tmp_path, capsys):
    return move(tmp_path, capsys)


@pytest.fixture
def moved_for_delivery(transactional_db, tmp_path, capsys):
    """The worker commits as it sends: it needs a database without a wrapping test transaction."""
    return move(tmp_path, capsys)


def test_the_settings_are_carried_over(moved):
    mlist, _ = moved
    assert (mlist.name, mlist.display_name, mlist.description) == ("garden", "Garden", "Growing things together")
    assert mlist.info == "A list for allotment holders. Café on Sundays."
    assert mlist.subject_tag == "[Garden]"
    assert (mlist.reply_to, mlist.reply_to_address) == ("explicit", "replies@lists.example.org")
    assert (mlist.max_message_kb, mlist.max_recipients, mlist.digest_size_kb) == (120, 25, 45)
    assert (mlist.subscribe_policy, mlist.unsubscribe_policy) == ("confirm_moderate", "confirm_moderate")
    assert mlist.is_private and mlist.nonmember_action == "reject" and mlist.member_moderation_action == "reject"
    assert (mlist.roster_visibility, mlist.send_welcome, mlist.send_goodbye) == ("members", False, True)
    assert mlist.acceptable_aliases == ["garden@old.example.org"]
    assert mlist.footer.splitlines()[1:4] == ["{list_name} mailing list", "{list_address}", "{listinfo_url}"]
    assert "Your address: {member_address}" in mlist.footer and "%(" not in mlist.footer


def test_people_and_each_members_options(moved):
    mlist, _ = moved
    rows = {(m.address, m.role): m for m in Member.objects.filter(mailing_list=mlist)}
    assert {a for a, r in rows if r == "owner"} == {"owner@example.org"}
    assert {a for a, r in rows if r == "moderator"} == {"mod@example.org", "owner@example.org"}
    ann, bob = rows[("ann@example.org", "member")], rows[("Bob@example.net", "member")]
    assert (ann.display_name, ann.receive_own_posts, ann.acknowledge_posts) == ("Ann Exämple", False, True)
    assert (bob.display_name, bob.receive_own_posts) == ("Bob Builder", True)
    assert rows[("quiet@example.org", "member")].moderated
    assert rows[("hush@example.org", "member")].hide_address
    assert rows[("mime@example.com", "member")].delivery_mode == "mime_digest"
    assert rows[("plain@example.com", "member")].delivery_mode == "plain_digest"
    gone, away = rows[("gone@example.org", "member")], rows[("away@example.org", "member")]
    assert (gone.delivery_status, gone.disabled_reason) == ("by_bounces", "disabled because of bounces in Mailman 2 on 2010-01-01")
    assert gone.bounce_score == 5.0
    assert (away.delivery_status, away.disabled_reason) == ("by_user", "disabled by the member in Mailman 2 on 2011-03-13")
    actions = {a: m.action for (a, r), m in rows.items() if r == "nonmember"}
    assert actions == {"friend@elsewhere.example": "accept", "maybe@elsewhere.example": "hold",
                       "spam@elsewhere.example": "discard"}  # fmt: skip
    assert set(Ban.objects.filter(mailing_list=mlist).values_list("pattern", flat=True)) == {
        "troll@example.com", "^.*@spam\\.example$"}
    # members as they were: nobody is asked to confirm, welcomed or told anything by the move
    assert not Pending.objects.exists() and not Outgoing.objects.exists()


def test_the_archive_keeps_pipermails_numbers(moved, client):
    mlist, report = moved
    numbers = dict(Message.objects.filter(mailing_list=mlist).values_list("message_id", "archive_number"))
    assert numbers == {"first@example.org": 0, "second@example.org": 1, "third@example.org": 3,
                       "fourth@example.org": 4}  # fmt: skip
    assert "Pipermail numbers (2) answer 404" in report


def test_the_pipermail_pages_numbers_win_and_every_old_link_lands(db, tmp_path, client):
    """Message 1 was removed from the mbox after Pipermail archived it: the pages say which number
    each remaining message had; the mbox order alone would shift them."""
    config = garden_config() | {"archive_private": 0}
    (tmp_path / "config.pck").write_bytes(py2_pickle(config))
    (tmp_path / "garden.mbox").write_bytes(mbox(("first@example.org", "Seeds", "Feb"),
                                                ("third@example.org", "Rain", "Mar"),
                                                ("late@example.org", "Late", "Mar")))  # fmt: skip
    pages = {"2010-February": [(0, "first@example.org", "Seeds"), (1, "second@example.org", "Sun")],
             "2010-March": [(2, "third@example.org", "Rain")]}  # fmt: skip
    for month, articles in pages.items():
        (tmp_path / "html" / month).mkdir(parents=True)
        for number, msgid, subject in articles:
            (tmp_path / "html" / month / f"{number:06d}.html").write_bytes(
                pipermail_article(ADDRESS, number, msgid, f"[Garden] {subject}"))
    assert main(["import-list", "mailman2", "--config", str(tmp_path / "config.pck"), "--archive",
                 str(tmp_path / "garden.mbox"), "--pipermail", str(tmp_path / "html")]) == 0  # fmt: skip
    mlist = MailingList.objects.get(address=ADDRESS)
    stored = {m.archive_number: m for m in Message.objects.filter(mailing_list=mlist)}
    assert {n: m.message_id for n, m in stored.items()} == {
        0: "first@example.org", 2: "third@example.org", 3: "late@example.org"}
    for number, month in ((0, "2010-February"), (2, "2010-March"), (3, "2010-March")):
        answer = client.get(f"/pipermail/garden/{month}/{number:06d}.html")
        assert answer.status_code == 301
        assert answer["Location"] == f"/garden/message/{stored[number].public_id}/"
    assert client.get("/pipermail/garden/2010-February/000001.html").status_code == 404


def test_the_report_names_what_has_no_equivalent(moved):
    _, report = moved
    for named in ("members' passwords (2)", "SHA-1", "post number in the subject prefix",
                  "%(user_password)s", "'^.*@partner\\\\.example$'", "'@otherlist'", "topics (1)",
                  "no duplicates of posts", "bounce_processing = off"):  # fmt: skip
        assert named in report, named
    for default in ("digestable", "nondigestable", "header_filter_rules", "new_member_options"):
        assert default not in report, default  # Mailman's default, or carried: not named
    assert "9 members (7 regular, 2 digest; 2 with delivery disabled" in report


def test_a_post_goes_where_the_old_options_say(moved_for_delivery, tmp_path):
    mlist, _ = moved_for_delivery
    outcome = receive_post(mlist, build(sender="Ann <ann@example.org>", msgid="after@example.org"))
    assert outcome.verdict.action == "accept"
    post = Outgoing.objects.get(kind="post")
    # not ann (own posts), not the digest members, not away/gone (disabled); Bob as Mailman spelled him
    assert post.recipients == ["Bob@example.net", "quiet@example.org", "hush@example.org", "mod@example.org"]
    ack = Outgoing.objects.get(kind="notice")
    assert ack.recipients == ["ann@example.org"]  # AcknowledgePosts
    assert receive_post(mlist, build(sender="quiet@example.org", msgid="q@example.org")).verdict.action == "reject"
    assert receive_post(mlist, build(sender="x@spam.example", msgid="s@example.org")).verdict.rule == "banned"
    assert receive_post(mlist, build(sender="friend@elsewhere.example", msgid="f@example.org")).verdict.action == "accept"
    assert receive_post(mlist, build(sender="maybe@elsewhere.example", msgid="m@example.org")).verdict.action == "hold"
    assert HeldMessage.objects.filter(mailing_list=mlist).count() == 1
    assert receive_post(mlist, build(sender="who@elsewhere.example", msgid="w@example.org")).verdict.action == "reject"
    Worker(MaildirTransport(tmp_path / "outbox")).run(threading.Event(), until_idle=True)
    delivered = [email.message_from_bytes(f.read_bytes()) for f in (tmp_path / "outbox" / "new").iterdir()]
    to_bob = [m for m in delivered if m["Delivered-To"] == "Bob@example.net" and "Tomatoes" in str(m["Subject"])]
    assert len(to_bob) == 2  # ann's post and the accepted non-member's
    copy = next(m for m in to_bob if "after@example.org" in m["Message-ID"])
    assert copy["Reply-To"] == "replies@lists.example.org" and copy["Subject"] == "[Garden] Tomatoes"
    assert "Your address: Bob@example.net" in copy.get_payload(decode=True).decode()


def test_how_long_posts_are_held_is_carried_and_for_ever_is_named():
    kept = plan_from_config(garden_config() | {"max_days_to_hold": 3})
    assert kept.fields["hold_days"] == 3
    assert "max_days_to_hold" not in kept.report.render()
    for_ever = plan_from_config(garden_config() | {"max_days_to_hold": 0})
    assert "hold_days" not in for_ever.fields  # the list's default here
    assert "max_days_to_hold = 0 (held posts wait for a moderator for ever): held posts expire here, after 14 days" \
        in for_ever.report.render()


def test_protocol_1_as_older_mailman_wrote_it():
    config = load_config(py2_pickle(garden_config(), protocol=1))
    plan = plan_from_config(config)
    assert plan.fields["reply_to"] == "explicit" and len(plan.members) == 9


def test_a_hostile_pickle_runs_nothing_and_creates_nothing(db, tmp_path, capsys):
    marker = tmp_path / "ran"
    config = tmp_path / "config.pck"
    config.write_bytes(hostile_pickle(str(marker)))
    with pytest.raises(UnsafePickle, match=r"os\.system"):
        load_config(config.read_bytes())
    assert main(["import-list", "mailman2", "--config", str(config), "--address", ADDRESS]) == 1
    assert "refers to os.system" in capsys.readouterr().err
    assert not marker.exists()
    assert not MailingList.objects.filter(address=ADDRESS).exists() and not Member.objects.exists()


@pytest.mark.parametrize(("payload", "refusal"), [
    (b"\x80\x02cbuiltins\neval\nX\x04\x00\x00\x001+1\x85R.", UnsafePickle),  # a builtin, not a plain type
    (b"\x80\x02c__builtin__\nset\n)R.", None),  # a set: allowed, but not a dict
    (b"\x80\x02}(X\x01\x00\x00\x00a\x82\x01\x00u.", None),  # EXT1: a copyreg code, refused
    (b"\x80\x02}X\x01\x00\x00\x00aQ.", None),  # BINPERSID: a persistent reference
])  # fmt: skip
def test_every_name_but_the_allowed_ones_is_refused(payload, refusal):
    with pytest.raises(refusal or ValueError):
        load_config(payload)


def test_unescaped_from_lines_in_an_old_archive_cut_no_message(db, tmp_path, client):
    """A list archived since 1998: bodies whose "From " lines Mailman never escaped (before 2.1),
    one message without a Message-ID, one without a Date. Each message is one message, whole,
    and keeps the number Pipermail gave it, so the links after the first body line still land."""
    config = garden_config() | {"archive_private": 0}
    (tmp_path / "config.pck").write_bytes(py2_pickle(config))
    head = f"To: {ADDRESS}\nFrom: Ann <ann@example.org>\n"
    archive = (
        "From ann@example.org  Mon Jan  5 10:00:00 1998\n" + head
        + "Subject: Welcome\nDate: Mon, 5 Jan 98 10:00:00 +0100\nMessage-ID: <welcome@example.org>\n\n"
        "Hello all.\n\nFrom what I hear the list works.\n\n"
        "From ann@example.org Mon Jan  5 09:00:00 1998 (a pasted envelope line)\n\nAnn\n\n"
        "From bob@example.net  Tue Jan  6 10:00:00 1998\n" + head
        + "Subject: No id\nDate: Tue, 6 Jan 1998 10:00:00 -0500\n\nThis one has no Message-ID.\n\n"
        "From ann@example.org  Wed Jan  7 10:00:00 1998\n" + head
        + "Subject: No date\nMessage-ID: <nodate@example.org>\n\nFrom my garden, no Date.\n\n"
        "From ann@example.org  Thu Feb  5 10:00:00 1998\n" + head
        + "Subject: Later\nDate: Thu, 5 Feb 1998 10:00:00 +0000\nMessage-ID: <later@example.org>\n\nLater.\n\n"
    )  # fmt: skip
    (tmp_path / "garden.mbox").write_bytes(archive.encode())
    assert main(["import-list", "mailman2", "--config", str(tmp_path / "config.pck"),
                 "--archive", str(tmp_path / "garden.mbox")]) == 0  # fmt: skip
    mlist = MailingList.objects.get(address=ADDRESS)
    stored = {m.archive_number: m for m in Message.objects.filter(mailing_list=mlist)}
    assert sorted(stored) == [0, 1, 2, 3]
    assert stored[0].message_id == "welcome@example.org" and stored[3].message_id == "later@example.org"
    assert stored[2].message_id == "nodate@example.org" and stored[2].date.date().isoformat() == "1998-01-07"
    assert not Quarantine.objects.filter(mailing_list=mlist).exists()
    assert "From what I hear the list works." in stored[0].body_text and "Ann" in stored[0].body_text
    assert "no Message-ID" in stored[1].body_text and stored[1].date.year == 1998
    answer = client.get("/pipermail/garden/1998-February/000003.html")
    assert answer.status_code == 301 and answer["Location"] == f"/garden/message/{stored[3].public_id}/"


def test_moving_again_adds_only_what_the_list_lacks(moved, tmp_path, capsys):
    """A first move to try things, then the final one after the old list took a post and a member:
    without --update nothing changes; with it, the new member and the new post arrive, nobody and
    nothing twice, each old post at its number, and what was changed here since stays."""
    mlist, _ = moved
    Member.objects.filter(mailing_list=mlist, address="ann@example.org").update(receive_own_posts=True)
    Member.objects.create(mailing_list=mlist, address="local@example.org")
    config = garden_config()
    config["members"] = config["members"] | {"new@example.org": 0}
    (tmp_path / "config.pck").write_bytes(py2_pickle(config))
    (tmp_path / "garden.mbox").write_bytes(ARCHIVE + mbox(("fifth@example.org", "Hail", "Apr")))
    again = ["import-list", "mailman2", "--config", str(tmp_path / "config.pck"), "--archive", str(tmp_path / "garden.mbox")]
    assert main(again) == 1
    assert "exists already" in capsys.readouterr().err and not Member.objects.filter(address="new@example.org").exists()
    assert main([*again, "--update"]) == 0
    report = capsys.readouterr().out
    rows = Member.objects.filter(mailing_list=mlist, role="member")
    assert rows.count() == 11 and rows.filter(address="new@example.org").exists()
    assert rows.get(address="ann@example.org").receive_own_posts  # changed here: kept
    numbers = dict(Message.objects.filter(mailing_list=mlist).values_list("message_id", "archive_number"))
    assert numbers == {"first@example.org": 0, "second@example.org": 1, "third@example.org": 3,
                       "fourth@example.org": 4, "fifth@example.org": 5}  # fmt: skip
    assert "added 1 members" in report and "1 of 6 messages stored" in report and "4 already here" in report
    assert "local@example.org" in report  # on the list here, not on the old one: named, kept
    assert main([*again, "--update"]) == 0
    assert rows.count() == 11 and Message.objects.filter(mailing_list=mlist).count() == 5


def test_numbers_taken_here_since_the_first_move_are_not_reused(moved, tmp_path):
    """A post received here after a first move took number 5; the old list's own fifth message,
    moved later, gets the next free number instead of colliding."""
    mlist, _ = moved
    receive_post(mlist, build(sender="Ann <ann@example.org>", msgid="here@example.org"))
    assert Message.objects.get(message_id="here@example.org").archive_number == 5
    (tmp_path / "garden.mbox").write_bytes(ARCHIVE + mbox(("fifth@example.org", "Hail", "Apr")))
    assert main(["import-list", "mailman2", "--config", str(tmp_path / "config.pck"), "--archive",
                 str(tmp_path / "garden.mbox"), "--update"]) == 0  # fmt: skip
    assert Message.objects.get(message_id="fifth@example.org").archive_number == 6


def test_moving_again_tells_a_renumbered_message_already_here_not_a_duplicate(moved, tmp_path, capsys):
    """The old fifth message went to number 6 (5 was taken here); moving once more finds it already here,
    at 6: it is not an exact duplicate copy in the mbox whose number would answer 404."""
    mlist, _ = moved
    receive_post(mlist, build(sender="Ann <ann@example.org>", msgid="here@example.org"))
    (tmp_path / "garden.mbox").write_bytes(ARCHIVE + mbox(("fifth@example.org", "Hail", "Apr")))
    again = ["import-list", "mailman2", "--config", str(tmp_path / "config.pck"), "--archive",
             str(tmp_path / "garden.mbox"), "--update"]  # fmt: skip
    assert main(again) == 0 and main([*again, "--dry-run"]) == 0
    capsys.readouterr()
    assert main(again) == 0
    report = capsys.readouterr().out
    assert "0 of 6 messages stored" in report and "5 already here" in report
    assert "exact duplicate copies in the mbox are stored once; their Pipermail numbers (2) answer 404" in report
    assert Message.objects.get(message_id="fifth@example.org").archive_number == 6


def test_a_dry_run_says_what_the_move_would_do_and_changes_nothing(db, tmp_path, capsys):
    (tmp_path / "config.pck").write_bytes(py2_pickle(garden_config()))
    (tmp_path / "garden.mbox").write_bytes(ARCHIVE)
    command = ["import-list", "mailman2", "--config", str(tmp_path / "config.pck"), "--archive",
               str(tmp_path / "garden.mbox")]  # fmt: skip
    tables = (MailingList, Member, Ban, Message, Quarantine)
    before = [model.objects.count() for model in tables]  # another module's rows may be here: count, not assume none
    assert main([*command, "--dry-run"]) == 0
    report = capsys.readouterr().out
    assert report.startswith("Dry run: nothing was changed.")
    assert "9 members (7 regular, 2 digest" in report and "members' passwords (2)" in report
    assert "archive: 4 of 5 messages would be stored (numbers 0-4, numbered by their place" in report
    assert "dated 2010 to 2010" in report and "their Pipermail numbers (2) answer 404" in report
    assert [model.objects.count() for model in tables] == before
    assert not MailingList.objects.filter(name="garden").exists()
    assert main(command) == 0
    assert "archive: 4 of 5 messages stored (numbers 0-4" in capsys.readouterr().out
    (tmp_path / "garden.mbox").write_bytes(ARCHIVE + mbox(("fifth@example.org", "Hail", "Apr")))
    assert main([*command, "--update", "--dry-run", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["dry_run"] is True
    assert any("1 of 6 messages would be stored (numbers 5-5" in line and "4 already here" in line
               for line in answer["imported"])  # fmt: skip
    assert Message.objects.filter(mailing_list__name="garden").count() == 4
    assert not Message.objects.filter(message_id="fifth@example.org").exists()


def test_settings_beyond_the_basics_are_carried_where_listhaven_has_them(db, tmp_path, capsys):
    """Digest texts, header filters, the rules a list switched off, bounce thresholds, DMARC and
    address obscuring have settings here: they are carried, and a post meets them; only what has
    none is named, and Mailman's own defaults are not."""
    config = garden_config() | {
        "obscure_addresses": 0, "digest_header": "Digest of %(real_name)s", "digest_footer": DEFAULT_FOOTER,
        "digest_send_periodic": 0, "digest_volume_frequency": 0,
        "header_filter_rules": [("^X-Spam-Flag: YES\n^Subject: .*lottery", 7, False), ("^X-Junk: yes", 3, False)],
        "bounce_matching_headers": "# comment\nto: friend@public.com\nX-Mailer: BadMailer\n",
        "require_explicit_destination": 0, "administrivia": 1, "bounce_score_threshold": 3.0,
        "bounce_info_stale_after": 14 * 86400, "bounce_you_are_disabled_warnings": 2,
        "bounce_you_are_disabled_warnings_interval": 3 * 86400, "bounce_notify_owner_on_disable": 1,
        "from_is_list": 2, "advertised": 0, "personalize": 1, "send_reminders": 1, "anonymous_list": 1,
    }  # fmt: skip
    (tmp_path / "config.pck").write_bytes(py2_pickle(config))
    assert main(["import-list", "mailman2", "--config", str(tmp_path / "config.pck")]) == 0
    report = capsys.readouterr().out
    mlist = MailingList.objects.get(address=ADDRESS)
    assert not mlist.obfuscate_addresses and mlist.digest_header == "Digest of {list_name}"
    assert mlist.digest_footer.splitlines()[1:3] == ["{list_name} mailing list", "{list_address}"]
    assert (mlist.digest_frequency, mlist.digest_volume_frequency) == ("size", "yearly")
    assert mlist.header_filters == ["^X-Spam-Flag: YES", "^Subject: .*lottery", "^X\\-Mailer:.*(?:BadMailer)"]
    assert mlist.disabled_rules == ["implicit-destination"]
    assert (mlist.bounce_threshold, mlist.bounce_stale_days, mlist.bounce_warnings, mlist.bounce_warning_days,
            mlist.bounce_notify_owners) == (3.0, 14, 2, 3, True)  # fmt: skip
    assert (mlist.dmarc_mitigation, mlist.dmarc_always) == ("wrap", True)
    for named in ("advertised = no", "personalize", "'^X-Junk: yes' (discard)", "anonymous_list"):
        assert named in report, named
    assert "send_reminders" not in report and "friend@public.com" not in report
    member = "ann@example.org"
    spam = build(sender=member, msgid="s@example.org", headers={"X-Spam-Flag": "YES"})
    assert receive_post(mlist, spam).verdict.rule == "suspicious-header"
    elsewhere = receive_post(mlist, build(sender=member, to="someone@example.org", msgid="e@example.org"))
    assert elsewhere.verdict.action == "accept"


def test_content_filtering_is_carried_and_strips_what_it_stripped_there(db, tmp_path, capsys):
    config = garden_config() | {
        "filter_content": 1, "filter_mime_types": "image/gif\n\naudio", "pass_mime_types": "",
        "filter_filename_extensions": ["exe", "bat"], "collapse_alternatives": 1, "filter_action": 2,
    }  # fmt: skip
    (tmp_path / "config.pck").write_bytes(py2_pickle(config))
    assert main(["import-list", "mailman2", "--config", str(tmp_path / "config.pck")]) == 0
    report = capsys.readouterr().out
    mlist = MailingList.objects.get(address=ADDRESS)
    assert (mlist.filter_content, mlist.filter_types, mlist.pass_types, mlist.filter_extensions) == (
        True, ["image/gif", "audio"], [], ["exe", "bat"])  # fmt: skip
    # filter_action 2, forward to the list owner: as in Mailman, not held for the moderators as it was here
    assert (mlist.collapse_alternatives, mlist.convert_html_to_plaintext, mlist.filter_action) == (True, True, "forward")
    assert "forward/preserve" not in report and "filter_mime_types" not in report
    raw = build(sender="ann@example.org", msgid="gif@example.org", body="A picture.\n").replace(
        b"Content-Type: text/plain", b"Content-Type: image/gif", 1)  # fmt: skip
    outcome = receive_post(mlist, raw)
    assert (outcome.verdict.action, outcome.verdict.rule, outcome.kept) == ("discard", "content-filter", "owners")
    assert Outgoing.objects.filter(mailing_list=mlist, kind="notice", recipients=["owner@example.org"]).exists()


def test_requests_waiting_for_the_owners_wait_here_and_held_posts_are_named(db, tmp_path, capsys):
    """request.pck (pickled by Mailman with protocol 1): a request to join and one to leave wait for
    the owners here, once even when moved again; a join by someone already a member is not made;
    a held post, whose text Mailman keeps in another pickle, is named with what to do."""
    (tmp_path / "config.pck").write_bytes(py2_pickle(garden_config()))
    requests = {
        "version": (0, 1),
        1: (2, (1262304000.0, "newbie@example.org", Unicode("Néo Wbie"), "pw", 1, "en")),
        2: (3, "bob@example.net"),
        3: (2, (1262304000.0, "ann@example.org", "Ann", "pw", 0, "en")),  # a member already
        4: (1, (1262304000.0, "stranger@elsewhere.example", "Cheap ladders", "Post by non-member to a "
                "members-only list", "heldmsg-garden-4.pck", {"listname": "garden"})),
    }  # fmt: skip
    (tmp_path / "request.pck").write_bytes(py2_pickle(requests, protocol=1))
    command = ["import-list", "mailman2", "--config", str(tmp_path / "config.pck"), "--requests",
               str(tmp_path / "request.pck")]  # fmt: skip
    assert main(command) == 0
    report = capsys.readouterr().out
    mlist = MailingList.objects.get(address=ADDRESS)
    waiting = {(p.purpose, p.address, p.payload["display_name"], p.payload["delivery_mode"])
               for p in Pending.objects.filter(mailing_list=mlist)}  # fmt: skip
    assert waiting == {("approve_subscribe", "newbie@example.org", "Néo Wbie", "mime_digest"),
                       ("approve_unsubscribe", "bob@example.net", "", "regular")}  # fmt: skip
    assert "2 of 3 requests to join or leave" in report
    assert "held post 4 from stranger@elsewhere.example (2010-01-01): 'Cheap ladders'" in report
    assert not Outgoing.objects.exists()
    assert main([*command, "--update"]) == 0
    assert Pending.objects.filter(mailing_list=mlist).count() == 2


def test_texts_typed_in_mailmans_pages_and_dollar_footers(db, tmp_path, capsys):
    """An English list's pages were us-ascii, so browsers sent accented letters as character
    references and Mailman kept them; a list with use_dollar_strings wrote its footer with $name."""
    config = garden_config() | {
        "real_name": "Caf&#233;", "description": "Liste des anciens &#xE9;l&#232;ves &amp; amis",
        "usernames": {"ann@example.org": "J&#246;rg &#12354;"}, "use_dollar_strings": 1,
        "msg_footer": "$real_name mailing list\n${_internal_name}@$host_name\n$$5 a year; ${user_delivered_to}\n"
                      "Archives: http://$host_name/pipermail/\n",
    }  # fmt: skip
    (tmp_path / "config.pck").write_bytes(py2_pickle(config))
    assert main(["import-list", "mailman2", "--config", str(tmp_path / "config.pck"), "--address",
                 "garden@new.example.org"]) == 0  # fmt: skip
    mlist = MailingList.objects.get(address="garden@new.example.org")
    assert (mlist.display_name, mlist.description) == ("Café", "Liste des anciens élèves &amp; amis")
    assert Member.objects.get(mailing_list=mlist, address="ann@example.org").display_name == "Jörg あ"
    assert mlist.footer == ("{list_name} mailing list\n{list_address}\n$5 a year; {member_address}\n"
                            "Archives: http://new.example.org/pipermail/\n")  # fmt: skip
    assert "use_dollar_strings" not in capsys.readouterr().out


def test_a_name_a_member_could_not_give_here_moves_the_person_without_it(db, tmp_path, capsys):
    """Mailman 2 kept whatever name was typed: longer than a member's name may be here (PostgreSQL's
    column refused the whole move), with a tab or a line break (the roster and its export are one line a
    person). The person moves, without the name, and the report says whose name and why; a waiting
    request's name the same."""
    config = garden_config() | {
        "usernames": {"ann@example.org": "A" * 201, "bob@example.net": "Bob\r\nBuilder", "quiet@example.org": "Quiet"},
    }  # fmt: skip
    (tmp_path / "config.pck").write_bytes(py2_pickle(config))
    requests = {"version": (0, 1), 1: (2, (1262304000.0, "newbie@example.org", "Neo\tWbie", "pw", 0, "en"))}
    (tmp_path / "request.pck").write_bytes(py2_pickle(requests, protocol=1))
    assert main(["import-list", "mailman2", "--config", str(tmp_path / "config.pck"), "--requests",
                 str(tmp_path / "request.pck")]) == 0  # fmt: skip
    report = capsys.readouterr().out
    mlist = MailingList.objects.get(address=ADDRESS)
    names = {a.lower(): n for a, n in Member.objects.filter(mailing_list=mlist, role="member").values_list("address", "display_name")}
    assert (names["ann@example.org"], names["bob@example.net"], names["quiet@example.org"]) == ("", "", "Quiet")
    assert "the name of ann@example.org was not kept: a name has at most 200 characters (this one has 201)" in report
    assert "the name of Bob@example.net was not kept: a name may not hold control characters or line breaks" in report
    assert "the name of newbie@example.org was not kept: a name may not hold control characters" in report
    assert Pending.objects.get(mailing_list=mlist, address="newbie@example.org").payload["display_name"] == ""


def test_pipermails_text_archives_after_the_mbox_add_no_second_copies(moved, tmp_path, capsys):
    """Pipermail's monthly .txt files hold copies of the mbox's messages (addresses obfuscated):
    imported after the move, a Message-ID the list has is a duplicate; a message only they still
    hold (deleted from the mbox) is stored."""
    mlist, _ = moved
    text = "".join(
        f"From ann at example.org  Mon Feb  1 10:00:00 2010\nFrom: ann at example.org (Ann)\n"
        f"Date: Mon, 01 Feb 2010 10:00:00 +0000\nSubject: {subject}\nMessage-ID: <{msgid}>\n\n{subject}: body text.\n\n"
        for msgid, subject in (("first@example.org", "Seeds"), ("second@example.org", "Sun"),
                               ("deleted@example.org", "Gone from the mbox"))
    )  # fmt: skip
    (tmp_path / "2010-February.txt").write_text(text)
    assert main(["import", "garden", str(tmp_path / "2010-February.txt")]) == 0
    assert Message.objects.filter(mailing_list=mlist).count() == 5
    assert Message.objects.filter(mailing_list=mlist, message_id="first@example.org").count() == 1
    assert Message.objects.filter(mailing_list=mlist, message_id="deleted@example.org").exists()


def scrubbed_dir(message_id: str, day: str) -> str:
    """Where Mailman 2's Scrubber kept a message's attachments: attachments/DAY/ + the first and
    last four hex digits of the SHA-1 of its Message-ID field."""
    digest = hashlib.sha1(f"<{message_id}>".encode()).hexdigest()
    return f"attachments/{day}/{digest[:4]}{digest[-4:]}"


def test_pipermails_attachment_links_land_on_the_attachment(db, tmp_path, client):
    """Posted at 00:30 on 2 March in the sender's time (1 March in UTC): Pipermail kept the PDF
    under attachments/20100302/; the link lands on the PDF, an HTML part's scrubbed name on the
    message, another message's hash nowhere."""
    (tmp_path / "config.pck").write_bytes(py2_pickle(garden_config() | {"archive_private": 0}))
    post = (
        "From ann@example.org  Tue Mar  2 00:30:00 2010\nFrom: Ann <ann@example.org>\n"
        f"To: {ADDRESS}\nSubject: Plan\nDate: Tue, 02 Mar 2010 00:30:00 +0100\nMessage-ID: <plan@example.org>\n"
        'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="BB"\n\n--BB\nContent-Type: text/plain\n\n'
        'The plan.\n--BB\nContent-Type: application/pdf\nContent-Disposition: attachment; filename="plot plan.pdf"\n'
        "Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n--BB--\n\n"
    )  # fmt: skip
    (tmp_path / "garden.mbox").write_bytes(post.encode())
    assert main(["import-list", "mailman2", "--config", str(tmp_path / "config.pck"), "--archive",
                 str(tmp_path / "garden.mbox")]) == 0  # fmt: skip
    message = Message.objects.get(message_id="plan@example.org")
    where = scrubbed_dir("plan@example.org", "20100302")
    answer = client.get(f"/pipermail/garden/{where}/plot%20plan.pdf")
    assert answer.status_code == 301
    assert answer["Location"] == f"/garden/message/{message.public_id}/attachment/0/plot%20plan.pdf"
    assert client.get(answer["Location"]).content == b"%PDF-1.4\n"
    answer = client.get(f"/mailman/private/garden/{where}/attachment.html")
    assert (answer.status_code, answer["Location"]) == (301, f"/garden/message/{message.public_id}/")
    assert client.get(f"/pipermail/garden/{scrubbed_dir('plan@example.org', '20100301')}/x.pdf").status_code == 404
    assert client.get(f"/pipermail/garden/{scrubbed_dir('other@example.org', '20100302')}/x.pdf").status_code == 404
    MailingList.objects.filter(address=ADDRESS).update(archive_policy="members")
    assert client.get(f"/pipermail/garden/{where}/plot%20plan.pdf").status_code == 404


def test_held_posts_with_their_text_are_held_here(db, tmp_path, capsys):
    """Mailman 2 pickled each held post (data/heldmsg-LIST-N.pck, the message object of Python 2's
    email package; or .txt on sites that chose text): read as safely as config.pck, each is held here
    with its text; one whose file is missing, or whose pickle names anything else, is named."""
    (tmp_path / "config.pck").write_bytes(py2_pickle(garden_config()))
    held = {
        "version": (0, 1),
        4: (1, (1262304000.0, "stranger@elsewhere.example", "Cheap ladders", "Post by non-member",
                "heldmsg-garden-4.pck", {})),
        5: (1, (1262304000.0, "ann@example.org", "Too big", "Message body is too big", "heldmsg-garden-5.pck", {})),
        6: (1, (1262304000.0, "gone@example.org", "Lost", "Too many recipients", "heldmsg-garden-6.pck", {})),
        7: (1, (1262304000.0, "evil@example.org", "Evil", "Suspicious header", "heldmsg-garden-7.pck", {})),
    }  # fmt: skip
    (tmp_path / "request.pck").write_bytes(py2_pickle(held, protocol=1))
    data = tmp_path / "data"
    data.mkdir()
    parts = [
        Py2Message([("Content-Type", "text/plain; charset=iso-8859-1")], "Gr\xfc\xdfe, cheap ladders.\n"),
        Py2Message([("Content-Type", "application/pdf"), ("Content-Transfer-Encoding", "base64")], "JVBERi0xLjQK\n"),
    ]
    message = Py2Message([("From", "stranger@elsewhere.example"), ("To", ADDRESS),
                          ("Subject", Header([(Unicode("Günstige Leitern"), Charset("utf-8"))])),
                          ("Message-ID", "<ladders@elsewhere.example>"), ("MIME-Version", "1.0"),
                          ("Content-Type", 'multipart/mixed; boundary="XX"')], parts)  # fmt: skip
    (data / "heldmsg-garden-4.pck").write_bytes(py2_pickle(message, protocol=1))
    (data / "heldmsg-garden-5.txt").write_bytes(
        f"From: ann@example.org\nTo: {ADDRESS}\nSubject: Too big\nMessage-ID: <big@example.org>\n\nBig.\n".encode())
    marker = tmp_path / "ran"
    (data / "heldmsg-garden-7.pck").write_bytes(hostile_pickle(str(marker)))
    assert main(["import-list", "mailman2", "--config", str(tmp_path / "config.pck"), "--requests",
                 str(tmp_path / "request.pck"), "--held-dir", str(data)]) == 0  # fmt: skip
    report = capsys.readouterr().out
    mlist = MailingList.objects.get(address=ADDRESS)
    rows = {h.message_id: h for h in HeldMessage.objects.filter(mailing_list=mlist)}
    assert set(rows) == {"ladders@elsewhere.example", "big@example.org"}
    ladders = email.message_from_bytes(held_bytes(rows["ladders@elsewhere.example"]))
    assert str(email.header.make_header(email.header.decode_header(ladders["Subject"]))) == "Günstige Leitern"
    text, pdf = ladders.get_payload()
    assert text.get_payload(decode=True).decode("iso-8859-1") == "Grüße, cheap ladders.\n"
    assert pdf.get_payload(decode=True) == b"%PDF-1.4\n"
    assert rows["big@example.org"].reason == "held in Mailman 2.1: Message body is too big"
    assert "held post 6 from gone@example.org" in report and "heldmsg-garden-6.pck not found" in report
    assert "refers to os.system" in report and not marker.exists()
    assert moderate(mlist, rows["big@example.org"].pk, "accept").action == "accept"


def test_a_message_gone_from_the_mbox_comes_from_pipermails_text_at_its_number(db, tmp_path, client, capsys):
    """Message 1 was deleted from the mbox after Pipermail archived it; its page and the month's
    text archive (gzipped, as Pipermail keeps it) still hold it: it is stored at number 1, once."""
    (tmp_path / "config.pck").write_bytes(py2_pickle(garden_config() | {"archive_private": 0}))
    (tmp_path / "garden.mbox").write_bytes(mbox(("first@example.org", "Seeds", "Feb"), ("third@example.org", "Rain", "Mar")))
    month = tmp_path / "html" / "2010-February"
    month.mkdir(parents=True)
    for number, msgid, subject in ((0, "first@example.org", "Seeds"), (1, "second@example.org", "Sun")):
        (month / f"{number:06d}.html").write_bytes(pipermail_article(ADDRESS, number, msgid, f"[Garden] {subject}"))
    text = "".join(
        f"From ann at example.org  Mon Feb  1 10:00:00 2010\nFrom: ann at example.org (Ann)\n"
        f"Date: Mon, 01 Feb 2010 10:00:00 +0000\nSubject: [Garden] {subject}\nMessage-ID: <{msgid}>\n\n{subject}.\n\n"
        for msgid, subject in (("first@example.org", "Seeds"), ("second@example.org", "Sun"))
    )  # fmt: skip
    (tmp_path / "html" / "2010-February.txt.gz").write_bytes(gzip.compress(text.encode()))
    command = ["import-list", "mailman2", "--config", str(tmp_path / "config.pck"), "--archive",
               str(tmp_path / "garden.mbox"), "--pipermail", str(tmp_path / "html")]  # fmt: skip
    assert main(command) == 0
    assert "1 messages the mbox no longer held (numbers 1)" in capsys.readouterr().out
    mlist = MailingList.objects.get(address=ADDRESS)
    numbers = dict(Message.objects.filter(mailing_list=mlist).values_list("message_id", "archive_number"))
    assert numbers == {"first@example.org": 0, "second@example.org": 1, "third@example.org": 2}
    answer = client.get("/pipermail/garden/2010-February/000001.html")
    second = Message.objects.get(message_id="second@example.org")
    assert (answer.status_code, answer["Location"]) == (301, f"/garden/message/{second.public_id}/")
    assert main([*command, "--update"]) == 0
    assert Message.objects.filter(mailing_list=mlist).count() == 3


def test_a_list_whose_name_changes_is_told_where_the_old_links_go(db, tmp_path, capsys):
    """Two Mailman 2 hosts each had a 'garden' list: the second moved here gets another name, and
    the report says the old /pipermail/garden/ links lead to the first."""
    (tmp_path / "config.pck").write_bytes(py2_pickle(garden_config()))
    assert main(["import-list", "mailman2", "--config", str(tmp_path / "config.pck")]) == 0
    assert "Problems" not in capsys.readouterr().out
    assert main(["import-list", "mailman2", "--config", str(tmp_path / "config.pck"), "--address",
                 "garden@other.example.org", "--dry-run"]) == 0  # fmt: skip
    report = capsys.readouterr().out
    assert "the list's name here is 'garden-other-example-org', not 'garden'" in report
    assert "lead to garden@lists.example.org, the list named 'garden' here" in report


def test_two_messages_of_one_text_archive_sharing_a_message_id_are_both_kept(db, tmp_path):
    """Pipermail's .txt files hold copies only of what the list had before the import: a resend with
    changes under the same Message-ID, inside the import itself, is a second message, as in any import."""
    from listhaven.lists.directory import create_list

    mlist = create_list("fresh@lists.example.org")
    text = "".join(
        f"From ann at example.org  Mon Feb  1 1{n}:00:00 2010\nFrom: ann at example.org (Ann)\n"
        f"Date: Mon, 01 Feb 2010 1{n}:00:00 +0000\nSubject: {subject}\nMessage-ID: <same@example.org>\n\n{subject}.\n\n"
        for n, subject in ((0, "Seeds"), (1, "Seeds, corrected"))
    )  # fmt: skip
    (tmp_path / "2010-February.txt").write_text(text)
    assert main(["import", "fresh", str(tmp_path / "2010-February.txt")]) == 0
    assert sorted(Message.objects.filter(mailing_list=mlist).values_list("subject", flat=True)) == [
        "Seeds", "Seeds, corrected"]  # fmt: skip


@pytest.fixture
def moved_live(transactional_db, tmp_path, capsys):
    """Moved with committed data: the LMTP server's thread has its own connection."""
    return move(tmp_path, capsys)


def test_update_while_a_post_arrives_over_lmtp_gives_each_message_a_number_of_its_own(moved_live, tmp_path, capsys):
    """The operator points the MTA here, then runs --update while posts arrive. A real post over LMTP
    lands after the update read the numbers the list has (its first read of the archive, outside any
    transaction) and before it stores the old list's last two messages: the post took number 5, the
    old fifth message's place. The update finishes (it used to fail on the unique archive number), the old
    sixth keeps its Pipermail number, the old fifth gets the next free one, and running it again
    stores nothing and moves nothing."""
    from django.db import connection

    from listhaven.delivery.lmtp import serving_in_thread

    mlist, _ = moved_live
    (tmp_path / "garden.mbox").write_bytes(ARCHIVE + mbox(("fifth@example.org", "Hail", "Apr"),
                                                          ("sixth@example.org", "Fog", "Apr")))  # fmt: skip
    update = ["import-list", "mailman2", "--config", str(tmp_path / "config.pck"), "--archive",
              str(tmp_path / "garden.mbox"), "--update"]  # fmt: skip
    live = build(sender="Ann <ann@example.org>", msgid="live@example.org")
    read: list[str] = []  # the update's statement that read the list's numbers
    posted: list[str] = []
    with serving_in_thread() as address:

        def post_once_the_numbers_are_read(execute, sql, params, many, context):
            # The post goes before the statement after that read (its rows all fetched by then, so
            # SQLite's shared-cache test database holds no lock on the table), outside any transaction.
            if read and not posted and not connection.in_atomic_block:
                with smtplib.LMTP(*address, timeout=60) as client:
                    posted.append(str(client.sendmail("ann@example.org", [ADDRESS], live)))
            if not read and not connection.in_atomic_block and '"archive_message"."archive_number"' in sql:
                read.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(post_once_the_numbers_are_read):
            assert main(update) == 0
    assert posted == ["{}"]
    report = capsys.readouterr().out
    numbers = dict(Message.objects.filter(mailing_list=mlist).values_list("message_id", "archive_number"))
    assert numbers == {"first@example.org": 0, "second@example.org": 1, "third@example.org": 3, "fourth@example.org": 4,
                       "live@example.org": 5, "sixth@example.org": 6, "fifth@example.org": 7}  # fmt: skip
    assert "2 of 7 messages stored" in report and "1 given the next free number" in report
    assert main(update) == 0
    assert "0 of 7 messages stored" in capsys.readouterr().out
    assert dict(Message.objects.filter(mailing_list=mlist).values_list("message_id", "archive_number")) == numbers
    receive_post(MailingList.objects.get(pk=mlist.pk), build(sender="Ann <ann@example.org>", msgid="after@example.org"))
    assert Message.objects.get(message_id="after@example.org").archive_number == 8
