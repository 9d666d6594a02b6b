"""Mail commands to LIST-request@, confirmation tokens, and mail that must never be answered."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from listhaven.mail.commands import (
    Command,
    CommandName,
    DigestChoice,
    Rejected,
    automated_reason,
    confirm_token_from_address,
    confirm_token_from_subject,
    is_automated,
    parse_command_line,
    parse_command_text,
    parse_commands,
)
from tests.mail.conftest import make_message, multipart
from tests.support import bounce_shapes

TOKEN = "3f9a0c1d2e4b5a6978c0d1e2f3a4b5c6d7e8f901"


def _request(subject: str = "", body: str = "", headers: dict | None = None) -> bytes:
    fields = {"To": "marxism-request@lists.example.org", "Subject": subject, **(headers or {})}
    return make_message(fields, body)


def _names(report):
    return [(c.name, c.address, c.digest, c.token) for c in report.commands]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("subscribe", (CommandName.SUBSCRIBE, None, None, None)),
        ("JOIN", (CommandName.SUBSCRIBE, None, None, None)),
        (
            "subscribe address=bob@example.com digest=MIME",
            (CommandName.SUBSCRIBE, "bob@example.com", DigestChoice.MIME, None),
        ),
        ("subscribe digest=plain", (CommandName.SUBSCRIBE, None, DigestChoice.PLAIN, None)),
        ("subscribe digest=no", (CommandName.SUBSCRIBE, None, DigestChoice.NO, None)),
        ("subscribe <bob@example.com> nodigest", (CommandName.SUBSCRIBE, "bob@example.com", DigestChoice.NO, None)),
        ("subscribe digest", (CommandName.SUBSCRIBE, None, DigestChoice.MIME, None)),
        ("unsubscribe", (CommandName.UNSUBSCRIBE, None, None, None)),
        ("leave address=<Bob@Example.com>", (CommandName.UNSUBSCRIBE, "Bob@Example.com", None, None)),
        ("unsubscribe mailto:bob@example.com", (CommandName.UNSUBSCRIBE, "bob@example.com", None, None)),
        ("who", (CommandName.WHO, None, None, None)),
        ("Help", (CommandName.HELP, None, None, None)),
        ("help subscribe please", (CommandName.HELP, None, None, None)),
        (f"confirm {TOKEN}", (CommandName.CONFIRM, None, None, TOKEN)),
    ],
)
def test_command_lines(line, expected):
    command = parse_command_line(line)
    assert isinstance(command, Command)
    assert (command.name, command.address, command.digest, command.token) == expected
    assert command.line == line


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("subscribe digest=weekly", "digest must be mime, plain or no"),
        ("subscribe address=nobody", "not an address"),
        ("subscribe me please", "unknown argument 'me'"),
        ("subscribe colour=blue", "unknown argument"),
        ("subscribe digest=mime digest=plain", "digest given twice"),
        ("unsubscribe digest=mime", "unsubscribe takes no digest"),
        ("who secret", "who takes no arguments"),
        ("confirm", "confirm needs the token"),
        ("confirm abc", "confirm needs the token"),
        (f"confirm {TOKEN} extra", "confirm needs the token"),
        ("subscrib", "not a command"),
    ],
)
def test_rejected_lines_say_why(line, reason):
    result = parse_command_line(line)
    assert isinstance(result, Rejected)
    assert reason in result.reason and result.line == line


def test_commands_from_subject_and_body():
    report = parse_commands(_request("subscribe digest=mime", "who\nhelp\n"))
    assert [c.name for c in report.commands] == [CommandName.SUBSCRIBE, CommandName.WHO, CommandName.HELP]
    assert report.rejected == () and not report.needs_help


def test_reply_prefixes_and_list_tags_on_the_subject():
    report = parse_commands(_request(f"Re: AW: [Marxism] confirm {TOKEN}", ""))
    assert _names(report) == [(CommandName.CONFIRM, None, None, TOKEN)]


def test_prose_subject_is_ignored_and_prose_body_is_reported():
    report = parse_commands(_request("Hello there", "Please take me off this list.\nThanks\n"))
    assert report.commands == ()
    assert [r.line for r in report.rejected] == ["Please take me off this list.", "Thanks"]
    assert report.needs_help


def test_an_empty_request_needs_help():
    report = parse_commands(_request("", ""))
    assert report.commands == () and report.rejected == () and report.needs_help


def test_quoted_lines_are_skipped_and_signature_ends_reading():
    body = "> subscribe\n> who\nunsubscribe\n\n-- \nBob\nsubscribe\n"
    report = parse_commands(_request("", body))
    assert [c.name for c in report.commands] == [CommandName.UNSUBSCRIBE]
    assert report.stopped_at == "--"


def test_reading_stops_quietly_at_the_first_non_command_after_commands():
    body = "subscribe digest=plain\nThanks for running this list!\nwho\n"
    report = parse_commands(_request("", body))
    assert [c.name for c in report.commands] == [CommandName.SUBSCRIBE]
    assert report.rejected == () and report.stopped_at == "Thanks for running this list!"


def test_lines_before_the_first_command_are_reported_then_commands_read():
    report = parse_commands(_request("", "Hi,\n\nsubscribe\nwho\nBob\n"))
    assert [c.name for c in report.commands] == [CommandName.SUBSCRIBE, CommandName.WHO]
    assert [r.line for r in report.rejected] == ["Hi,"]
    assert report.needs_help  # the sender gets help beside the results


@pytest.mark.parametrize(
    "separator",
    ["On Tue, 5 Mar 2024 at 10:15, Marxism <marxism-request@lists.example.org> wrote:",
     "-----Original Message-----", "________________________________", "end", "STOP"],
)
def test_reply_separators_end_reading(separator):
    body = f"unsubscribe\n{separator}\nsubscribe\n"
    report = parse_commands(_request("", body))
    assert [c.name for c in report.commands] == [CommandName.UNSUBSCRIBE]


def test_at_most_max_commands_are_taken():
    body = "who\n" * 15
    report = parse_commands(_request("help", body), max_commands=10)
    assert len(report.commands) == 10 and report.truncated
    report = parse_commands(_request("", "who\n" * 3), max_commands=3)
    assert len(report.commands) == 3 and not report.truncated
    report = parse_commands(_request("", "blah\n" * 50), max_commands=4)
    assert report.commands == () and len(report.rejected) == 4 and report.truncated


def test_html_only_body_is_read_as_text():
    html = "<html><body><p>subscribe digest=mime</p><p>who</p><blockquote>unsubscribe</blockquote></body></html>"
    raw = _request("", html, {"Content-Type": "text/html; charset=utf-8", "MIME-Version": "1.0"})
    report = parse_commands(raw)
    assert [c.name for c in report.commands] == [CommandName.SUBSCRIBE, CommandName.WHO]


def test_plain_part_is_preferred_and_attachments_are_not_read():
    body = multipart(
        "alternative",
        "alt",
        [
            b"Content-Type: text/plain\n\nunsubscribe\n",
            b"Content-Type: text/html\n\n<p>subscribe</p>\n",
        ],
    )
    mixed = multipart(
        "mixed",
        "mix",
        [
            b"Content-Type: text/plain\nContent-Disposition: attachment; filename=a.txt\n\nwho\n",
            b'Content-Type: multipart/alternative; boundary="alt"\n\n' + body,
        ],
    )
    raw = _request("", mixed.decode(), {"Content-Type": 'multipart/mixed; boundary="mix"', "MIME-Version": "1.0"})
    report = parse_commands(raw)
    assert [c.name for c in report.commands] == [CommandName.UNSUBSCRIBE]


def test_encoded_subject():
    report = parse_commands(_request("=?utf-8?q?Re=3A_subscribe_digest=3Dplain?=", ""))
    assert _names(report) == [(CommandName.SUBSCRIBE, None, DigestChoice.PLAIN, None)]


def test_rejected_command_in_subject_is_reported():
    report = parse_commands(_request("unsubscribe me please", ""))
    assert report.commands == () and [r.line for r in report.rejected] == ["unsubscribe me please"]


@pytest.mark.parametrize(
    ("subject", "token"),
    [
        (f"confirm {TOKEN}", TOKEN),
        (f"Re: confirm {TOKEN}", TOKEN),
        (f"RE: [Marxism] confirm {TOKEN}", TOKEN),
        (f"=?utf-8?q?Re=3A_confirm_{TOKEN}?=", TOKEN),
        ("Re: confirm", None),
        ("confirm short", None),
        (f"please confirm {TOKEN}", None),
        ("", None),
    ],
)
def test_confirm_token_from_subject(subject, token):
    assert confirm_token_from_subject(subject) == token


@pytest.mark.parametrize(
    ("recipient", "token"),
    [
        (f"marxism-confirm+{TOKEN}@lists.example.org", TOKEN),
        (f"<Marxism-Confirm+{TOKEN}@lists.example.org>", TOKEN),
        ("marxism-confirm@lists.example.org", None),
        (f"marxism-request+{TOKEN}@lists.example.org", None),
        ("marxism-confirm+not a token@lists.example.org", None),
        ("marxism-confirm+x@lists.example.org", None),
    ],
)
def test_confirm_token_from_address(recipient, token):
    assert confirm_token_from_address(recipient, "marxism-confirm") == token


HUMAN = {"From": "Bob <bob@example.com>", "Return-Path": "<bob@example.com>"}


def test_a_person_is_answered():
    raw = _request("subscribe", "", HUMAN)
    assert automated_reason(raw, mail_from="bob@example.com", own_addresses={"marxism@lists.example.org"}) is None
    assert not is_automated(_request("subscribe", "", {**HUMAN, "Auto-Submitted": "no", "Precedence": "first-class"}))


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Auto-Submitted": "auto-generated; owner-email=x@example.com"},
        {"Precedence": "bulk"},
        {"Precedence": "Junk"},
        {"Precedence": "list"},
        {"X-Autoreply": "yes"},
        {"X-Autorespond": "vacation"},
        {"X-Auto-Response-Suppress": "OOF, AutoReply"},
        {"X-Auto-Response-Suppress": "All"},
        {"Return-Path": "<>"},
        {"From": "Mail Delivery System <MAILER-DAEMON@mx.example.org>"},
        {"List-Id": "Other list <other.example.net>"},
        {"X-BeenThere": "marxism@lists.example.org"},
        {"X-Loop": "bob@example.com"},
        {"Subject": "Automatic reply: subscribe"},
        {"Subject": "Out of Office: subscribe"},
        {"From": "Marxism <marxism@lists.example.org>"},
    ],
)
def test_automated_mail_is_never_answered(headers):
    raw = _request(headers.pop("Subject", "subscribe"), "subscribe\n", {**HUMAN, **headers})
    assert is_automated(raw, own_addresses={"marxism@lists.example.org"})


def test_empty_envelope_sender_is_a_bounce():
    raw = _request("subscribe", "", HUMAN)
    assert is_automated(raw, mail_from="")
    assert is_automated(raw, mail_from="<>")
    assert not is_automated(raw, mail_from="bob@example.com")


def test_an_exchange_header_that_suppresses_nothing_relevant_is_answered():
    assert not is_automated(_request("subscribe", "", {**HUMAN, "X-Auto-Response-Suppress": "DR, RN, NRN"}))


@pytest.mark.parametrize("build", [bounce_shapes.postfix, bounce_shapes.exim, bounce_shapes.qmail,
                                   bounce_shapes.gmail, bounce_shapes.vacation_reply, bounce_shapes.arf])
def test_bounces_and_reports_are_automated(build):
    assert is_automated(build("bob@example.com"))


@settings(max_examples=200, deadline=None)
@given(subject=st.text(max_size=80), body=st.text(max_size=400), limit=st.integers(1, 12))
def test_any_text_gives_a_bounded_report(subject, body, limit):
    report = parse_command_text(subject, body, max_commands=limit)
    assert len(report.commands) + len(report.rejected) <= limit


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=1500))
def test_any_bytes_never_raise(raw):
    parse_commands(raw)
    is_automated(raw)
