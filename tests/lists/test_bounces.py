"""Bounces end to end on a real store: the shapes of tests/support/bounce_shapes.py delivered over LMTP
(a real socket) to the list's -bounces+VERP address, then processed with an injected clock: scores,
one a day, stale scores forgotten, disabling at the threshold, three warnings a week apart with a
re-enable link, removal; complaints unsubscribe; the MTA's 5xx during delivery count; exactly once."""

from __future__ import annotations

import email
import email.policy
import json
import smtplib
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest

from listhaven.archive.compression import decompress
from listhaven.cli import build_parser
from listhaven.delivery.lmtp import serving_in_thread
from listhaven.delivery.outgoing import Worker
from listhaven.delivery.transport import SmtpTransport
from listhaven.lists import bounces
from listhaven.lists.bounce_mail import process_bounce_mail, process_recorded_bounces
from listhaven.lists.directory import create_list
from listhaven.lists.members import add_member
from listhaven.lists.models import BounceEvent, IncomingMail, Member, Outgoing
from listhaven.lists.post import Role
from listhaven.lists.queue import enqueue
from tests.support import bounce_shapes as shapes
from tests.support.databases import store_env, store_rows
from tests.support.smtp_sink import sink_port, smtp_sink

BOB = "bob@example.com"
CAROL = "carol@example.net"
OWNER = "owner@example.org"
DAY0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def mlist(transactional_db, settings):
    # transactional_db: the LMTP server's thread has its own connection
    settings.SITE_URL = "https://lists.example.org"
    mlist = create_list(shapes.LIST_ADDRESS)
    for address in (BOB, CAROL):
        add_member(mlist, address)
    add_member(mlist, OWNER, role=Role.OWNER)
    return mlist


@pytest.fixture
def lmtp(mlist):
    with serving_in_thread() as address:
        client = smtplib.LMTP(*address, timeout=10)
        yield client
        client.quit()


def deliver(client: smtplib.LMTP, raw: bytes, recipient: str) -> None:
    refused = client.sendmail("", [recipient], raw)
    assert refused == {}


def bounce_day(client, mlist, shape: bytes, recipient: str, now: datetime) -> None:
    deliver(client, shape, recipient)
    assert process_bounce_mail(now=now) == 1


def member(address: str = BOB) -> Member:
    return Member.objects.get(address=address, role="member")


def notices_to(address: str) -> list[email.message.Message]:
    return [email.message_from_bytes(decompress(o.template), policy=email.policy.default)
            for o in Outgoing.objects.filter(kind="notice").order_by("id") if address in o.recipients]  # fmt: skip


def test_permanent_bounces_raise_the_score_disable_warn_three_times_then_remove(lmtp, mlist):
    assert mlist.bounce_notify_owners  # told by default, as in Mailman 2 and 3
    permanent = [shapes.postfix, shapes.exim, shapes.office365, shapes.gmail, shapes.qmail]
    for day, shape in enumerate(permanent):
        now = DAY0 + timedelta(days=day)
        bounce_day(lmtp, mlist, shape(BOB), shapes.verp(BOB), now)
        if day == 0:  # a second bounce the same day does not count
            bounce_day(lmtp, mlist, shapes.exchange_legacy(BOB), shapes.verp(BOB), now + timedelta(hours=3))
        assert member().bounce_score == day + 1
        assert member().delivery_status == ("by_bounces" if day == 4 else "enabled")
    bob = member()
    assert bob.disabled_reason == "bounces" and member(CAROL).bounce_score == 0
    assert IncomingMail.objects.filter(role="bounces", processed=False).count() == 0
    [warning] = notices_to(BOB)
    assert "warning 1 of 3" in warning.get_content()
    assert "https://lists.example.org/marxism/reenable/" in warning.get_content()
    assert "disabled by bounces" in notices_to(OWNER)[0]["Subject"]
    disabled_at = DAY0 + timedelta(days=4)
    assert bounces.next_steps(disabled_at + timedelta(days=6)) == []  # not a week yet
    for week in (1, 2):
        assert bounces.next_steps(disabled_at + timedelta(days=7 * week)) == [f"marxism: {BOB} warned ({week + 1})"]
        assert bounces.next_steps(disabled_at + timedelta(days=7 * week, hours=1)) == []
    assert "warning 3 of 3" in notices_to(BOB)[-1].get_content() and len(notices_to(BOB)) == 3
    assert bounces.next_steps(disabled_at + timedelta(days=21)) == [f"marxism: {BOB} removed"]
    assert not Member.objects.filter(address=BOB, role="member").exists()
    assert "removed" in notices_to(OWNER)[-1]["Subject"]


