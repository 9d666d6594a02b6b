"""Bounce and complaint parsing on the shapes real servers send (tests/support/bounce_shapes.py)."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from listhaven.mail.bounces import BounceFormat, is_complaint, parse_bounce, parse_complaint
from tests.support import bounce_shapes as shapes

MEMBER = "Bob.Smith+lists@Example.COM"
FOUND = "Bob.Smith+lists@example.com"  # the domain comes back lowercased

PERMANENT = [
    ("postfix", shapes.postfix, BounceFormat.DSN, "5.1.1", "User unknown in local recipient table"),
    ("exim", shapes.exim, BounceFormat.NON_STANDARD, "5.1.1", "User unknown"),
    ("qmail", shapes.qmail, BounceFormat.NON_STANDARD, "5.1.1", "Mailbox unavailable"),
    ("office365", shapes.office365, BounceFormat.DSN, "5.1.10", "RESOLVER.ADR.RecipientNotFound"),
    ("exchange 2003", shapes.exchange_legacy, BounceFormat.NON_STANDARD, "5.1.1", "does not exist"),
    ("gmail", shapes.gmail, BounceFormat.DSN, "5.1.1", "does not exist"),
    ("yahoo-like", shapes.yahoo_like, BounceFormat.NON_STANDARD, "", "doesn't have a yahoo.example.com account"),
]


@pytest.mark.parametrize(
    ("build", "expected_format", "status", "words"),
    [case[1:] for case in PERMANENT],
    ids=[case[0] for case in PERMANENT],
)
def test_permanent_failures(build, expected_format, status, words):
    report = parse_bounce(build(MEMBER))
    assert report.format is expected_format
    assert [(f.address, f.permanent, f.status) for f in report.failures] == [(FOUND, True, status)]
    assert words in report.failures[0].diagnostic
    assert report.permanent == report.failures and report.temporary == ()


TEMPORARY = [
    ("postfix delayed", lambda r: shapes.postfix(r, delayed=True), BounceFormat.DSN, "4.4.1", "Connection timed out"),
    ("gmail delayed", lambda r: shapes.gmail(r, delayed=True), BounceFormat.DSN, "4.4.1", "did not accept"),
    ("exim warning", shapes.exim_delay_warning, BounceFormat.NON_STANDARD, "4.7.1", "Greylisted"),
]


@pytest.mark.parametrize(
    ("build", "expected_format", "status", "words"),
    [case[1:] for case in TEMPORARY],
    ids=[case[0] for case in TEMPORARY],
)
def test_temporary_failures(build, expected_format, status, words):
    report = parse_bounce(build(MEMBER))
    assert report.format is expected_format
    assert [(f.address, f.permanent, f.status) for f in report.failures] == [(FOUND, False, status)]
    assert words in report.failures[0].diagnostic
    assert report.temporary == report.failures and report.permanent == ()


def test_each_recipient_of_one_dsn_is_classified_on_its_own():
    report = parse_bounce(shapes.postfix_two_recipients("a@example.com", "b@example.com", "c@example.com"))
    assert report.format is BounceFormat.DSN
    assert [(f.address, f.permanent, f.status) for f in report.failures] == [
        ("a@example.com", True, "5.2.2"),
        ("b@example.com", False, "4.7.1"),
    ]  # c@example.com was delivered: not a failure


def test_a_vacation_reply_is_not_a_bounce():
    report = parse_bounce(shapes.vacation_reply(MEMBER))
    assert report.format is BounceFormat.NONE and report.failures == ()


def _dsn(block: str, encode: bool = False) -> bytes:
    status = "Reporting-MTA: dns; mx.example.org\n\n" + block
    if encode:
        part = "Content-Type: message/delivery-status\nContent-Transfer-Encoding: base64\n\n"
        part += base64.encodebytes(status.encode()).decode()
    else:
        part = "Content-Type: message/delivery-status\n\n" + status
    return (
        "From: MAILER-DAEMON@mx.example.org\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n'
        f"--b\nContent-Type: text/plain\n\nNot delivered.\n--b\n{part}\n--b--\n"
    ).encode()


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        # OpenSMTPD says "error" for failed.
        ("Final-Recipient: rfc822; x@example.com\nAction: error\nStatus: 5.0.0\n", ("x@example.com", True, "5.0.0")),
        # A failure after the retries ran out is final, whatever its class.
        ("Final-Recipient: rfc822; x@example.com\nAction: failed\nStatus: 4.4.7\n", ("x@example.com", True, "4.4.7")),
        # No Action: the status class decides.
        ("Final-Recipient: rfc822; x@example.com\nStatus: 4.2.2\n", ("x@example.com", False, "4.2.2")),
        # The address we sent to wins over the one it was forwarded to.
        (
            "Original-Recipient: rfc822; x@example.com\nFinal-Recipient: rfc822; x@forward.example\n"
            "Action: failed (bad mailbox)\nStatus: 5.1.1 (user unknown)\n",
            ("x@example.com", True, "5.1.1"),
        ),
        # RFC 6533: a UTF-8 address with its escapes.
        (
            "Final-Recipient: utf-8; j\\x{FC}rgen@example.com\nAction: failed\nStatus: 5.1.1\n",
            ("jürgen@example.com", True, "5.1.1"),
        ),
        ("Final-Recipient: rfc822; <x@example.com>\nAction: failed\nStatus: 5.1.1\n", ("x@example.com", True, "5.1.1")),
    ],
)
def test_dsn_blocks(block, expected):
    report = parse_bounce(_dsn(block))
    assert [(f.address, f.permanent, f.status) for f in report.failures] == [expected]


def test_an_encoded_delivery_status_part_is_read():
    block = "Final-Recipient: rfc822; x@example.com\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 no\n"
    report = parse_bounce(_dsn(block, encode=True))
    assert [(f.address, f.permanent, f.status, f.diagnostic) for f in report.failures] == [
        ("x@example.com", True, "5.1.1", "550 no")
    ]


def test_a_success_dsn_is_a_dsn_without_failures():
    block = "Final-Recipient: rfc822; x@example.com\nAction: delivered\nStatus: 2.0.0\n"
    report = parse_bounce(_dsn(block))
    assert report.format is BounceFormat.DSN and report.failures == ()


def test_the_same_address_twice_is_one_failure_permanent_if_either_is():
    block = (
        "Final-Recipient: rfc822; x@example.com\nAction: delayed\nStatus: 4.0.0\n\n"
        "Final-Recipient: rfc822; X@EXAMPLE.COM\nAction: failed\nStatus: 5.0.0\n"
    )
    report = parse_bounce(_dsn(block))
    assert [(f.address, f.permanent) for f in report.failures] == [("X@example.com", True)]


def test_complaint_names_the_member_from_the_verp_return_path():
    complaint = parse_complaint(shapes.arf(MEMBER), "marxism-bounces")
    assert complaint is not None and complaint.is_abuse
    assert complaint.recipient == FOUND
    assert complaint.list_id == "marxism.lists.example.org"
    assert complaint.message_id == "notes-1@example.org"
    assert is_complaint(shapes.arf(MEMBER))


def test_redacted_complaint_still_names_the_member_through_verp():
    raw = shapes.arf(MEMBER, original_rcpt_to=False, x_original_to=False)
    complaint = parse_complaint(raw)  # any "...-bounces" local part is read when no list is given
    assert complaint is not None and complaint.recipient == FOUND
    # A VERP address of another list is not taken as this list's member.
    other = parse_complaint(raw, "other-bounces")
    assert other is not None and FOUND not in other.candidates


def test_complaint_without_verp_falls_back_to_the_reported_recipient():
    complaint = parse_complaint(shapes.arf(MEMBER, with_verp=False, x_original_to=False), "marxism-bounces")
    assert complaint is not None and complaint.recipient == FOUND  # from Original-Rcpt-To
    complaint = parse_complaint(shapes.arf(MEMBER, with_verp=False, original_rcpt_to=False), "marxism-bounces")
    assert complaint is not None and complaint.recipient == FOUND  # from X-Original-To


def test_complaint_with_nothing_but_the_list_address_offers_only_that():
    raw = shapes.arf(MEMBER, with_verp=False, original_rcpt_to=False, x_original_to=False)
    complaint = parse_complaint(raw, "marxism-bounces")
    assert complaint is not None and complaint.candidates == ("marxism@lists.example.org",)


def test_not_spam_feedback_is_not_a_complaint():
    raw = shapes.arf(MEMBER, feedback_type="not-spam")
    complaint = parse_complaint(raw)
    assert complaint is not None and complaint.feedback_type == "not-spam" and not complaint.is_abuse
    assert not is_complaint(raw)


@pytest.mark.parametrize("build", [shapes.postfix, shapes.gmail, shapes.exim, shapes.vacation_reply])
def test_bounces_are_not_complaints(build):
    assert parse_complaint(build(MEMBER)) is None
    assert not is_complaint(build(MEMBER))


def test_a_complaint_is_not_a_bounce():
    assert parse_bounce(shapes.arf(MEMBER)).failures == ()


ALL_SHAPES = [
    shapes.postfix(MEMBER),
    shapes.gmail(MEMBER),
    shapes.office365(MEMBER),
    shapes.exim(MEMBER),
    shapes.qmail(MEMBER),
    shapes.arf(MEMBER),
]


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_mutilated_shapes_never_raise(data):
    raw = data.draw(st.sampled_from(ALL_SHAPES))
    start = data.draw(st.integers(0, len(raw)))
    end = data.draw(st.integers(start, min(len(raw), start + 200)))
    junk = data.draw(st.binary(max_size=40))
    mutated = raw[:start] + junk + raw[end:]
    report = parse_bounce(mutated)
    assert all("@" in failure.address for failure in report.failures)
    parse_complaint(mutated)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_never_raise(raw):
    parse_bounce(raw)
    parse_complaint(raw)


@pytest.mark.parametrize("charset", ["scii", "utf-8\x00", "unicode_escape"])
def test_a_notice_in_a_charset_no_codec_reads_is_read_as_utf8(charset):
    # Found by test_mutilated_shapes_never_raise: a text part naming a charset Python has no codec for
    # (or one with a NUL) raised LookupError/ValueError out of parse_bounce. It is now read as UTF-8:
    # the same report as the notice that says utf-8.
    def notice(named: str) -> bytes:
        return (
            "From: MAILER-DAEMON@mx.example.com\nTo: list-bounces@lists.example.org\nSubject: failure notice\n"
            f'MIME-Version: 1.0\nContent-Type: text/plain; charset="{named}"\n\n'
            "<ann@example.com>: 550 5.1.1 user unknown\n"
        ).encode("utf-8", "surrogateescape")

    assert parse_bounce(notice(charset)) == parse_bounce(notice("utf-8"))
