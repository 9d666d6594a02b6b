"""Digests on a real store: posts collected by the pipeline, issues sent on size and on schedule, once
per format, to the members of that format, numbered by volume and issue; `listhaven digests send`."""

from __future__ import annotations

import email
import json
from datetime import UTC, datetime, timedelta

import pytest

from listhaven.archive.compression import decompress
from listhaven.cli import build_parser
from listhaven.lists import digests
from listhaven.lists.directory import create_list
from listhaven.lists.members import add_member
from listhaven.lists.models import DigestEntry, DigestIssueSent, MailingList, Member, Outgoing
from listhaven.lists.pipeline import run_pipeline
from listhaven.lists.standing import build_post
from listhaven.mail.personalise import Template
from tests.lists.messages import LIST, MEMBER, build

DAY1 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def mlist(db):
    mlist = create_list(LIST)
    mlist.digest_size_kb = 0  # schedule only, unless a test sets a size
    mlist.max_message_kb = 0
    mlist.save()
    add_member(mlist, MEMBER)  # regular delivery
    for address, mode in [("mime1@example.net", "mime_digest"), ("mime2@example.net", "mime_digest"),
                          ("plain1@example.net", "plain_digest"), ("off@example.net", "mime_digest")]:  # fmt: skip
        member = add_member(mlist, address)
        member.delivery_mode = mode
        member.delivery_status = "by_bounces" if address.startswith("off") else "enabled"
        member.save()
    return mlist


def accept(mlist: MailingList, n: int, body: str = "The tomatoes are ripe.\n") -> None:
    run_pipeline(mlist, build_post(mlist, build(body, msgid=f"p{n}@example.org", subject=f"Topic {n}")))


def digests_queued(personalised: bool = True) -> dict[str, tuple[list[str], email.message.Message]]:
    """The digest Outgoing rows, by format (multipart or plain), with their recipients (a personalised
    issue's template read with its markers in place)."""
    found = {}
    for outgoing in Outgoing.objects.filter(kind="digest"):
        assert outgoing.personalised == personalised
        data = decompress(outgoing.template)
        message = email.message_from_bytes(Template.from_bytes(data).data if personalised else data)
        kind = "mime" if message.is_multipart() else "plain"
        assert kind not in found, "one Outgoing per format"
        found[kind] = (outgoing.recipients, message)
    return found


def test_the_pipeline_collects_each_accepted_post_and_regular_members_still_get_posts(mlist):
    accept(mlist, 1)
    accept(mlist, 2)
    assert DigestEntry.objects.filter(mailing_list=mlist).count() == 2
    post_rows = Outgoing.objects.filter(kind="post")
    assert [o.recipients for o in post_rows] == [[MEMBER], [MEMBER]]
    assert not Outgoing.objects.filter(kind="digest").exists()
    # The same post again (an MTA retry) is not collected twice.
    accept(mlist, 2)
    assert DigestEntry.objects.filter(mailing_list=mlist).count() == 2


def test_an_issue_goes_out_once_the_size_threshold_is_passed(mlist):
    mlist.digest_size_kb = 3  # each post below is ~1.35 KB as the list keeps it
    mlist.digest_frequency = "size"
    mlist.save()
    accept(mlist, 1, "a" * 500 + "\n")
    accept(mlist, 2, "b" * 500 + "\n")
    assert digests.pending_size(mlist) < 3072 and not Outgoing.objects.filter(kind="digest").exists()
    accept(mlist, 3, "c" * 500 + "\n")  # passes 3 KB
    queued = digests_queued()
    assert set(queued) == {"mime", "plain"}
    assert queued["mime"][0] == ["mime1@example.net", "mime2@example.net"]
    assert queued["plain"][0] == ["plain1@example.net"]
    mime = queued["mime"][1]
    assert mime["Subject"] == "Garden Digest, Vol 1, Issue 1"
    inner = next(p for p in mime.walk() if p.get_content_type() == "multipart/digest")
    subjects = [part.get_payload(0)["Subject"] for part in inner.get_payload()]
    assert subjects == ["[Garden] Topic 1", "[Garden] Topic 2", "[Garden] Topic 3"]
    plain = queued["plain"][1].get_payload(decode=True).decode()
    assert "Message: 3" in plain and "c" * 500 in plain and "Message: 4" not in plain
    assert DigestEntry.objects.count() == 0
    issue = DigestIssueSent.objects.get()
    assert (issue.volume, issue.number, issue.posts, issue.reason) == (1, 1, 3, "size")