def test_temporary_failures_score_half_or_nothing(lmtp, mlist):
    bounce_day(lmtp, mlist, shapes.postfix(BOB, delayed=True), shapes.verp(BOB), DAY0)
    bounce_day(lmtp, mlist, shapes.gmail(BOB, delayed=True), shapes.verp(BOB), DAY0 + timedelta(days=1))
    bounce_day(lmtp, mlist, shapes.exim_delay_warning(BOB), shapes.verp(BOB), DAY0 + timedelta(days=2))
    assert member().bounce_score == 1.5
    mlist.bounce_temporary = False
    mlist.save()
    bounce_day(lmtp, mlist, shapes.postfix(BOB, delayed=True), shapes.verp(BOB), DAY0 + timedelta(days=3))
    assert member().bounce_score == 1.5
    assert list(BounceEvent.objects.filter(address=BOB).values_list("code", flat=True)) == [450, 450, 450, 450]


def test_a_score_is_forgotten_after_seven_days_without_bounces(lmtp, mlist):
    bounce_day(lmtp, mlist, shapes.postfix(BOB), shapes.verp(BOB), DAY0)
    bounce_day(lmtp, mlist, shapes.postfix(BOB), shapes.verp(BOB), DAY0 + timedelta(days=1))
    assert bounces.forget_stale_scores(DAY0 + timedelta(days=8)) == 0  # 7 days: still counts
    assert member().bounce_score == 2
    assert bounces.forget_stale_scores(DAY0 + timedelta(days=9)) == 1
    assert member().bounce_score == 0
    # A bounce after a stale score (the job did not run) starts again from one.
    bounce_day(lmtp, mlist, shapes.postfix(CAROL), shapes.verp(CAROL), DAY0)
    bounce_day(lmtp, mlist, shapes.postfix(CAROL), shapes.verp(CAROL), DAY0 + timedelta(days=10))
    assert member(CAROL).bounce_score == 1


def test_without_verp_each_failed_member_in_the_dsn_is_scored(lmtp, mlist):
    raw = shapes.postfix_two_recipients(failed=BOB, delayed=CAROL, delivered="nobody@example.org")
    bounce_day(lmtp, mlist, raw, shapes.BOUNCES, DAY0)
    assert (member().bounce_score, member(CAROL).bounce_score) == (1.0, 0.5)


def test_not_a_bounce_scores_nothing(lmtp, mlist):
    bounce_day(lmtp, mlist, shapes.vacation_reply(BOB), shapes.verp(BOB), DAY0)
    assert member().bounce_score == 0
    assert IncomingMail.objects.get().note.startswith("not a bounce")


@pytest.mark.parametrize("with_verp", [True, False])
def test_a_complaint_unsubscribes_the_member(lmtp, mlist, with_verp):
    recipient = shapes.verp(BOB) if with_verp else shapes.BOUNCES
    deliver(lmtp, shapes.arf(BOB, with_verp=with_verp), recipient)
    assert process_bounce_mail(now=DAY0) == 1
    assert not Member.objects.filter(address=BOB, role="member").exists()
    assert Member.objects.filter(address=CAROL).exists()
    assert "unsubscribed" in IncomingMail.objects.get().note
    assert not notices_to(BOB)  # the complainer gets no more mail


def test_the_mtas_5xx_during_delivery_counts_as_a_bounce(mlist):
    enqueue(mlist, b"From: x@example.org\r\nSubject: hi\r\n\r\nhi\r\n", [BOB, CAROL], kind="post", personalised=False)
    with smtp_sink({BOB: "550 5.1.1 no such user", CAROL: "450 4.2.1 busy"}) as (controller, _sink):
        Worker(SmtpTransport("127.0.0.1", sink_port(controller))).run(threading.Event(), until_idle=True)
    assert process_recorded_bounces(now=DAY0) == 1
    assert (member().bounce_score, member(CAROL).bounce_score) == (1.0, 0.0)
    assert process_recorded_bounces(now=DAY0) == 0


