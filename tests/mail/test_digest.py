"""MIME (multipart/digest) and plain (RFC 1153) digests, with golden files of one issue of each."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from listhaven.mail.digest import DigestIssue, issue_nonce, mime_digest
from listhaven.mail.digest_plain import MESSAGE_SEPARATOR, PREAMBLE_SEPARATOR, plain_digest
from listhaven.mail.identity import ListIdentity
from listhaven.mail.personalise import MemberValues, Template, marker, personalise
from listhaven.mail.rawedit import split_raw
from tests.support import posts

GOLDEN = Path(__file__).parent / "golden" / "digest"
IDENTITY = ListIdentity(
    address=posts.LIST_ADDRESS, display_name="Harbour Dev", subject_tag="[Harbour-dev]",
    listinfo_url="https://lists.example.org/listinfo/harbour-dev",
    archive_url="https://lists.example.org/harbour-dev/",
)
ISSUE = DigestIssue(
    volume=3, number=12, date=datetime(2024, 3, 6, 7, 0, tzinfo=UTC),
    header="Posts of the last day on {list_name}; the archive is at {archive_url}",
    footer="_______________________________________________\n{list_name} digest -- {listinfo_url}\n",
)
SHAPES = ["plain", "rfc2047-subject", "alternative", "mixed", "signed", "tagged-reply"]


def issue_posts() -> list[bytes]:
    return [posts.SHAPES[name]() for name in SHAPES]


def parsed(data: bytes) -> EmailMessage:
    message = message_from_bytes(data, policy=email_policy.default)
    assert isinstance(message, EmailMessage)
    assert [d for part in message.walk() for d in part.defects] == []
    return message


def text(part: EmailMessage) -> str:
    content = part.get_content()
    assert isinstance(content, str)
    return content.replace("\r\n", "\n")


def test_mime_digest_golden(golden) -> None:
    for n, raw in enumerate(issue_posts(), 1):
        golden.check(GOLDEN / f"post-{n}.eml", raw)
    golden.check(GOLDEN / "mime-digest.eml", mime_digest(issue_posts(), IDENTITY, ISSUE))
    golden.check(GOLDEN / "plain-digest.eml", plain_digest(issue_posts(), IDENTITY, ISSUE))


def test_mime_digest_layout() -> None:
    message = parsed(mime_digest(issue_posts(), IDENTITY, ISSUE))
    assert message["Subject"] == "Harbour Dev Digest, Vol 3, Issue 12"
    assert message["From"] == "Harbour Dev <harbour-dev-request@lists.example.org>"
    assert message["To"] == posts.LIST_ADDRESS
    assert message["List-Unsubscribe"].startswith("<https://lists.example.org/listinfo/harbour-dev>,")
    assert message["List-Unsubscribe-Post"] is None
    masthead, toc, digest, footer = message.iter_parts()
    assert "Send Harbour Dev mailing list submissions to" in text(masthead)
    assert text(masthead).endswith("the archive is at https://lists.example.org/harbour-dev/\n")
    assert toc["Content-Description"] == "Today's Topics (6 messages)"
    assert text(toc).splitlines()[2:4] == [
        "   1. Tide tables for March (Ada Lovelace)", "   2. Café on the quay, à bientôt (Ada Lovelace)",
    ]
    assert text(toc).splitlines()[-1] == "   6. Re: Tide tables for March (Grace Hopper)"  # the list's tag left out
    assert digest.get_content_type() == "multipart/digest"
    inner = list(digest.iter_parts())
    assert [p.get_content_type() for p in inner] == ["message/rfc822"] * 6
    assert inner[0].get_content()["Subject"] == "Tide tables for March"
    assert text(footer) == "_______________________________________________\nHarbour Dev digest -- " \
                           "https://lists.example.org/listinfo/harbour-dev\n"


def test_each_post_is_inside_the_mime_digest_byte_for_byte() -> None:
    data = mime_digest(issue_posts(), IDENTITY, ISSUE)
    for raw in issue_posts():
        assert split_raw(raw).to_bytes() in data
    assert posts.SIGNED_BODY.replace(b"\n", b"\r\n") in data


def test_private_fields_do_not_reach_digests() -> None:
    raw = posts.plain_post(extra=b"Approved: moderator-secret\n")
    assert b"moderator-secret" not in mime_digest([raw], IDENTITY, ISSUE)
    assert b"moderator-secret" not in plain_digest([raw], IDENTITY, ISSUE)


def test_an_issue_is_built_the_same_twice_and_named_per_format() -> None:
    mime = mime_digest(issue_posts(), IDENTITY, ISSUE)
    assert mime == mime_digest(issue_posts(), IDENTITY, ISSUE)
    plain = plain_digest(issue_posts(), IDENTITY, ISSUE)
    assert parsed(mime)["Message-ID"] != parsed(plain)["Message-ID"]
    other = DigestIssue(3, 13, ISSUE.date)
    assert parsed(mime_digest(issue_posts(), IDENTITY, other))["Message-ID"] != parsed(mime)["Message-ID"]


def test_plain_digest_follows_rfc_1153() -> None:
    message = parsed(plain_digest(issue_posts(), IDENTITY, ISSUE))
    assert message.get_content_type() == "text/plain" and message.get_content_charset() == "utf-8"
    body = text(message)
    lines = body.splitlines()
    assert lines.count(PREAMBLE_SEPARATOR) == 1
    assert lines.count(MESSAGE_SEPARATOR) == 7  # after each of 6 posts and after the footer
    assert [line for line in lines if line.startswith("Message: ")] == [f"Message: {n}" for n in range(1, 7)]
    assert "Subject: Café on the quay, à bientôt" in lines
    assert "Chart below." in lines and "[attachment: chart.pdf (application/pdf, 54 bytes)]" in lines
    assert lines[-2:] == ["End of Harbour Dev Digest, Vol 3, Issue 12", "*" * 42]


def test_a_separator_line_inside_a_post_is_stuffed() -> None:
    raw = posts.plain_post().replace(b"Ada\n", b"------------------------------\nAda\n")
    lines = text(parsed(plain_digest([raw], IDENTITY, ISSUE))).splitlines()
    assert "- ------------------------------" in lines
    assert lines.count(MESSAGE_SEPARATOR) == 2


def test_an_ascii_issue_is_7bit_and_a_date_must_be_aware() -> None:
    message = parsed(plain_digest([posts.plain_post()], IDENTITY, ISSUE))
    assert message.get_content_charset() == "us-ascii" and message["Content-Transfer-Encoding"] == "7bit"
    with pytest.raises(ValueError):
        DigestIssue(1, 1, datetime(2024, 3, 6, 7, 0))  # naive on purpose


MEMBER_FOOTER = "Leave: {unsubscribe_url}\nYour options: {options_url}\nSent to {member_address}\n"


def personal_copy(builder, member: MemberValues, posts_given: list[bytes] | None = None) -> EmailMessage:
    given = posts_given or [posts.plain_post()]
    issue = replace(ISSUE, footer=MEMBER_FOOTER, nonce=issue_nonce(given, ISSUE.volume, ISSUE.number))
    template = Template(builder(given, IDENTITY, issue), issue.nonce)
    assert template.personal
    return parsed(personalise(template, member))


@pytest.mark.parametrize("builder", [mime_digest, plain_digest])
def test_a_personalised_issue_gives_each_member_their_own_one_click_and_footer(builder) -> None:
    ann = MemberValues("https://lists.example.org/harbour-dev/unsubscribe/TOKEN-ANN",
                       "https://lists.example.org/harbour-dev/options/", "ann@example.org")  # fmt: skip
    zoe = MemberValues("https://lists.example.org/harbour-dev/unsubscribe/TOKEN-ZOE",
                       "https://lists.example.org/harbour-dev/options/", "zoë@exämple.org")  # fmt: skip
    first, second = personal_copy(builder, ann), personal_copy(builder, zoe)
    assert first["List-Unsubscribe"].startswith(f"<{ann.unsubscribe_url}>,")
    assert second["List-Unsubscribe"].startswith(f"<{zoe.unsubscribe_url}>,")
    assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    footer = list(first.iter_parts())[-1] if builder is mime_digest else first
    assert f"Leave: {ann.unsubscribe_url}\nYour options: {ann.options_url}\nSent to ann@example.org\n" in text(footer)
    zoe_footer = list(second.iter_parts())[-1] if builder is mime_digest else second
    assert "Sent to zoë@exämple.org" in text(zoe_footer)  # a UTF-8 address in a part labelled UTF-8
    assert "[[lh-" not in first.as_string() and "[[lh-" not in second.as_string()


def test_a_poster_cannot_plant_a_marker_in_a_personalised_issue() -> None:
    # A marker with any nonce the poster could know is left as written: the issue's nonce hashes the posts.
    planted = marker(issue_nonce([posts.plain_post()], ISSUE.volume, ISSUE.number), "unsubscribe_url")
    raw = posts.plain_post().replace(b"Ada\n", planted.encode() + b"\nAda\n")
    member = MemberValues("https://lists.example.org/u/T", "https://lists.example.org/o/", "ann@example.org")
    copy = personal_copy(plain_digest, member, [raw])
    assert planted in text(copy)


def test_the_table_leaves_out_the_lists_own_tag_only() -> None:
    from listhaven.mail.digest import without_tag

    cases = {"[Harbour-dev] Tides": "Tides", "Re: [harbour-dev] Tides": "Re: Tides", "AW:Re: [Harbour-dev]Tides":
             "AW:Re: Tides", "Tides [Harbour-dev]": "Tides [Harbour-dev]", "[Other] Tides": "[Other] Tides",
             "[Harbour-dev]": "[Harbour-dev]"}  # fmt: skip
    assert {s: without_tag(s, "[Harbour-dev]") for s in cases} == cases
    assert without_tag("[Harbour-dev] Tides", "") == "[Harbour-dev] Tides"
