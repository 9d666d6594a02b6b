"""A post's life through `receive_post`, on a real store: every verdict recorded with its rule,
what each verdict leaves behind (archive, queue, held post, notice), and nothing done twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from listhaven.archive.compression import decompress
from listhaven.archive.models import Message
from listhaven.lists.directory import create_list
from listhaven.lists.members import add_member, set_nonmember_action
from listhaven.lists.models import Ban, HeldMessage, Member, Outgoing, PostRecord
from listhaven.lists.moderation import set_moderator_password
from listhaven.lists.posting import receive_post
from tests.lists.messages import LIST, MEMBER, build, notice_text


@pytest.fixture
def mlist(db):
    mlist = create_list(LIST)
    add_member(mlist, MEMBER)
    add_member(mlist, "bob@example.net")
    add_member(mlist, "owner@example.org", role="owner")
    return mlist


def test_a_members_post_is_archived_and_queued_for_every_member(mlist):
    outcome = receive_post(mlist, build(msgid="m1@example.org"))
    assert (outcome.verdict.action, outcome.archive_outcome, outcome.queued) == ("accept", "stored", 2)
    archived = Message.objects.get(message_id="m1@example.org", mailing_list=mlist)
    [queued] = Outgoing.objects.all()
    assert (queued.kind, queued.recipients, queued.message_id) == ("post", [MEMBER, "bob@example.net"], archived.pk)
    assert b"The tomatoes are ripe." in decompress(queued.template)
    record = PostRecord.objects.get()
    assert (record.verdict, record.rule, record.archived_id, record.sender) == ("accept", "default", archived.pk, MEMBER)



def test_a_post_without_a_date_is_archived_at_its_arrival_not_in_1970(mlist):
    """No Date and no Received field (a post from a host that adds none, or `listhaven post`): the
    archive dates it when it arrived, as an MTA writing an mbox would."""
    raw = build(msgid="undated@example.org").replace(b"Date: Mon, 30 Nov 2026 12:00:00 +0000\n", b"")
    assert b"Date:" not in raw
    before = datetime.now(UTC)
    receive_post(mlist, raw)
    archived = Message.objects.get(message_id="undated@example.org")
    assert before - timedelta(seconds=1) <= archived.date <= datetime.now(UTC) + timedelta(seconds=1)


def test_members_who_get_no_copy_now(mlist):
    Member.objects.filter(address=MEMBER).update(receive_own_posts=False)
    add_member(mlist, "digest@example.com")
    Member.objects.filter(address="digest@example.com").update(delivery_mode="mime_digest")
    add_member(mlist, "away@example.com")
    Member.objects.filter(address="away@example.com").update(delivery_status="by_bounces")
    receive_post(mlist, build())
    assert Outgoing.objects.get().recipients == ["bob@example.net"]


def test_a_strangers_post_is_held_with_one_notice_to_owners_and_moderators(mlist):
    add_member(mlist, "mod@example.org", role="moderator")
    add_member(mlist, "owner@example.org", role="moderator")  # an owner who also moderates: one notice
    outcome = receive_post(mlist, build(sender="zed@elsewhere.example", subject="Seeds for sale"),
                           envelope_sender="bounce@elsewhere.example")  # fmt: skip
    held = HeldMessage.objects.get(pk=outcome.held_id)
    assert (held.sender, held.subject, held.rule, held.envelope_sender) == (
        "zed@elsewhere.example", "Seeds for sale", "nonmember", "bounce@elsewhere.example")
    assert "not a member" in held.reason and held.expires_at > held.held_at
    notice, to_poster = Outgoing.objects.order_by("id")
    assert (notice.kind, notice.recipients) == ("notice", ["owner@example.org", "mod@example.org"])
    assert (to_poster.kind, to_poster.recipients) == ("notice", ["zed@elsewhere.example"])
    assert b"/garden/held/withdraw/" in decompress(to_poster.template)
    text = decompress(notice.template)
    assert b"Seeds for sale" in text and f"moderate garden {held.pk}".encode() in text and b"Reply-To: garden-confirm+" in text
    assert b"message/rfc822" in text
    assert Message.objects.filter(mailing_list=mlist).count() == 0  # the fixture archive may be there
    assert PostRecord.objects.get().held_id == held.pk


def test_a_member_writing_their_address_in_another_case_is_still_a_member_and_a_ban_has_no_case(mlist):
    outcome = receive_post(mlist, build(sender="Ann <Ann@Example.org>", msgid="case-1@example.org"))
    assert (outcome.verdict.action, outcome.verdict.rule) == ("accept", "default")  # not held as a non-member
    assert PostRecord.objects.get(message_id="case-1@example.org").sender == MEMBER  # as the member is known
    Ban.objects.create(mailing_list=mlist, pattern="spammer@example.com")
    outcome = receive_post(mlist, build(sender="SPAMMER@example.com", msgid="case-2@example.org"))
    assert (outcome.verdict.action, outcome.verdict.rule) == ("reject", "banned")


def test_a_rejected_poster_gets_the_reason(mlist):
    set_nonmember_action(mlist, "zed@elsewhere.example", "reject")
    outcome = receive_post(mlist, build(sender="zed@elsewhere.example"))
    assert outcome.verdict.action == "reject"
    [notice] = Outgoing.objects.all()
    assert notice.recipients == ["zed@elsewhere.example"]
    assert outcome.verdict.reason in " ".join(notice_text(decompress(notice.template)).split())


def test_automatic_mail_is_rejected_without_a_notice(mlist):
    Ban.objects.create(mailing_list=None, pattern=r"^.*@spam\.example$")
    outcome = receive_post(mlist, build(sender="x@spam.example", headers={"Auto-Submitted": "auto-replied"}))
    assert (outcome.verdict.action, outcome.verdict.rule) == ("reject", "banned")
    assert Outgoing.objects.count() == 0


def test_a_loop_is_discarded_and_only_recorded(mlist):
    outcome = receive_post(mlist, build(headers={"X-BeenThere": LIST}))
    assert outcome.verdict.action == "discard"
    assert (Outgoing.objects.count(), HeldMessage.objects.count(), Message.objects.filter(mailing_list=mlist).count()) == (0, 0, 0)
    assert PostRecord.objects.get().rule == "loop"


@pytest.mark.parametrize(("changes", "raw_args", "rule"), [
    ({"emergency": True}, {}, "emergency"),
    ({"max_message_kb": 1}, {"body": "x" * 2000 + "\n"}, "max-size"),
    ({"max_recipients": 2}, {"to": f"{LIST}, a@example.net"}, "max-recipients"),
    ({}, {"to": "someone@example.net"}, "implicit-destination"),
    ({}, {"subject": None}, "no-subject"),
    ({}, {"subject": "unsubscribe"}, "administrivia"),
    ({"header_filters": ["^x-spam-flag: yes"]}, {"headers": {"X-Spam-Flag": "YES"}}, "suspicious-header"),
])  # fmt: skip
def test_each_hold_rule_is_recorded(mlist, changes, raw_args, rule):
    for name, value in changes.items():
        setattr(mlist, name, value)
    mlist.save()
    outcome = receive_post(mlist, build(**raw_args))
    assert (outcome.verdict.action, outcome.verdict.rule) == ("hold", rule)
    assert PostRecord.objects.get().rule == rule
    mlist.disabled_rules = [rule]
    mlist.save()
    assert receive_post(mlist, build(msgid="again@example.org", **raw_args)).verdict.rule != rule


def test_the_password_on_the_first_line_reaches_no_member_in_the_html_alternative_either(mlist, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    set_moderator_password(mlist, "s3cret&pw")
    raw = (b"From: Zed <zed@elsewhere.example>\r\nTo: garden@lists.example.org\r\nSubject: Announcement\r\n"
           b"Message-ID: <alt-pw@example.org>\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/alternative; boundary=A\r\n\r\n"
           b"--A\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nApproved: s3cret&pw\r\n\r\nHello all\r\n"
           b"--A\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
           b"<div>Approved:&nbsp;<b>s3cret&amp;pw</b></div><div><br></div><div>Hello all</div>\r\n--A--\r\n")  # fmt: skip
    outcome = receive_post(mlist, raw)
    assert (outcome.verdict.action, outcome.verdict.rule) == ("accept", "approved")
    archived = Message.objects.get(message_id="alt-pw@example.org")
    from listhaven.archive.models import RawMessage

    for data in (decompress(Outgoing.objects.get(kind="post").template), decompress(RawMessage.objects.get(message=archived).data)):
        assert b"s3cret" not in data and b"Hello all</div>" in data and b"Hello all\r\n" in data


def test_an_html_alternative_in_a_charset_its_own_bytes_do_not_fit_still_loses_the_password(mlist, settings):
    """A windows-1252 part holding a byte that charset leaves undefined reads back with U+FFFD, which it
    cannot write again: the post failed (451, again at each retry) instead of going out without the password."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    set_moderator_password(mlist, "s3cret")
    raw = (b"From: Zed <zed@elsewhere.example>\r\nTo: garden@lists.example.org\r\nSubject: Announcement\r\n"
           b"Message-ID: <alt-1252@example.org>\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/alternative; boundary=A\r\n\r\n"
           b"--A\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nApproved: s3cret\r\n\r\nHello all\r\n"
           b"--A\r\nContent-Type: text/html; charset=windows-1252\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
           b"<div>Approved: s3cret</div><div>Caf\xe9 \x81 all</div>\r\n--A--\r\n")  # fmt: skip
    outcome = receive_post(mlist, raw)
    assert (outcome.verdict.action, outcome.verdict.rule) == ("accept", "approved")
    copy = decompress(Outgoing.objects.get(kind="post").template)
    assert b"s3cret" not in copy and b"Hello all" in copy


def test_a_moderated_member_and_the_approved_password(mlist, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    Member.objects.filter(address=MEMBER).update(moderated=True)
    assert receive_post(mlist, build()).verdict.rule == "member-moderation"
    set_moderator_password(mlist, "s3cret")
    assert "s3cret" not in mlist.moderator_password
    outcome = receive_post(mlist, build(msgid="ok@example.org", headers={"Approved": "s3cret"}))
    assert (outcome.verdict.action, outcome.verdict.rule) == ("accept", "approved")
    template = decompress(Outgoing.objects.get(kind="post").template)
    assert b"s3cret" not in template
    archived = Message.objects.get(message_id="ok@example.org")
    from listhaven.archive.models import RawMessage

    assert b"s3cret" not in decompress(RawMessage.objects.get(message=archived).data)


def test_the_same_bytes_again_are_answered_from_the_record(mlist):
    raw = build(sender="zed@elsewhere.example")
    first = receive_post(mlist, raw)
    again = receive_post(mlist, raw)
    assert again.duplicate and again.verdict == first.verdict
    assert (HeldMessage.objects.count(), PostRecord.objects.count()) == (1, 1)
