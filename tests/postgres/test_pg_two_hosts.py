"""Two hosts on one PostgreSQL store, as a site that has grown runs them (docs/operations.md, "Growing"):
two LMTP servers (or the LMTP server and `listhaven post`) given the same message by an MTA that retried
on the other host, two posts to one list at the same moment, two workers scoring bounces of one member.

Each test makes the two meet with real processes: one holds its transaction open at the point where the
other could go wrong (tests/postgres/holder.py), the other runs as a `listhaven` command, and the holder
commits once the other has finished or is waiting for it. On SQLite one writer at a time (BEGIN IMMEDIATE)
makes these meetings impossible, so the tests run on PostgreSQL only (their own database on either run).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.postgres.cluster import find_binary, own_database
from tests.postgres.holder import REPO, Holder, run_beside

pytestmark = pytest.mark.skipif(not find_binary("initdb"), reason="no PostgreSQL server installed (initdb not found)")

SETUP = """
from listhaven.cli import setup_django, ensure_schema
setup_django(None); ensure_schema()
from listhaven.lists.directory import create_list
from listhaven.lists.members import add_member
from listhaven.lists.post import Role
mlist = create_list("crowd@lists.example.org")
add_member(mlist, "owner@example.org", role=Role.OWNER)
for n in range(3):
    add_member(mlist, f"member{n}@example.org")
"""


def query(env: dict[str, str], code: str) -> object:
    """What `code` (Django set up, `result` assigned) computes in a process of its own, through JSON."""
    script = f"from listhaven.cli import setup_django\nsetup_django(None)\n{code}\nimport json\nprint(json.dumps(result))"
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


@pytest.fixture
def store(tmp_path: Path):
    with own_database() as database_url:
        env = {**os.environ, "DATABASE_URL": database_url, "LISTHAVEN_DATA": str(tmp_path)}
        subprocess.run([sys.executable, "-c", SETUP], env=env, cwd=REPO, check=True, timeout=300)
        yield env, database_url


def post_bytes(sender: str, message_id: str, subject: str, reply_to: str = "") -> bytes:
    refs = f"In-Reply-To: <{reply_to}>\r\nReferences: <{reply_to}>\r\n" if reply_to else ""
    return (f"From: {sender}\r\nTo: crowd@lists.example.org\r\nSubject: {subject}\r\n"
            f"Date: Tue, 01 Dec 2026 10:00:00 +0000\r\nMessage-ID: <{message_id}>\r\n{refs}\r\n"
            f"Words of {message_id}.\r\n").encode()  # fmt: skip


def receive_snippet(raw: bytes, sender: str) -> str:
    """The LMTP server's call (delivery/lmtp.py) for `raw`, left inside the holder's open transaction."""
    return (f"from listhaven.lists.models import MailingList\nfrom listhaven.lists.posting import receive_post\n"
            f"outcome = receive_post(MailingList.objects.get(name='crowd'), {raw!r}, envelope_sender={sender!r})\n"
            f"print(outcome.verdict.action.value, outcome.duplicate, flush=True)")  # fmt: skip


def post_command(sender: str) -> list[str]:
    return [sys.executable, "-m", "listhaven", "post", "crowd", "-", "--sender", sender]


def test_the_same_held_post_from_two_hosts_at_once_is_held_once_with_one_notice(store):
    env, database_url = store
    raw = post_bytes("Stranger <stranger@example.net>", "retried@example.net", "Hello from outside")
    holder = Holder(receive_snippet(raw, "stranger@example.net"), env)
    assert holder.output.strip() == "hold False"
    other = run_beside(holder, post_command("stranger@example.net"), env, database_url, stdin=raw)
    assert other.returncode == 0, other.stderr.decode()
    assert other.stdout.decode().startswith("received before: hold"), other.stdout.decode()
    held, records, notices = query(env, """
from listhaven.lists.models import HeldMessage, Outgoing, PostRecord
result = [HeldMessage.objects.count(), PostRecord.objects.count(),
          sorted(len(o.recipients) for o in Outgoing.objects.filter(kind="notice"))]
