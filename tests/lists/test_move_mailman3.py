"""Moving a Mailman 3 list: its REST API served by a local HTTP server (or the same JSON saved as
files), HyperKitty's mbox export as the archive, and HyperKitty's links answering 301."""

from __future__ import annotations

import base64
import hashlib

import pytest

from listhaven.archive.models import Message
from listhaven.cli import main
from listhaven.lists.models import Ban, HeldMessage, MailingList, Member, Outgoing, Pending
from listhaven.lists.moderation import held_bytes, moderate
from listhaven.lists.moving.mailman3 import api_fetcher, json_fetcher, plan_from_api
from listhaven.lists.posting import receive_post
from tests.lists.messages import build
from tests.support.mailman3 import ADDRESS, LIST_ID, PASSWORD, USER, orchard, rest_api, write_json

EXPORT = (
    b"From ann@example.org Thu May  2 08:00:00 2024\n"
    b"From: Ann <ann@example.org>\nTo: orchard@lists.example.org\nSubject: Grafting\n"
    b"Date: Thu, 02 May 2024 08:00:00 +0000\nMessage-ID: <graft@example.org>\n\nWho has scions?\n\n"
    b"From bob@example.net Thu May  2 09:00:00 2024\n"
    b"From: Bob <bob@example.net>\nTo: orchard@lists.example.org\nSubject: Re: Grafting\n"
    b"Date: Thu, 02 May 2024 09:00:00 +0000\nMessage-ID: <scions@example.net>\n"
    b"In-Reply-To: <graft@example.org>\nReferences: <graft@example.org>\n\nI do.\n\n"
)


def hyperkitty_hash(message_id: str) -> str:
    """HyperKitty's get_message_id_hash: base32 of the SHA-1 of the Message-ID without <>."""
    return base64.b32encode(hashlib.sha1(message_id.encode()).digest()).decode()


@pytest.fixture
def moved(db, tmp_path, capsys):
    (tmp_path / "orchard.mbox").write_bytes(EXPORT)
    with rest_api(orchard()) as url:
        assert main(["import-list", "mailman3", LIST_ID, "--api", url, "--user", USER, "--password", PASSWORD,
                     "--archive", str(tmp_path / "orchard.mbox")]) == 0  # fmt: skip
    return MailingList.objects.get(address=ADDRESS), capsys.readouterr().out


def test_settings_members_roles_and_preferences(moved):
    mlist, report = moved
    assert (mlist.name, mlist.display_name, mlist.info) == ("orchard", "Orchard", "Grafting season is March.")
    assert (mlist.subject_tag, mlist.reply_to, mlist.max_message_kb, mlist.max_recipients) == ("[Orchard]", "list", 80, 12)
    assert (mlist.dmarc_mitigation, mlist.dmarc_always, mlist.nonmember_action) == ("wrap", True, "reject")
    assert (mlist.roster_visibility, mlist.send_welcome, mlist.digest_size_kb, mlist.is_private) == (
        "members", False, 50, False)
    rows = {(m.address, m.role): m for m in Member.objects.filter(mailing_list=mlist)}
    assert {k for k in rows if k[1] in ("owner", "moderator")} == {("owner@example.org", "owner"),
                                                                     ("mod@example.org", "moderator")}
    ann = rows[("ann@example.org", "member")]
    assert (ann.display_name, ann.receive_own_posts, ann.acknowledge_posts, ann.hide_address) == (
        "Ann Example", False, True, True)
    assert rows[("bob@example.net", "member")].moderated
    assert rows[("digest@example.com", "member")].delivery_mode == "plain_digest"
    assert rows[("away@example.org", "member")].delivery_status == "by_user"
    assert not rows[("open@example.org", "member")].hide_address
    assert (rows[("friend@elsewhere.example", "nonmember")].action,
            rows[("pest@elsewhere.example", "nonmember")].action) == ("accept", "discard")  # fmt: skip
    assert list(Ban.objects.filter(mailing_list=mlist).values_list("pattern", flat=True)) == ["troll@example.com"]
    assert "archive: 2 of 2 messages stored" in report
    assert "welcome_message_uri" in report  # set, no equivalent: named
    assert "autorespond_owner" not in report and "collapse_alternatives" not in report  # Mailman's defaults
    assert "digest_volume_frequency" not in report
    assert mlist.digest_volume_frequency == "monthly"  # Mailman 3's default, left unnamed: it must be the same here


