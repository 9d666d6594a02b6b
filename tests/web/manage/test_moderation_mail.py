"""A held post decided by replying to its notice (through the -confirm address and the command
mail processor), and withdrawn by its poster from the link in "your post is held"."""

from __future__ import annotations

import email
import email.policy
import re

from listhaven.archive.compression import decompress
from listhaven.lists.models import HeldMessage, Outgoing, PostRecord


def _notices(mlist, recipient):
    rows = Outgoing.objects.filter(mailing_list=mlist, kind="notice").order_by("id")
    return [email.message_from_bytes(decompress(r.template), policy=email.policy.default)
            for r in rows if recipient in r.recipients]  # fmt: skip


def _reply(notice, sender: str, subject_extra: str = "", body: str = "", headers: str = "") -> tuple[str, bytes]:
    reply_to = notice["Reply-To"]
    raw = (f"From: {sender}\nTo: {reply_to}\nSubject: Re: {notice['Subject']}{subject_extra}\n{headers}"
           f"Message-ID: <reply-{abs(hash(body + subject_extra))}@example.org>\n\n{body}").encode()  # fmt: skip
    return reply_to, raw


def _deliver(recipient: str, raw: bytes, sender: str) -> None:
    from listhaven.lists.command_mail import process_waiting
    from listhaven.lists.incoming import store_incoming
    from listhaven.lists.routing import resolve

    store_incoming(resolve(recipient), raw, sender)
    assert process_waiting() == 1


def test_a_reply_with_the_password_approves(lists_with_roles):
    from listhaven.lists.moderation import set_moderator_password

    garden = lists_with_roles["garden"]
    set_moderator_password(garden, "sesame seeds")
    held_id = lists_with_roles["held"]["garden"]
    [notice] = _notices(garden, "moderator@example.org")
    assert "confirm " in notice["Subject"] and notice["Reply-To"].startswith("garden-confirm+")
    to, raw = _reply(notice, "moderator@example.org", body="sesame seeds\n\n> the quoted notice\n")
    _deliver(to, raw, "moderator@example.org")
    assert not HeldMessage.objects.filter(pk=held_id).exists()
    assert Outgoing.objects.filter(mailing_list=garden, kind="post").count() == 1
    assert PostRecord.objects.filter(mailing_list=garden, verdict="accept", origin="moderator").exists()


def test_the_held_notice_says_how_to_approve_by_mail_only_when_a_password_allows_it(lists_with_roles):
    from listhaven.lists.moderation import set_moderator_password
    from listhaven.lists.notices import held_notice

    garden = lists_with_roles["garden"]
    held = HeldMessage.objects.get(pk=lists_with_roles["held"]["garden"])
    without = email.message_from_bytes(held_notice(garden, held, b"Subject: x\n\nx\n"), policy=email.policy.default)
    text = without.get_body(("plain",)).get_content()
    assert "approve: not by mail, since the list has no moderator password" in text
    assert "put the moderator password" not in text
    set_moderator_password(garden, "sesame seeds")
    with_password = email.message_from_bytes(held_notice(garden, held, b"Subject: x\n\nx\n"),
                                             policy=email.policy.default)  # fmt: skip
    assert "approve: put the moderator password on the first line" in with_password.get_body(("plain",)).get_content()


def test_a_reply_with_a_wrong_password_decides_nothing(lists_with_roles):
    from listhaven.lists.moderation import set_moderator_password

    garden = lists_with_roles["garden"]
    set_moderator_password(garden, "sesame seeds")
    [notice] = _notices(garden, "moderator@example.org")
    to, raw = _reply(notice, "moderator@example.org", headers="Approved: guess\n", body="ok\n")
    _deliver(to, raw, "moderator@example.org")
    assert HeldMessage.objects.filter(pk=lists_with_roles["held"]["garden"]).exists()
    assert not Outgoing.objects.filter(mailing_list=garden, kind="post").exists()


def test_a_reply_saying_discard_discards(lists_with_roles):
    garden = lists_with_roles["garden"]
    [notice] = _notices(garden, "owner@example.org")
    to, raw = _reply(notice, "owner@example.org", subject_extra=" discard")
    _deliver(to, raw, "owner@example.org")
    assert not HeldMessage.objects.filter(pk=lists_with_roles["held"]["garden"]).exists()
    assert PostRecord.objects.filter(mailing_list=garden, verdict="discard").exists()
    assert not Outgoing.objects.filter(mailing_list=garden, kind="post").exists()


def test_a_token_of_one_list_decides_nothing_on_another(lists_with_roles):
    garden, secret = lists_with_roles["garden"], lists_with_roles["secret"]
    [notice] = _notices(garden, "owner@example.org")
    token = re.search(r"confirm (\w+)", notice["Subject"]).group(1)
    raw = (f"From: owner@example.org\nTo: secret-confirm+{token}@lists.example.org\n"
           f"Subject: Re: confirm {token} discard\nMessage-ID: <x@example.org>\n\nx\n").encode()  # fmt: skip
    _deliver(f"secret-confirm+{token}@lists.example.org", raw, "owner@example.org")
    assert HeldMessage.objects.filter(mailing_list__in=[garden, secret]).count() == 2


def test_the_poster_withdraws_from_the_link(client, lists_with_roles):
    garden = lists_with_roles["garden"]
    held_id = lists_with_roles["held"]["garden"]
    [notice] = _notices(garden, "outsider@example.net")
    path = re.search(r"https?://[^/\s]+(/garden/held/withdraw/\w+)", notice.get_content()).group(1)
    assert client.get(path).status_code == 200 and HeldMessage.objects.filter(pk=held_id).exists()
    assert "withdrawn" in client.post(path).content.decode()
    assert not HeldMessage.objects.filter(pk=held_id).exists()
    assert PostRecord.objects.filter(mailing_list=garden, reason="withdrawn by the poster").exists()
    assert client.post(path).status_code == 404
    forged = path[:-4] + ("0000" if not path.endswith("0000") else "1111")
    assert client.get(forged).status_code == 404


def test_a_reply_approving_a_post_content_filtering_empties_is_told_it_was_discarded(lists_with_roles):
    from listhaven.archive.models import Quarantine
    from listhaven.lists.moderation import set_moderator_password

    garden = lists_with_roles["garden"]
    garden.filter_content, garden.filter_types = True, ["text"]
    garden.save()
    set_moderator_password(garden, "sesame seeds")
    [notice] = _notices(garden, "moderator@example.org")
    to, raw = _reply(notice, "moderator@example.org", body="sesame seeds\n")
    _deliver(to, raw, "moderator@example.org")
    assert not Outgoing.objects.filter(mailing_list=garden, kind="post").exists()
    assert Quarantine.objects.filter(mailing_list=garden).count() == 1
    answers = [n.get_body(("plain",)).get_content() for n in _notices(garden, "moderator@example.org")[1:]]
    assert any("approved, not sent: kept in the quarantine" in text for text in answers), answers