""")  # type: ignore[misc]
    assert held == 1 and records == 1
    assert notices == [1, 1]  # one to the owner, one to the poster: not two of each


def test_the_same_accepted_post_from_two_hosts_at_once_is_stored_and_sent_once(store):
    env, database_url = store
    raw = post_bytes("Member <member0@example.org>", "accepted-twice@example.org", "Hello all")
    holder = Holder(receive_snippet(raw, "member0@example.org"), env)
    assert holder.output.strip() == "accept False"
    other = run_beside(holder, post_command("member0@example.org"), env, database_url, stdin=raw)
    assert other.returncode == 0, other.stderr.decode()
    assert other.stdout.decode().startswith("received before: accept"), other.stdout.decode()
    stored, queued = query(env, """
from listhaven.archive.models import Message
from listhaven.lists.models import Outgoing
result = [Message.objects.count(), sum(len(o.recipients) for o in Outgoing.objects.filter(kind="post"))]
""")  # type: ignore[misc]
    assert stored == 1
    assert queued == 3  # each member once (the poster included: they receive their own posts)


def test_two_posts_to_one_list_at_once_are_numbered_in_turn_and_threaded_together(store):
    env, database_url = store
    first = post_bytes("Member <member0@example.org>", "parent@example.org", "A question")
    reply = post_bytes("Member <member1@example.org>", "reply@example.org", "Re: A question", "parent@example.org")
    holder = Holder(receive_snippet(first, "member0@example.org"), env)
    assert holder.output.strip() == "accept False"
    other = run_beside(holder, post_command("member1@example.org"), env, database_url, stdin=reply)
    # Before: the reply took the number the first post had not committed yet and failed on it, a 451 for the MTA.
    assert other.returncode == 0, other.stderr.decode()
    assert other.stdout.decode().startswith("accept"), other.stdout.decode()
    rows = query(env, """
from listhaven.archive.models import Message, Thread
result = [[m.message_id, m.archive_number, m.thread_id] for m in Message.objects.order_by("archive_number")]
result = [result, Thread.objects.count()]
""")  # type: ignore[misc]
    messages, threads = rows  # type: ignore[misc]
    assert [m[0] for m in messages] == ["parent@example.org", "reply@example.org"]
    assert messages[1][1] == messages[0][1] + 1
    assert messages[0][2] == messages[1][2] and threads == 1


BOUNCING = """
from datetime import timedelta
from django.utils import timezone
from listhaven.lists.models import BounceEvent, MailingList, Member
mlist = MailingList.objects.get(name='crowd')
Member.objects.filter(address='member0@example.org').update(bounce_score=4.0,
                                                           last_bounce=timezone.now().date() - timedelta(days=2))
BounceEvent.objects.create(mailing_list=mlist, address='member0@example.org', source='smtp', code=550, text='no')
result = 0
"""
DSN = (b"From: MAILER-DAEMON@mx.example.net\nTo: crowd-bounces@lists.example.org\nSubject: failure\nMIME-Version: 1.0\n"
       b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n--b\nContent-Type: text/plain\n\n'
       b"Not delivered.\n--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"
       b"Final-Recipient: rfc822; member0@example.org\nAction: failed\nStatus: 5.1.1\n\n--b--\n")  # fmt: skip


def test_two_bounces_of_one_member_scored_at_once_disable_once_with_one_warning(store):
    """Two workers' bounce jobs (delivery/schedule.py) at once: one reads a DSN from -bounces mail, the other
    a refusal the MTA gave while sending; the member was one bounce from the threshold."""
    env, database_url = store
    query(env, BOUNCING)
    holder = Holder(f"""
from django.utils import timezone
from listhaven.lists.bounce_mail import handle_bounce
from listhaven.lists.models import MailingList
print(handle_bounce(MailingList.objects.get(name='crowd'), {DSN!r}, 'crowd-bounces@lists.example.org', timezone.now()))
""", env)  # fmt: skip
    assert "delivery disabled" in holder.output, holder.output
    setup = "from listhaven.cli import setup_django\nsetup_django(None)\n"
    scoring = setup + "from listhaven.lists.bounce_mail import process_bounces\nprocess_bounces()"
    other = run_beside(holder, [sys.executable, "-c", scoring], env, database_url)
    assert other.returncode == 0, other.stderr.decode()
    member, warnings, owners = query(env, """
