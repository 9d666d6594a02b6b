"""Decoration never fails on what arrives: the hostile message set and arbitrary bytes still decorate into a
message the stdlib parses, with the list's fields and markers whole."""

from __future__ import annotations

from email import message_from_bytes
from email import policy as email_policy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from listhaven.mail.decorate import Mitigation, decorate
from listhaven.mail.identity import ListIdentity
from listhaven.mail.personalise import MemberValues, personalise
from listhaven.mail.rawedit import split_raw
from tests.support.hostile import hostile_messages

IDENTITY = ListIdentity(
    address="hostile@lists.example.org", display_name="Hostile", subject_tag="[Hostile]",
    listinfo_url="https://lists.example.org/listinfo/hostile", footer="Leave: {unsubscribe_url}\n",
)
MEMBER = MemberValues("https://lists.example.org/u/T", "https://lists.example.org/o/T", "bob@example.net")


def check(raw: bytes, mitigation: Mitigation = Mitigation.NONE) -> None:
    copy = personalise(decorate(raw, IDENTITY, mitigation=mitigation), MEMBER)
    assert b"[[lh-" not in copy
    head = split_raw(copy)
    assert [f.text() for f in head.get_all("List-Id")] == ["Hostile <hostile.lists.example.org>"]
    unsubscribe = head.get("List-Unsubscribe")
    assert unsubscribe is not None and unsubscribe.text().startswith("<https://lists.example.org/u/T>,")
    message = message_from_bytes(copy, policy=email_policy.default)
    assert message["List-Id"] is not None
    assert b"Leave: https://lists.example.org/u/T\r\n" in copy


@pytest.mark.parametrize(("name", "raw"), hostile_messages(), ids=[n for n, _ in hostile_messages()])
def test_hostile_messages_decorate(name: str, raw: bytes) -> None:
    for mitigation in Mitigation:
        check(raw, mitigation)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_decorate(raw: bytes) -> None:
    check(raw)


@settings(max_examples=100, deadline=None)
@given(
    head=st.lists(st.sampled_from([
        b"Content-Type: multipart/mixed; boundary=\xc3\xa9", b"Content-Type: multipart/mixed; boundary=\"b\"",
        b"Content-Type: text/plain; charset=utf-7", b"Content-Type: text/plain; charset=x-unknown",
        b"Content-Transfer-Encoding: base64", b"Subject: =?utf-8?b?////?=", b"Subject: \xff\xfe",
        b"From: ", b"From: a@b, c@d", b"Content-Disposition: attachment", b"DKIM-Signature: h=from:subject",
        b"Reply-To: <>", b"MIME-Version: 1.0",
    ]), max_size=6),
    body=st.sampled_from([b"", b"x", b"--b\r\n\r\nx\r\n--b--\r\n", b"--b\r\nx", b"\xff\xfe\r\n"]),
)
def test_mixed_up_mime_fields_decorate(head: list[bytes], body: bytes) -> None:
    check(b"\r\n".join(head) + b"\r\n\r\n" + body)
    check(b"\r\n".join(head) + b"\r\n\r\n" + body, Mitigation.MUNGE_FROM)