def test_daily_schedule_sends_after_the_day_is_over_and_numbers_issues(mlist):
    entry_day = DAY1
    DigestEntry.objects.all().delete()
    digests.collect(mlist, build(msgid="s1@example.org"), now=entry_day)
    assert digests.send_due(now=entry_day + timedelta(hours=10)) == []
    sent = digests.send_due(now=entry_day + timedelta(days=1))
    assert [(i.volume, i.number, i.reason) for i in sent] == [(1, 1, "schedule")]
    digests.collect(mlist, build(msgid="s2@example.org"), now=entry_day + timedelta(days=1, hours=1))
    assert digests.send_due(now=entry_day + timedelta(days=1, hours=2)) == []  # same day as the last issue
    sent = digests.send_due(now=entry_day + timedelta(days=2))
    assert [(i.volume, i.number) for i in sent] == [(1, 2)]
    assert Outgoing.objects.filter(kind="digest").count() == 4  # two issues, two formats each
    assert digests.send_due(now=entry_day + timedelta(days=3)) == []  # nothing collected


@pytest.mark.parametrize(("frequency", "not_yet", "due"), [("weekly", 6, 7), ("monthly", 20, 30)])
def test_weekly_and_monthly_schedules(mlist, frequency, not_yet, due):
    mlist.digest_frequency = frequency
    mlist.save()
    digests.collect(mlist, build(), now=DAY1)
    assert digests.send_due(now=DAY1 + timedelta(days=not_yet)) == []
    assert len(digests.send_due(now=DAY1 + timedelta(days=due))) == 1


def test_a_new_year_starts_a_new_volume(mlist):
    digests.collect(mlist, build(msgid="y1@example.org"), now=datetime(2026, 12, 30, tzinfo=UTC))
    digests.send_due(force=True, now=datetime(2026, 12, 31, tzinfo=UTC))
    digests.collect(mlist, build(msgid="y2@example.org"), now=datetime(2026, 12, 31, 12, tzinfo=UTC))
    sent = digests.send_due(now=datetime(2027, 1, 1, 1, tzinfo=UTC))
    assert [(i.volume, i.number) for i in sent] == [(2, 1)]
    mlist.refresh_from_db()
    assert (mlist.digest_volume, mlist.digest_issue) == (2, 2)


def test_header_and_footer_of_the_list_are_in_both_formats(mlist):
    mlist.digest_header = "Be kind to {list_name}."
    mlist.digest_footer = "Digest footer of {list_address}"
    mlist.save()
    digests.collect(mlist, build())
    digests.send_due(force=True)
    queued = digests_queued()
    plain = queued["plain"][1].get_payload(decode=True).decode()
    mime_text = b"".join(p.get_payload(decode=True) or b"" for p in queued["mime"][1].walk()
                         if p.get_content_type() == "text/plain").decode()  # fmt: skip
    for text in (plain, mime_text):
        assert "Be kind to Garden." in text and f"Digest footer of {LIST}" in text


def test_an_issue_is_claimed_once_and_nothing_is_numbered_without_digest_members(mlist):
    digests.collect(mlist, build())
    stale = MailingList.objects.get(pk=mlist.pk)
    assert digests.send_issue(mlist, "forced") is not None
    assert digests.send_issue(stale, "forced") is None  # the posts went with the first
    assert DigestIssueSent.objects.count() == 1
    Member.objects.filter(delivery_mode__in=["mime_digest", "plain_digest"]).update(delivery_mode="regular")
    digests.collect(mlist, build(msgid="x@example.org"))
    assert digests.send_issue(mlist, "forced") is None
    mlist.refresh_from_db()
    assert (DigestEntry.objects.count(), mlist.digest_issue) == (0, 2)


