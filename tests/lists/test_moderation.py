"""Held posts: `listhaven held` and `listhaven moderate`, the four decisions, summaries, expiry."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from listhaven.archive.compression import decompress
from listhaven.archive.models import Message
from listhaven.cli import CommandError, build_parser
from listhaven.lists.directory import create_list
from listhaven.lists.members import add_member
from listhaven.lists.models import HeldMessage, Outgoing, PostRecord
from listhaven.lists.moderation import expire_held, moderate, send_summaries
from listhaven.lists.moderation_mail import decide_by_reply
from listhaven.lists.post import parse_post_bytes
from listhaven.lists.posting import receive_post
from listhaven.mail.personalise import Template
from tests.lists.messages import LIST, MEMBER, build, notice_text

STRANGER = "zed@elsewhere.example"


@pytest.fixture
def mlist(db):
    mlist = create_list(LIST)
    add_member(mlist, MEMBER)
    add_member(mlist, "owner@example.org", role="owner")
    return mlist


def run(*argv: str) -> int:
    args = build_parser().parse_args(list(argv))
    return args.handler(args)


def held_post(mlist, msgid="held-1@example.org", subject="Seeds for sale") -> int:
    outcome = receive_post(mlist, build(sender=f"Zed <{STRANGER}>", subject=subject, msgid=msgid))
    assert outcome.held_id is not None
    return outcome.held_id


def test_a_strangers_post_is_held_then_released_by_the_cli(mlist, tmp_path, capsys):
    source = tmp_path / "post.eml"
    source.write_bytes(build(sender=f"Zed <{STRANGER}>", subject="Seeds for sale", msgid="cli-1@example.org"))
    assert run("post", "garden", str(source), "--json") == 0
    posted = json.loads(capsys.readouterr().out)
    assert (posted["verdict"], posted["rule"]) == ("hold", "nonmember")
    assert run("held", "garden", "--json") == 0
    [row] = json.loads(capsys.readouterr().out)["held"]
    assert (row["id"], row["sender"], row["subject"]) == (posted["held_id"], STRANGER, "Seeds for sale")
    assert "not a member" in row["reason"] and row["date"]
    assert Message.objects.filter(mailing_list=mlist).count() == 0  # the fixture archive may be there

    assert run("moderate", "garden", str(row["id"]), "accept") == 0
    assert "decision: accept" in capsys.readouterr().out
    assert Message.objects.filter(message_id="cli-1@example.org").exists()
    post = Outgoing.objects.get(kind="post")
    assert post.recipients == [MEMBER]
    assert HeldMessage.objects.count() == 0
    assert [(r.verdict, r.rule, r.origin) for r in PostRecord.objects.order_by("id")] == [
        ("hold", "nonmember", "cli"), ("accept", "moderator", "moderator")]
    with pytest.raises(CommandError, match="no held post"):
        run("moderate", "garden", str(row["id"]), "accept")  # decided once


def test_reject_tells_the_poster_the_reason(mlist):
    held_id = held_post(mlist)
    decision = moderate(mlist, held_id, "reject", "commercial offers are off-topic here")
    assert decision.notified
    notice = Outgoing.objects.filter(kind="notice", recipients=[STRANGER]).latest("id")
    assert "commercial offers are off-topic here" in notice_text(decompress(notice.template))
    assert PostRecord.objects.order_by("-id")[0].verdict == "reject"
    assert not HeldMessage.objects.exists() and not Message.objects.filter(mailing_list=mlist).exists()


def test_discard_and_defer(mlist):
    first, second = held_post(mlist), held_post(mlist, "held-2@example.org")
    before = Outgoing.objects.count()
    moderate(mlist, first, "discard")
    moderate(mlist, second, "defer")
    assert list(HeldMessage.objects.values_list("pk", flat=True)) == [second]
    assert HeldMessage.objects.get().deferred_at is not None
    assert Outgoing.objects.count() == before  # nobody is told of a discard
    assert PostRecord.objects.filter(verdict="discard", origin="moderator").count() == 1


def test_a_held_post_of_another_list_cannot_be_decided_here(mlist):
    other = create_list("other@lists.example.org")
    held_id = held_post(mlist)
    with pytest.raises(LookupError):
        moderate(other, held_id, "accept")
    with pytest.raises(ValueError):
        moderate(mlist, held_id, "approve")


def test_daily_summary_lists_what_waits(mlist):
    first = held_post(mlist, subject="First offer")
    held_post(mlist, "held-2@example.org", subject="Second offer")
    create_list("quiet@lists.example.org")  # nothing waits there: no summary
    before = Outgoing.objects.count()
    assert send_summaries() == 0  # held less than a day ago: their own notices went out
    HeldMessage.objects.filter(pk=first).update(held_at=timezone.now() - timedelta(days=1, minutes=1))
    assert send_summaries() == 1
    summary = Outgoing.objects.order_by("-id")[0]
    assert Outgoing.objects.count() == before + 1 and summary.recipients == ["owner@example.org"]
    text = decompress(summary.template)
    assert b"First offer" in text and b"Second offer" in text and b"2 post(s)" in text
    assert send_summaries() == 0  # once a day
    assert send_summaries(timezone.now() + timedelta(days=1, minutes=1)) == 1


def test_expired_posts_are_discarded_with_a_record(mlist):
    old, fresh = held_post(mlist), held_post(mlist, "held-2@example.org")
    HeldMessage.objects.filter(pk=old).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert expire_held() == 1
    assert list(HeldMessage.objects.values_list("pk", flat=True)) == [fresh]
    assert PostRecord.objects.filter(rule="expired", verdict="discard").count() == 1


def test_the_worker_expires_held_posts_and_sends_the_summary_on_its_schedule(mlist):
    from listhaven.delivery.schedule import JOBS, Scheduler

    job = next(j for j in JOBS if j.name == "held-posts")
    old, waiting = held_post(mlist), held_post(mlist, "held-2@example.org", subject="Still waiting")
    HeldMessage.objects.filter(pk=old).update(expires_at=timezone.now() - timedelta(minutes=1))
    HeldMessage.objects.filter(pk=waiting).update(held_at=timezone.now() - timedelta(days=2))
    before = Outgoing.objects.count()
    ticks = iter([0.0, job.interval + 1, 2 * job.interval + 2])
    scheduler = Scheduler(jobs=[job], clock=lambda: next(ticks))
    assert scheduler.run_due() == []
    assert scheduler.run_due() == ["held-posts"]
    assert list(HeldMessage.objects.values_list("pk", flat=True)) == [waiting]
    assert PostRecord.objects.filter(rule="expired", verdict="discard").count() == 1
    [summary] = Outgoing.objects.filter(kind="notice").order_by("id")[before:]
    assert b"Still waiting" in decompress(summary.template) and summary.recipients == ["owner@example.org"]
    assert scheduler.run_due() == ["held-posts"]  # the next run: nothing new to expire, summary sent today
    assert Outgoing.objects.count() == before + 1


def test_a_forged_sender_gets_at_most_the_days_answers_but_the_moderators_every_notice(mlist, settings):
    settings.AUTORESPONSE_RATE = "2/d"
    for n in range(3):
        held_post(mlist, f"held-{n}@example.org", subject=f"Offer {n}")
    assert Outgoing.objects.filter(kind="notice", recipients=["owner@example.org"]).count() == 3
    assert Outgoing.objects.filter(kind="notice", recipients=[STRANGER]).count() == 2
    mlist.nonmember_action = "reject"  # a rule's rejection is an automatic answer too
    mlist.save()
    outcome = receive_post(mlist, build(sender=f"Zed <{STRANGER}>", msgid="rejected-1@example.org"))
    assert outcome.verdict.action == "reject"
    assert Outgoing.objects.filter(kind="notice", recipients=[STRANGER]).count() == 2
    assert moderate(mlist, held_post_of(mlist, "Offer 0"), "reject", "off-topic").notified  # a moderator's: always told
    assert Outgoing.objects.filter(kind="notice", recipients=[STRANGER]).count() == 3


def test_the_days_answer_count_is_kept_however_many_others_are_counted(mlist, settings):
    """The counts live in the database cache, which drops a third of its rows whenever it holds more
    than its MAX_ENTRIES: at Django's default of 300, a spammer forging a few hundred other senders
    (or a busy day) wiped the stranger's count and the list answered the stranger again."""
    from django.core.cache import caches

    settings.AUTORESPONSE_RATE = "2/d"
    for n in range(2):
        held_post(mlist, f"held-{n}@example.org", subject=f"Offer {n}")
    assert Outgoing.objects.filter(kind="notice", recipients=[STRANGER]).count() == 2
    counts = caches["ratelimit"]
    for n in range(400):  # other counts, their keys sorting after every rate-limit hash (dropped last)
        counts.set(f"rl:g{n:05}", 1, 86400)
    held_post(mlist, "held-2@example.org", subject="Offer 2")
    assert Outgoing.objects.filter(kind="notice", recipients=[STRANGER]).count() == 2