from listhaven.lists.models import Member, Outgoing
m = Member.objects.get(address='member0@example.org', role='member')
result = [[m.bounce_score, m.delivery_status, m.bounce_warnings_sent],
          Outgoing.objects.filter(kind='notice', recipients=['member0@example.org']).count(),
          Outgoing.objects.filter(kind='notice', recipients=['owner@example.org']).count()]
""")  # type: ignore[misc]
    # Before: the second scored from the score it read before the first committed, and disabled again:
    # two warnings to the member, two notices to the owner.
    assert member == [5.0, "by_bounces", 1]
    assert warnings == 1 and owners == 1


SIGN_IN = """
from django.test import Client
from listhaven.web.accounts import signin_link
uid, token = {link!r}
response = Client().post(f"/accounts/link/{{uid}}/{{token}}/", HTTP_HOST="localhost")
print(response.status_code, flush=True)
"""


def test_a_sign_in_link_used_on_two_web_servers_at_once_signs_in_once(store):
    """A sign-in link is single use (web/accounts/signin_link.py): posted twice at once, to two web processes
    behind a balancer (a double click, or a copied link), one of them signs in."""
    env, database_url = store
    link = query(env, """
from listhaven.web.accounts import signin_link
result = list(signin_link.link_path_parts(signin_link.account_for("member0@example.org")))
""")  # fmt: skip
    holder = Holder(SIGN_IN.format(link=link), env)  # signed in, the transaction of the sign-in not committed
    assert holder.output.strip() == "302", holder.output
    setup = "from listhaven.cli import setup_django\nsetup_django(None)\n"
    other = run_beside(holder, [sys.executable, "-c", setup + SIGN_IN.format(link=link)], env, database_url)
    assert other.returncode == 0, other.stderr.decode()
    # Before: the second read the account before the first's sign-in committed, and signed in as well.
    assert other.stdout.decode().split() == ["400"]


def test_two_workers_sending_the_digest_at_once_send_one_issue(store):
    """Two workers' digest jobs (or `listhaven digests send` beside a worker) at the same moment: the
    issue's numbers are claimed by a compare-and-set on the list's row (lists/digests.py)."""
    env, database_url = store
    query(env, """
from listhaven.lists.digests import collect
from listhaven.lists.models import MailingList, Member
Member.objects.filter(address__in=['member1@example.org', 'member2@example.org']).update(delivery_mode='mime_digest')
mlist = MailingList.objects.get(name='crowd')
for n in range(3):
    collect(mlist, b'From: a@example.org\\r\\nSubject: post %d\\r\\nMessage-ID: <d%d@example.org>\\r\\n\\r\\nText.\\r\\n' % (n, n))
result = 0
""")  # fmt: skip
    holder = Holder("from listhaven.lists.digests import send_due\nprint(len(send_due(force=True)))", env)
    assert holder.output.strip() == "1"
    other = run_beside(holder, [sys.executable, "-m", "listhaven", "digests", "send", "--force"], env, database_url)
    assert other.returncode == 0, other.stderr.decode()
    issues, queued = query(env, """
from listhaven.lists.models import DigestIssueSent, Outgoing
result = [[[i.volume, i.number, i.posts] for i in DigestIssueSent.objects.all()],
          [len(o.recipients) for o in Outgoing.objects.filter(kind='digest')]]
