"""Joining and leaving by mail through the LMTP server (a real socket, a real store): -join, -leave,
-request commands, confirming by -confirm+TOKEN and by a reply to -request with "confirm TOKEN" in
the subject; automated mail never answered; an unknown command gets help; each message acted on once."""

from __future__ import annotations

import email
import email.policy
import re
import smtplib

import pytest

from listhaven.archive.compression import decompress
from listhaven.delivery.lmtp import serving_in_thread
from listhaven.lists.command_mail import process_waiting
from listhaven.lists.directory import create_list
from listhaven.lists.incoming import store_incoming
from listhaven.lists.members import add_member, find_member
from listhaven.lists.models import IncomingMail, Outgoing, RequestDecision
from listhaven.lists.routing import resolve

LIST = "garden@lists.example.org"
ANN = "ann@example.org"


@pytest.fixture
def mlist(transactional_db):
    return create_list(LIST)


@pytest.fixture
def client(mlist):
    with serving_in_thread() as address:
        lmtp = smtplib.LMTP(*address, timeout=10)
        lmtp.ehlo("mta.example.org")
        yield lmtp
        lmtp.close()


def mail(to: str, subject: str = "", body: str = "", sender: str = ANN, extra: str = "") -> bytes:
    return (f"From: Ann <{sender}>\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{abs(hash(body + subject))}@x>\r\n"
            f"{extra}Content-Type: text/plain; charset=utf-8\r\n\r\n{body}").encode()  # fmt: skip


def send(client: smtplib.LMTP, to: str, raw: bytes, sender: str = ANN) -> tuple[int, bytes]:
    assert client.mail(sender)[0] == 250
    assert client.rcpt(to)[0] == 250
    return client.data(raw)


def answers() -> list[tuple[list[str], email.message.EmailMessage]]:
    return [(row.recipients, email.message_from_bytes(decompress(bytes(row.template)), policy=email.policy.default))
            for row in Outgoing.objects.order_by("id")]  # fmt: skip