def held_post_of(mlist, subject: str) -> int:
    return HeldMessage.objects.get(mailing_list=mlist, subject=subject).pk


def test_post_notices_come_from_the_lists_templates_and_the_held_notice_keeps_its_token(mlist):
    from listhaven.lists.notices import NOTICES

    assert {"held", "held_poster", "rejected", "acknowledgement"} <= set(NOTICES)  # editable on /manage/LIST/notices/
    mlist.notice_templates = {
        "held": {"subject": "Please look at {subject}", "body": "{sender} wrote; why held: {reason}. {held_url}\n"},
        "held_poster": {"subject": "Patience", "body": "Held: {subject}. Withdraw: {withdraw_url}\n"},
        "rejected": {"body": "No thanks ({reason}) for {subject}.\n"},
    }
    mlist.save()
    held_id = held_post(mlist)
    notices = {tuple(o.recipients): parse_post_bytes(decompress(o.template)) for o in Outgoing.objects.filter(kind="notice")}
    to_owners = next(m for r, m in notices.items() if r != (STRANGER,))
    assert to_owners["Subject"].startswith("confirm ") and to_owners["Subject"].endswith(" Please look at Seeds for sale")
    token = to_owners["Subject"].split()[1]
    assert token in to_owners["Reply-To"]  # a reply still decides the post by its token
    text = to_owners.get_body(preferencelist=("plain",)).get_content()
    assert text.startswith(f"{STRANGER} wrote; why held: ") and f"/manage/garden/held/{held_id}/" in text
    to_poster = notices[(STRANGER,)]
    assert to_poster["Subject"] == "Patience"
    assert "Held: Seeds for sale. Withdraw: " in to_poster.get_body(preferencelist=("plain",)).get_content()

    reply = build(sender="Owner <owner@example.org>", subject=f"Re: {to_owners['Subject']} reject")
    assert decide_by_reply(mlist, token, parse_post_bytes(reply)) == f"held post #{held_id} (Seeds for sale): rejected"
    rejected = parse_post_bytes(decompress(Outgoing.objects.filter(kind="notice").latest("id").template))
    assert rejected["Subject"] == "Your message to Garden was rejected"  # the site's subject: none set
    assert notice_text(decompress(Outgoing.objects.filter(kind="notice").latest("id").template)).startswith(
        "No thanks (rejected by a moderator) for Seeds for sale."
    )