def test_a_post_goes_where_the_preferences_say(moved):
    mlist, _ = moved
    assert receive_post(mlist, build(sender="ann@example.org", to=ADDRESS, msgid="p@example.org")).verdict.action == "accept"
    assert Outgoing.objects.get(kind="post").recipients == ["bob@example.net", "open@example.org"]
    assert receive_post(mlist, build(sender="bob@example.net", to=ADDRESS, msgid="b@example.org")).verdict.action == "hold"


@pytest.mark.parametrize("prefix", ["hyperkitty", "archives"])
def test_hyperkitty_links_answer_301(moved, client, prefix):
    mlist, _ = moved
    root, reply = (Message.objects.get(mailing_list=mlist, message_id=m) for m in ("graft@example.org",
                                                                                  "scions@example.net"))  # fmt: skip
    base = f"/{prefix}/list/{ADDRESS}"
    expected = {
        f"{base}/": "/orchard/",
        f"{base}/2024/5/": "/orchard/2024-05/",
        f"{base}/2024/5/2/": "/orchard/2024-05/",
        f"{base}/message/{hyperkitty_hash('scions@example.net')}/": f"/orchard/message/{reply.public_id}/",
        f"{base}/thread/{hyperkitty_hash('graft@example.org')}/": f"/orchard/thread/{root.thread.public_id}/",
        f"{base}/thread/{hyperkitty_hash('scions@example.net')}/": f"/orchard/thread/{root.thread.public_id}/",
    }
    for old, new in expected.items():
        answer = client.get(old)
        assert (answer.status_code, answer["Location"]) == (301, new), old
    assert client.get(f"{base}/message/{hyperkitty_hash('nowhere@example.org')}/").status_code == 404
    assert client.get(f"/{prefix}/list/nolist@lists.example.org/").status_code == 404
    MailingList.objects.filter(pk=mlist.pk).update(archive_policy="members")
    for old in expected:
        assert client.get(old).status_code == 404, old  # a private list answers like no list


def test_the_saved_json_gives_the_same_list(db, tmp_path, capsys):
    write_json(orchard(), tmp_path / "orchard")
    with rest_api(orchard()) as url:
        live = plan_from_api(api_fetcher(url, USER, PASSWORD), ADDRESS)
    saved = plan_from_api(json_fetcher(tmp_path / "orchard"), LIST_ID)
    assert (saved.fields, saved.members, saved.owners, saved.bans, saved.nonmember_actions) == (
        live.fields, live.members, live.owners, live.bans, live.nonmember_actions)
    assert main(["import-list", "mailman3", LIST_ID, "--from-json", str(tmp_path / "orchard")]) == 0
    assert Member.objects.filter(mailing_list__address=ADDRESS, role="member").count() == 5


def test_content_filtering_is_carried(db, tmp_path, capsys):
    documents = orchard()
    documents[f"lists/{LIST_ID}/config"] |= {
        "filter_content": True, "filter_types": ["image/gif"], "pass_types": [], "filter_extensions": ["exe"],
        "pass_extensions": [], "collapse_alternatives": False, "convert_html_to_plaintext": True,
        "filter_action": "preserve",
    }  # fmt: skip
    write_json(documents, tmp_path / "orchard")
    assert main(["import-list", "mailman3", LIST_ID, "--from-json", str(tmp_path / "orchard")]) == 0
    assert "filter_" not in capsys.readouterr().out  # carried, so not named as lost
    mlist = MailingList.objects.get(address=ADDRESS)
    assert (mlist.filter_content, mlist.filter_types, mlist.filter_extensions, mlist.collapse_alternatives,
            mlist.convert_html_to_plaintext, mlist.filter_action) == (True, ["image/gif"], ["exe"], False, True,
                                                                      "preserve")  # fmt: skip


def test_wrong_credentials_create_nothing(db, capsys):
    with rest_api(orchard()) as url:
        assert main(["import-list", "mailman3", LIST_ID, "--api", url, "--user", USER, "--password", "nope"]) == 1
    assert "401" in capsys.readouterr().err
    assert not MailingList.objects.filter(address=ADDRESS).exists()