""")  # type: ignore[misc]
    assert issues == [[1, 1, 3]] and queued == [2]


def test_two_workers_expiring_held_posts_at_once_discard_once_and_summarise_once(store):
    """Two workers' held-posts jobs (lists/moderation.py held_upkeep) at the same moment."""
    env, database_url = store
    query(env, """
from datetime import timedelta
from django.utils import timezone
from listhaven.archive.compression import compress
from listhaven.lists.models import HeldMessage, MailingList
mlist, now = MailingList.objects.get(name='crowd'), timezone.now()
for n, (held, expires) in enumerate([(now - timedelta(days=20), now - timedelta(days=1)),
                                     (now - timedelta(days=2), now + timedelta(days=10))]):
    HeldMessage.objects.create(mailing_list=mlist, data=compress(b'Subject: x\\r\\n\\r\\nx\\r\\n'), size=13,
                               sender=f's{n}@example.net', subject=f'held {n}', message_id=f'h{n}@example.net',
                               rule='nonmember', reason='not a member', held_at=held, expires_at=expires)
result = 0
""")  # fmt: skip
    upkeep = "from listhaven.lists.moderation import held_upkeep\nprint(held_upkeep())"
    holder = Holder(upkeep, env)
    assert holder.output.strip() == "1"
    setup = "from listhaven.cli import setup_django\nsetup_django(None)\n"
    other = run_beside(holder, [sys.executable, "-c", setup + upkeep], env, database_url)
    assert other.returncode == 0, other.stderr.decode()
    assert other.stdout.decode().split() == ["0"]
    held, expired, summaries = query(env, """
from listhaven.lists.models import HeldMessage, Outgoing, PostRecord
result = [list(HeldMessage.objects.values_list('subject', flat=True)), PostRecord.objects.filter(rule='expired').count(),
          Outgoing.objects.filter(kind='notice', recipients=['owner@example.org']).count()]
""")  # type: ignore[misc]
    assert held == ["held 1"] and expired == 1 and summaries == 1