def body_of(message: email.message.EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def token_in(message: email.message.EmailMessage) -> str:
    return re.fullmatch(r"confirm ([0-9a-f]+)", message["Subject"]).group(1)


def test_join_then_confirm_by_the_confirm_address(client, mlist):
    code, _ = send(client, "garden-join@lists.example.org", mail("garden-join@lists.example.org", "hi"))
    assert code == 250
    confirmation = next(m for r, m in answers() if m["Subject"].startswith("confirm "))
    token = token_in(confirmation)
    assert find_member(mlist, ANN) is None
    reply_to = confirmation["Reply-To"]
    assert reply_to == f"garden-confirm+{token}@lists.example.org"
    send(client, reply_to, mail(reply_to, f"Re: confirm {token}", "> quoted confirmation\r\n"))
    assert find_member(mlist, ANN) is not None
    assert answers()[-1][1]["Subject"] == f"Re: confirm {token}"  # the answer's Re: once, not "Re: Re:"
    assert any("Welcome" in m["Subject"] for _, m in answers())
    # the same confirmation again (an MTA retry, a second reply): nothing more happens
    before = Outgoing.objects.filter(kind="notice").count()
    send(client, reply_to, mail(reply_to, f"Re: confirm {token}", "again"))
    assert "not valid" in body_of(answers()[-1][1])
    assert Outgoing.objects.filter(kind="notice").count() == before + 1


def test_mailmans_subscribe_address_joins_as_join_does(client, mlist):
    # a site moved from Mailman keeps LIST-subscribe@ in its Postfix tables and its members' address books
    code, _ = send(client, "garden-subscribe@lists.example.org", mail("garden-subscribe@lists.example.org", "hi"))
    assert code == 250
    token = token_in(next(m for r, m in answers() if m["Subject"].startswith("confirm ")))
    reply_to = f"garden-confirm+{token}@lists.example.org"
    send(client, reply_to, mail(reply_to, f"Re: confirm {token}"))
    assert find_member(mlist, ANN) is not None


def test_request_commands_with_a_reply_to_confirm_in_the_subject(client, mlist):
    to = "garden-request@lists.example.org"
    send(client, to, mail(to, "", "subscribe digest=plain\r\nThanks, Ann\r\n-- \r\nAnn\r\n"))
    results, confirmation = answers()[-2], answers()[-1]
    token = token_in(confirmation[1] if confirmation[1]["Subject"].startswith("confirm") else results[1])
    send(client, to, mail(to, f"Re: [Garden] confirm {token}", "On Monday the list wrote:\r\n> confirm\r\n"))
    member = find_member(mlist, ANN)
    assert member is not None and member.delivery_mode == "plain_digest"


def test_unknown_commands_get_help_never_silence(client, mlist):
    to = "garden-request@lists.example.org"
    send(client, to, mail(to, "Question", "Hello, how do I get the posts?\r\n"))
    [(recipients, answer)] = answers()
    assert recipients == [ANN]
    text = body_of(answer)
    assert "not a command" in text and "subscribe [address=ADDRESS]" in text


def test_at_most_max_commands_are_read(client, mlist):
    mlist.max_commands = 2
    mlist.save()
    to = "garden-request@lists.example.org"
    send(client, to, mail(to, "", "help\r\nhelp\r\nhelp\r\nhelp\r\n"))
    assert "only the first 2 lines were read" in body_of(answers()[-1][1])


def test_automated_mail_is_never_answered(client, mlist):
    to = "garden-request@lists.example.org"
    send(client, to, mail(to, "Out of office", "subscribe\r\n", extra="Auto-Submitted: auto-replied\r\n"))
    send(client, to, mail(to, "subscribe", "", sender="MAILER-DAEMON@example.org"))
    assert not Outgoing.objects.exists()
    assert all(row.processed and row.note.startswith("not answered") for row in IncomingMail.objects.all())


def test_leave_by_mail_confirms_then_removes(client, mlist):
    add_member(mlist, ANN)
    send(client, "garden-leave@lists.example.org", mail("garden-leave@lists.example.org", "bye"))
    token = token_in(next(m for _, m in answers() if m["Subject"].startswith("confirm ")))
    assert find_member(mlist, ANN) is not None
    to = f"garden-confirm+{token}@lists.example.org"
    send(client, to, mail(to, f"Re: confirm {token}"))
    assert find_member(mlist, ANN) is None


def test_who_only_where_the_list_allows(client, mlist):
    add_member(mlist, "bob@example.net")
    to = "garden-request@lists.example.org"
    send(client, to, mail(to, "who"))
    assert "does not show its members" in body_of(answers()[-1][1])
    mlist.roster_visibility = "public"
    mlist.save()
    send(client, to, mail(to, "who", "end"))
    assert "bob@example.net" in body_of(answers()[-1][1])


def test_stored_but_unprocessed_mail_is_processed_once_later(mlist):
    raw = mail("garden-join@lists.example.org", "join")
    row = store_incoming(resolve("garden-join@lists.example.org"), raw, ANN)  # as if the process died here
    assert process_waiting() == 1
    assert process_waiting() == 0
    row.refresh_from_db()
    assert row.processed and row.note.startswith("answered")
    assert sum(m["Subject"].startswith("confirm ") for _, m in answers()) == 1


def test_an_owner_approves_or_refuses_a_request_by_replying(client, mlist):
    add_member(mlist, "owner@example.com", role="owner")
    mlist.subscribe_policy = "moderate"
    mlist.save(update_fields=["subscribe_policy"])
    for joiner in ("bob@example.net", "eve@example.net", "mallory@example.net"):
        send(client, "garden-join@lists.example.org", mail("garden-join@lists.example.org", "join", sender=joiner), sender=joiner)
    asks = [m for r, m in answers() if r == ["owner@example.com"] and m["Subject"].startswith("confirm ")]
    token_of = {re.search(r"(\S+@example\.net) asks", body_of(m)).group(1): token_in(m) for m in asks}
    assert set(token_of) == {"bob@example.net", "eve@example.net", "mallory@example.net"}
    owner = "owner@example.com"
    for joiner, subject in (("bob@example.net", "Re: confirm {t}"), ("eve@example.net", "Re: confirm {t} reject"),
                            ("mallory@example.net", "Re: confirm {t} discard")):  # fmt: skip
        to = f"garden-confirm+{token_of[joiner]}@lists.example.org"
        send(client, to, mail(to, subject.format(t=token_of[joiner]), "> asks to join\r\n", sender=owner), sender=owner)
    assert find_member(mlist, "bob@example.net") is not None
    assert find_member(mlist, "eve@example.net") is None and find_member(mlist, "mallory@example.net") is None
    refused = [m for r, m in answers() if r == ["eve@example.net"] and "refused" in m["Subject"]]
    assert len(refused) == 1
    assert not [m for r, m in answers() if r == ["mallory@example.net"] and "refused" in m["Subject"]]
    decisions = RequestDecision.objects.filter(mailing_list=mlist).order_by("id")
    assert [(d.address, d.decision, d.outcome) for d in decisions] == [
        ("bob@example.net", "approve", "subscribed"), ("eve@example.net", "refuse", "refused by an owner"),
        ("mallory@example.net", "discard", "discarded by an owner")]  # fmt: skip
    assert {d.decided_by for d in decisions} == {"a reply to the approval notice"}


def test_mail_cannot_make_the_list_mail_bomb_a_stranger(client, mlist, settings):
    """A forged From: and `subscribe address=` lines: the stranger gets at most SUBSCRIBE_RATE_ADDRESS
    confirmations (the count the web form uses too), and the forged sender at most AUTORESPONSE_RATE answers."""
    settings.AUTORESPONSE_RATE = "2/d"
    victim, to = "victim@example.net", "garden-request@lists.example.org"
    lines = f"subscribe address={victim}\r\n" * 5
    for n in range(3):
        code, reply = send(client, to, mail(to, f"hi {n}", lines))
        assert code == 250
    confirmations = [m for r, m in answers() if r == [victim]]
    assert len(confirmations) == 3 and all(m["Subject"].startswith("confirm ") for m in confirmations)
    assert len([m for r, m in answers() if r == [ANN]]) == 2
    assert b"not answered" in reply
    send(client, "garden-join@lists.example.org", mail("garden-join@lists.example.org", "join", sender=victim),
         sender=victim)  # fmt: skip
    assert len([m for r, m in answers() if r == [victim] and m["Subject"].startswith("confirm ")]) == 3
    assert len([m for r, m in answers() if r == ["bob@example.net"]]) == 0
    send(client, to, mail(to, "subscribe", sender="bob@example.net"), sender="bob@example.net")
    assert {m["Subject"].split()[0] for r, m in answers() if r == ["bob@example.net"]} == {"confirm", "Re:"}


def test_a_new_address_confirms_a_change_of_address_by_replying(client, mlist):
    from listhaven.lists.subscriptions import request_address_change

    member = add_member(mlist, ANN)
    request_address_change(mlist, member, "ann@new.example.org")
    confirmation = answers()[-1][1]
    token, reply_to = token_in(confirmation), confirmation["Reply-To"]
    send(client, reply_to, mail(reply_to, f"Re: confirm {token}", sender="ann@new.example.org"), sender="ann@new.example.org")
    assert find_member(mlist, ANN) is None and find_member(mlist, "ann@new.example.org") is not None
    assert "ann@new.example.org now receives the posts on Garden" in body_of(answers()[-1][1])