def test_ten_thousand_digest_members_one_build_per_format(mlist, monkeypatch):
    Member.objects.bulk_create(
        Member(mailing_list=mlist, address=f"m{n}@example.com", role="member",
               delivery_mode="mime_digest" if n % 2 else "plain_digest")
        for n in range(10_000)
    )  # fmt: skip
    calls = {"mime": 0, "plain": 0}

    def counting(kind):
        real = digests.BUILDERS[kind]

        def build_counted(*args):
            calls[kind] += 1
            return real(*args)

        return build_counted

    for kind in ("mime", "plain"):
        monkeypatch.setitem(digests.BUILDERS, kind, counting(kind))
    for n in range(3):
        digests.collect(mlist, build(msgid=f"k{n}@example.org"))
    digests.send_due(force=True)
    assert calls == {"mime": 1, "plain": 1}
    queued = digests_queued()
    assert len(queued["mime"][0]) == 5_002 and len(queued["plain"][0]) == 5_001


def test_digests_send_command(mlist, capsys):
    other = create_list("other@lists.example.org")
    add_member(other, "o@example.net").__class__.objects.filter(address="o@example.net").update(delivery_mode="plain_digest")
    mlist.digest_frequency = "size"  # never due on schedule
    mlist.save()
    digests.collect(mlist, build(), now=DAY1)
    digests.collect(other, build(), now=DAY1)

    def run(*argv: str) -> int:
        args = build_parser().parse_args(list(argv))
        return args.handler(args)

    assert run("digests", "send", "garden") == 0
    assert "no digest is due" in capsys.readouterr().out
    assert run("digests", "send", "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows == [{"list": "other", "volume": 1, "issue": 1, "posts": 1, "reason": "schedule",
                     "mime_recipients": 0, "plain_recipients": 1}]  # fmt: skip
    assert DigestEntry.objects.filter(mailing_list=mlist).count() == 1


def test_the_worker_sends_due_digests_on_its_schedule(mlist):
    from listhaven.delivery.schedule import JOBS, Scheduler

    job = next(j for j in JOBS if j.name == "digests")
    ticks = iter([0.0, job.interval + 1])
    scheduler = Scheduler(jobs=[job], clock=lambda: next(ticks))
    digests.collect(mlist, build(), now=DAY1)  # a day long over: due
    assert scheduler.run_due() == []
    assert scheduler.run_due() == ["digests"]
    assert DigestIssueSent.objects.filter(mailing_list=mlist, reason="schedule").count() == 1


def test_each_digest_member_gets_their_own_one_click_link_that_unsubscribes_them(mlist, client):
    from listhaven.delivery.copies import CopyMaker

    mlist.digest_footer = "Leave this list: {unsubscribe_url}\nDelivered to {member_address}\n"
    mlist.save()
    digests.collect(mlist, build())
    digests.send_due(force=True)
    assert set(digests_queued()) == {"mime", "plain"}  # still one row, one build, per format
    outgoing = next(o for o in Outgoing.objects.filter(kind="digest") if "plain1@example.net" in o.recipients)
    sender, data = CopyMaker(outgoing).copy("plain1@example.net")
    assert sender.startswith("garden-bounces+plain1=example.net@")  # VERP: a digest's bounce names its member
    copy = email.message_from_bytes(data)
    url = copy["List-Unsubscribe"].split(">")[0].lstrip("<")
    assert copy["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    body = copy.get_payload(decode=True).decode()
    assert f"Leave this list: {url}" in body and "Delivered to plain1@example.net" in body
    other = email.message_from_bytes(CopyMaker(outgoing).copy("mime1@example.net")[1])
    assert other["List-Unsubscribe"] != copy["List-Unsubscribe"]

    path = url.split("://", 1)[1].partition("/")[2]
    response = client.post("/" + path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert not Member.objects.filter(mailing_list=mlist, address="plain1@example.net").exists()
    assert Member.objects.filter(mailing_list=mlist, address="mime1@example.net").exists()


def test_a_list_sending_bulk_copies_sends_one_digest_for_all(mlist):
    mlist.personalised = False
    mlist.save()
    digests.collect(mlist, build())
    digests.send_due(force=True)
    mime = digests_queued(personalised=False)["mime"][1]
    assert mime["List-Unsubscribe-Post"] is None and "/listinfo/garden" in mime["List-Unsubscribe"]