def test_a_dry_run_changes_nothing_and_moving_again_duplicates_nothing(db, tmp_path, capsys):
    write_json(orchard(), tmp_path / "orchard")
    (tmp_path / "orchard.mbox").write_bytes(EXPORT)
    command = ["import-list", "mailman3", LIST_ID, "--from-json", str(tmp_path / "orchard"), "--archive",
               str(tmp_path / "orchard.mbox")]  # fmt: skip
    tables = (MailingList, Member, Message)
    before = [model.objects.count() for model in tables]  # another module's rows may be here: count, not assume none
    assert main([*command, "--dry-run"]) == 0
    report = capsys.readouterr().out
    assert report.startswith("Dry run: nothing was changed.") and "5 members" in report
    assert "archive: 2 of 2 messages would be stored, dated 2024 to 2024, 0 already here" in report
    assert [model.objects.count() for model in tables] == before
    assert main(command) == 0 and main(command) == 1  # the second time: the list exists
    assert "--update" in capsys.readouterr().err
    assert main([*command, "--update"]) == 0
    assert "added 0 members" in capsys.readouterr().out
    assert Member.objects.filter(mailing_list__name="orchard", role="member").count() == 5
    assert Message.objects.filter(mailing_list__name="orchard").count() == 2


def test_waiting_requests_and_held_posts_wait_here(moved, capsys):
    """Requests the owners had not decided and posts held for the moderators wait for them here,
    once even when the move is made again; a request waiting for the person's own confirmation
    cannot move (its link is the old host's) and is counted."""
    mlist, report = moved
    waiting = {(p.purpose, p.address, p.payload["display_name"]) for p in Pending.objects.filter(mailing_list=mlist)}
    assert waiting == {("approve_subscribe", "newbie@example.org", "Néo Wbie"),
                       ("approve_unsubscribe", "bob@example.net", "Bob")}  # fmt: skip
    held = HeldMessage.objects.get(mailing_list=mlist)
    assert (held.sender, held.subject, held.message_id) == ("stranger@elsewhere.example", "Cheap ladders",
                                                            "offer@elsewhere.example")  # fmt: skip
    assert "Ladders for sale." in held_bytes(held).decode()
    assert "1 requests waiting for the person's own confirmation" in report
    assert not Outgoing.objects.exists()  # nobody is told again
    assert moderate(mlist, held.pk, "accept").action == "accept"
    assert Outgoing.objects.filter(kind="post").exists()
    with rest_api(orchard()) as url:
        assert main(["import-list", "mailman3", LIST_ID, "--api", url, "--user", USER, "--password", PASSWORD,
                     "--update"]) == 0  # fmt: skip
    assert Pending.objects.filter(mailing_list=mlist).count() == 2
    assert HeldMessage.objects.filter(mailing_list=mlist).count() == 0  # accepted: not held again


def test_hyperkittys_attachment_links_land_on_the_attachment(db, tmp_path, client, capsys):
    post = (
        b"From ann@example.org Fri May  3 08:00:00 2024\nFrom: Ann <ann@example.org>\nTo: orchard@lists.example.org\n"
        b"Subject: Map\nDate: Fri, 03 May 2024 08:00:00 +0000\nMessage-ID: <map@example.org>\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed; boundary="BB"\n\n--BB\nContent-Type: text/plain\n\nThe map.\n--BB\n'
        b'Content-Type: image/png\nContent-Disposition: attachment; filename="map.png"\n'
        b"Content-Transfer-Encoding: base64\n\niVBORw0K\n--BB--\n\n"
    )  # fmt: skip
    (tmp_path / "orchard.mbox").write_bytes(post)
    write_json(orchard(), tmp_path / "orchard")
    assert main(["import-list", "mailman3", LIST_ID, "--from-json", str(tmp_path / "orchard"), "--archive",
                 str(tmp_path / "orchard.mbox")]) == 0  # fmt: skip
    hashed = hyperkitty_hash("map@example.org")
    base = f"/hyperkitty/list/{ADDRESS}/message/{hashed}/attachment"
    answer = client.get(f"{base}/2/map.png")
    assert (answer.status_code, answer["Location"]) == (301, f"/orchard/message/{hashed}/attachment/0/map.png")
    assert client.get(answer["Location"]).content == b"\x89PNG\r\n"
    answer = client.get(f"/archives/list/{ADDRESS}/message/{hashed}/attachment/3/attachment.html")
    assert (answer.status_code, answer["Location"]) == (301, f"/orchard/message/{hashed}/")
    assert client.get(f"{base.replace(hashed, hyperkitty_hash('no@example.org'))}/2/map.png").status_code == 404