def test_words_of_the_notice_itself_in_a_reply_decide_nothing(mlist):
    from listhaven.lists.moderation import set_moderator_password

    set_moderator_password(mlist, "tomato")
    mlist.notice_templates = {"held": {"subject": "reject or approve: {subject} from {sender}"}}
    mlist.save()
    outcome = receive_post(mlist, build(sender="Dee <discard@elsewhere.example>", subject="Reject nothing", msgid="d@x"))
    notice = next(parse_post_bytes(decompress(o.template)) for o in Outgoing.objects.filter(kind="notice")
                  if o.recipients != ["discard@elsewhere.example"])  # fmt: skip
    token = notice["Subject"].split()[1]
    reply = build(sender="Owner <owner@example.org>", subject="Re: " + notice["Subject"], body="tomato\n")
    assert decide_by_reply(mlist, token, parse_post_bytes(reply)).endswith(": accepted")
    assert not HeldMessage.objects.filter(pk=outcome.held_id).exists()
    assert PostRecord.objects.filter(message_id="d@x", verdict="accept").exists()


def test_the_cli_posts_a_hand_written_message_with_the_date_and_id_an_mta_would_add(mlist, tmp_path, capsys):
    """The README's example: no Date, no Message-ID. What members get and the archive keep has both; the
    same bytes again are a retry (a pipe transport's after a lost exit status): nothing is sent twice."""
    source = tmp_path / "hello.eml"
    source.write_bytes(f"From: <{MEMBER}>\nTo: {LIST}\nSubject: Hello\n\nHello, list.\n".encode())
    assert run("post", "garden", str(source), "--json") == 0
    posted = json.loads(capsys.readouterr().out)
    assert (posted["verdict"], posted["duplicate"], posted["archive"]) == ("accept", False, "stored")
    assert run("post", "garden", str(source), "--json") == 0
    assert json.loads(capsys.readouterr().out)["duplicate"] is True
    [row] = Outgoing.objects.filter(kind="post")
    copy = parse_post_bytes(Template.from_bytes(decompress(bytes(row.template))).data)
    assert copy["Date"] and copy["Message-ID"]
    [archived] = Message.objects.filter(mailing_list=mlist, subject__endswith="Hello")
    assert archived.message_id == str(copy["Message-ID"]).strip("<>")
    source.write_bytes(f"From: <{MEMBER}>\nTo: {LIST}\nSubject: Hello again\n\nHello, list.\n".encode())
    assert run("post", "garden", str(source), "--json") == 0
    assert json.loads(capsys.readouterr().out)["duplicate"] is False