def start_web(env: dict[str, str], data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`listhaven serve` with a data directory of its own (its own page cache), as on a host of its own."""
    from tests.support.ports import free_port

    port = free_port()
    data_dir.mkdir()
    process = subprocess.Popen([sys.executable, "-m", "listhaven", "serve", "--port", str(port), "--workers", "1",
                                "--threads", "2"], env={**env, "LISTHAVEN_DATA": str(data_dir)}, cwd=REPO,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    return process, f"http://127.0.0.1:{port}"


def fetch(url: str) -> tuple[int, str, str]:
    """(status, X-Listhaven-Cache, body) of a GET without cookies; waits for a server still starting."""
    import time
    import urllib.error
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + 60
    while True:
        try:
            with opener.open(url, timeout=30) as response:
                return response.status, response.headers.get("X-Listhaven-Cache", ""), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("X-Listhaven-Cache", ""), ""
        except OSError:
            assert time.monotonic() < deadline, f"no answer from {url}"
            time.sleep(0.2)


def test_every_web_host_shows_a_new_message_a_removal_and_a_list_turned_private_at_once(store, tmp_path):
    """Two web servers, each with the page cache of its own host (web/page_cache.py), both having kept the
    overview and a message page: a post by LMTP (`listhaven post`), a redaction and a change of the archive
    policy by other processes show on both at their next request."""
    env, _ = store
    first = post_bytes("Member <member0@example.org>", "first@example.org", "First words")
    assert subprocess.run(post_command("member0@example.org"), input=first, env=env, cwd=REPO, capture_output=True,
                          timeout=300).returncode == 0  # fmt: skip
    public_id = query(env, "from listhaven.archive.models import Message\nresult = Message.objects.get().public_id")
    servers = [start_web(env, tmp_path / name) for name in ("host-a", "host-b")]
    try:
        pages = [f"{url}/crowd/" for _, url in servers] + [f"{url}/crowd/message/{public_id}/" for _, url in servers]
        for page in pages:
            fetch(page)
            status, cache, body = fetch(page)
            assert (status, cache) == (200, "hit") and "First words" in body  # kept on its host
        second = post_bytes("Member <member1@example.org>", "second@example.org", "Second words")
        assert subprocess.run(post_command("member1@example.org"), input=second, env=env, cwd=REPO,
                              capture_output=True, timeout=300).returncode == 0  # fmt: skip
        for page in pages[:2]:
            status, cache, body = fetch(page)
            assert (status, cache) == (200, "miss") and "Second words" in body
        assert subprocess.run([sys.executable, "-m", "listhaven", "redact", "crowd", str(public_id), "--reason", "asked"],
                              env=env, cwd=REPO, capture_output=True, timeout=300).returncode == 0  # fmt: skip
        for page in pages[2:]:
            status, _, body = fetch(page)
            assert status in (200, 410) and "First words" not in body
        query(env, "from listhaven.lists.models import MailingList\n"
                   "result = MailingList.objects.filter(name='crowd').update(archive_policy='members')")  # fmt: skip
        for page in pages:
            assert fetch(page)[0] == 404
    finally:
        for process, _ in servers:
            os.killpg(process.pid, 15)
            process.wait(timeout=60)


COUNT = "from listhaven.lists.answer_limits import may_ask_confirmation\nmay_ask_confirmation({address!r})\n"
READ_COUNT = """
from django.conf import settings
from django_ratelimit.core import get_usage
from listhaven.lists.answer_limits import CONFIRMATION_GROUP
result = [get_usage(None, group=CONFIRMATION_GROUP, key=lambda _g, _r, a=a: a, rate=settings.SUBSCRIBE_RATE_ADDRESS)["count"]
          for a in ("ann@example.net", "bob@example.net")]
"""


def test_two_command_mails_asking_for_two_addresses_in_opposite_orders_count_both_once_each(store):
    """Command mail to -request counts a confirmation for each address it names, all in its one transaction
    (lists/command_mail.py). Another host's mail naming the same two in the other order: the holder has
    counted ann (its first command) and counts bob once the other waits for it."""
    env, database_url = store
    holder = Holder(COUNT.format(address="ann@example.net"), env, then=COUNT.format(address="bob@example.net"))
    commands = (b"From: carol@example.org\r\nTo: crowd-request@lists.example.org\r\nSubject: two\r\n"
                b"Message-ID: <two-orders@example.org>\r\n\r\n"
                b"subscribe address=bob@example.net\r\nsubscribe address=ann@example.net\r\n")  # fmt: skip
    other = ("from listhaven.cli import setup_django\nsetup_django(None)\nfrom listhaven.delivery.lmtp import deliver\n"
             f"print(deliver('crowd-request@lists.example.org', {commands!r}, envelope_sender='carol@example.org'))")  # fmt: skip
    done = run_beside(holder, [sys.executable, "-c", other], env, database_url)
    assert done.returncode == 0 and done.stdout.startswith(b"250 "), (done.stdout, done.stderr)
    # Before: the other counted bob, then waited for ann; the holder's count of bob waited for the other's:
    # each held a row the other wanted, PostgreSQL ended one of them (deadlock detected), and its count was
    # lost (the cache took the failed insert for a key that exists, then found no row to count).
    assert query(env, READ_COUNT) == [2, 2]
    asked = "from listhaven.lists.models import Pending\nresult = sorted(Pending.objects.values_list('address', flat=True))"
    assert query(env, asked) == ["ann@example.net", "bob@example.net"]


GAPS = """
from listhaven.archive.numbered_import import import_page_gaps
from listhaven.lists.models import MailingList
print(import_page_gaps(MailingList.objects.get(name='crowd'), {pages!r}, {{'gone@example.org': {number}}}))
"""


def test_a_post_arriving_while_the_mbox_gaps_are_filled_keeps_its_number_and_the_copy_is_left_out(store, tmp_path):
    """`listhaven import-list --update` fills the numbers Pipermail's pages show and the mbox lacks from
    Pipermail's text archives (archive/numbered_import.py, import_page_gaps) while the list is live: a post
    stored at such a number, not yet committed, when the filling reads the list's numbers."""
    env, database_url = store
    number = query(env, "from listhaven.lists.models import MailingList\n"
                        "result = MailingList.objects.get(name='crowd').next_archive_number")  # fmt: skip
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "2026-December.txt").write_text(
        "From ann at example.org  Tue Dec  1 10:00:00 2026\nFrom: ann at example.org (Ann)\n"
        "Date: Tue, 01 Dec 2026 10:00:00 +0000\nSubject: [Crowd] Gone\nMessage-ID: <gone@example.org>\n\nGone.\n\n")
    holder = Holder(receive_snippet(post_bytes("member0@example.org", "live@example.org", "Live"), "member0@example.org"), env)
    done = run_beside(holder, [sys.executable, "-c", "from listhaven.cli import setup_django\nsetup_django(None)\n"
                               + GAPS.format(pages=str(pages), number=number)], env, database_url)  # fmt: skip
    assert done.returncode == 0, done.stderr
    # Before: the numbers were read before the filling's transaction: the copy was stored at the next free
    # number instead (no Pipermail link names it) and the post's number reported as filled.
    assert done.stdout.decode().split() == ["[]"]
    numbers = "from listhaven.archive.models import Message\nresult = sorted(Message.objects.values_list('message_id', 'archive_number'))"
    assert query(env, numbers) == [["live@example.org", number]]