SETUP = """
from listhaven.cli import setup_django, ensure_schema
setup_django(None); ensure_schema()
from listhaven.lists.directory import create_list
from listhaven.lists.incoming import store_incoming
from listhaven.lists.members import add_members
from listhaven.lists.routing import resolve
from tests.support import bounce_shapes as shapes
mlist = create_list(shapes.LIST_ADDRESS)
addresses = [f"m{n}@example.com" for n in range(120)]
add_members(mlist, addresses)
for address in addresses:
    store_incoming(resolve(shapes.verp(address)), shapes.postfix(address))
"""
WORK = """
from datetime import UTC, datetime
from listhaven.cli import setup_django
setup_django(None)
from listhaven.lists.bounce_mail import process_bounce_mail
total = 0
for _ in range(100):
    done = process_bounce_mail(now=datetime(2026, 3, 2, tzinfo=UTC), limit=7)
    total += done
    if not done:
        break
print(total)
"""


def test_each_stored_bounce_is_processed_once_by_two_workers(tmp_path):
    # Two processes on one store, as two `listhaven worker`s would be.
    env = store_env(tmp_path)
    subprocess.run([sys.executable, "-c", SETUP], env=env, check=True, timeout=300)
    workers = [subprocess.Popen([sys.executable, "-c", WORK], env=env, stdout=subprocess.PIPE) for _ in range(2)]
    counts = [int(w.communicate(timeout=300)[0]) for w in workers]
    assert sum(counts) == 120 and all(w.returncode == 0 for w in workers)
    assert store_rows(tmp_path, "SELECT COUNT(*) FROM lists_bounceevent") == [(120,)]
    assert store_rows(tmp_path, "SELECT COUNT(*) FROM lists_incomingmail WHERE processed") == [(120,)]
    scores = store_rows(tmp_path, "SELECT DISTINCT bounce_score FROM lists_member WHERE role = 'member'")
    assert scores == [(1.0,)]


def test_the_reenable_link_turns_delivery_back_on_once(mlist):
    bob = member()
    for day in range(5):
        bounces.score_bounce(mlist, BOB, True, DAY0 + timedelta(days=day))
    bob.refresh_from_db()
    assert bob.delivery_status == "by_bounces"
    url = notices_to(BOB)[0].get_content().split("/reenable/")[1].split()[0]
    token = url.strip("/")
    other = create_list("other@lists.example.org")
    assert bounces.reenable(other, token, now=DAY0.timestamp() + 5 * 86400) is None  # another list
    late = DAY0 + timedelta(days=4 + 29)
    assert bounces.reenable(mlist, token, now=late.timestamp()) is None  # expired
    back = bounces.reenable(mlist, token, now=(DAY0 + timedelta(days=5)).timestamp())
    assert back is not None and (back.delivery_status, back.bounce_score) == ("enabled", 0)
    assert bounces.reenable(mlist, token, now=(DAY0 + timedelta(days=5)).timestamp()) is None  # used


def test_bounces_command(mlist, capsys):
    bounces.score_bounce(mlist, BOB, False, DAY0)

    def run(*argv: str) -> int:
        args = build_parser().parse_args(list(argv))
        return args.handler(args)

    assert run("bounces", "marxism", "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["threshold"] == 5.0
    assert [(r["address"], r["score"], r["status"]) for r in data["members"]] == [(BOB, 0.5, "enabled")]
    assert run("bounces", "marxism") == 0
    assert BOB in capsys.readouterr().out


def test_the_worker_runs_the_bounce_jobs():
    from listhaven.delivery.schedule import JOBS

    jobs = {job.name: job.load() for job in JOBS}
    assert jobs["bounces"].__name__ == "process_bounces" and jobs["bounce-upkeep"].__name__ == "bounce_upkeep"


def test_the_reenable_page_shows_a_button_and_the_post_acts(mlist, client):
    for day in range(5):
        bounces.score_bounce(mlist, BOB, True, datetime.now(UTC) - timedelta(days=5 - day))
    url = notices_to(BOB)[0].get_content().split("https://lists.example.org")[1].split()[0]
    assert url.startswith("/marxism/reenable/")
    page = client.get(url)
    assert page.status_code == 200 and b"Turn delivery back on" in page.content
    assert member().delivery_status == "by_bounces"  # a visit changes nothing
    done = client.post(url)
    assert done.status_code == 200 and member().delivery_status == "enabled"
    assert client.post(url).status_code == 404  # nothing left to turn on
    assert client.get(url.replace("/marxism/", "/other/")).status_code == 404
    assert client.get(url[:-4] + "0000").status_code == 404
