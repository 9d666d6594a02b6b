from __future__ import annotations

from email import message_from_bytes
from email import policy as email_policy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from listhaven.mail.decorate import decorate
from listhaven.mail.identity import ListIdentity
from listhaven.mail.personalise import MEMBER_FIELDS, MemberValues, Template, marker, nonce_for, personalise
from listhaven.mail.rawedit import split_raw
from tests.support import posts

FOOTER = "Leave: {unsubscribe_url}\nOptions: {options_url}\nSubscribed as {member_address}\n"
IDENTITY = ListIdentity(
    address=posts.LIST_ADDRESS, display_name="Harbour Dev", subject_tag="[Harbour-dev]",
    listinfo_url="https://lists.example.org/listinfo/harbour-dev", footer=FOOTER,
)
MEMBER = MemberValues(
    "https://lists.example.org/harbour-dev/unsubscribe/T0KEN.abc",
    "https://lists.example.org/harbour-dev/options/0PT",
    "bob@example.net",
)


@pytest.mark.parametrize("shape", sorted(posts.SHAPES))
def test_markers_stay_verbatim_in_every_shape(shape: str) -> None:
    raw = posts.SHAPES[shape]()
    template = decorate(raw, IDENTITY)
    nonce = nonce_for(raw)
    data = template.data
    # One in List-Unsubscribe, one per placeholder in the footer, each whole on one line.
    assert data.count(marker(nonce, "unsubscribe_url").encode()) == 2
    assert data.count(marker(nonce, "options_url").encode()) == 1
    assert data.count(marker(nonce, "member_address").encode()) == 1
    copy = personalise(template, MEMBER)
    assert b"[[lh-" not in copy
    message = message_from_bytes(copy, policy=email_policy.default)
    assert message["List-Unsubscribe"].startswith(f"<{MEMBER.unsubscribe_url}>")
    text = [p for p in message.walk() if p.get_content_type() == "text/plain"][-1].get_content()
    assert f"Options: {MEMBER.options_url}" in text
    assert f"Subscribed as {MEMBER.member_address}" in text


def test_each_member_gets_their_own_values_and_nothing_else_changes() -> None:
    template = decorate(posts.alternative_post(), IDENTITY)
    other = MemberValues("https://lists.example.org/u/OTHER", "https://lists.example.org/o/OTHER", "eve@example.com")
    first, second = personalise(template, MEMBER), personalise(template, other)
    assert first != second
    assert first.replace(MEMBER.unsubscribe_url.encode(), b"U").replace(MEMBER.options_url.encode(), b"O").replace(
        b"bob@example.net", b"A"
    ) == second.replace(other.unsubscribe_url.encode(), b"U").replace(other.options_url.encode(), b"O").replace(
        b"eve@example.com", b"A"
    )


def test_a_marker_written_by_the_poster_is_not_filled_in() -> None:
    forged = "\n".join(f"[[lh-{'0' * 16}-{name}]]" for name in MEMBER_FIELDS).encode()
    raw = posts.plain_post(extra=b"X-Forged: [[lh-0000000000000000-member_address]]\n") + forged + b"\n"
    copy = personalise(decorate(raw, IDENTITY), MEMBER)
    assert copy.count(b"[[lh-0000000000000000-") == 4
    assert copy.count(MEMBER.member_address.encode()) == 1


@pytest.mark.parametrize(
    "values",
    [
        ("https://x.example/u\r\nBcc: all@example.org", "https://x.example/o", "bob@example.net"),
        ("https://x.example/u>, <mailto:all@example.org", "https://x.example/o", "bob@example.net"),
        ("https://x.example/u", "https://x.example/o two", "bob@example.net"),
        ("https://x.example/ü", "https://x.example/o", "bob@example.net"),
        ("https://x.example/u", "https://x.example/o", "bob@example.net\nBcc: all@example.org"),
        ("https://x.example/u", "https://x.example/o", ""),
    ],
)
def test_values_that_could_break_a_header_or_a_line_are_refused(values: tuple[str, str, str]) -> None:
    with pytest.raises(ValueError):
        MemberValues(*values)


@given(
    url=st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=80),
    address=st.text(min_size=1, max_size=60),
)
def test_any_accepted_values_leave_the_header_block_intact(url: str, address: str) -> None:
    try:
        member = MemberValues("https://x.example/" + url, "https://x.example/o", address)
    except ValueError:
        return
    copy = personalise(TEMPLATE, member)
    head = split_raw(copy)
    assert [f.name for f in head.fields] == [f.name for f in split_raw(TEMPLATE.data).fields]
    assert head.get("List-Unsubscribe").text().startswith(f"<{member.unsubscribe_url}>,")  # type: ignore[union-attr]


TEMPLATE = decorate(posts.plain_post(), IDENTITY)


def test_a_template_packs_into_one_blob_and_back() -> None:
    blob = TEMPLATE.to_bytes()
    again = Template.from_bytes(blob)
    assert again == TEMPLATE
    assert personalise(again, MEMBER) == personalise(TEMPLATE, MEMBER)
    bulk = decorate(posts.plain_post(), IDENTITY, personal=False)
    assert Template.from_bytes(bulk.to_bytes()).data == bulk.data
    with pytest.raises(ValueError):
        Template.from_bytes(b"From: x\r\n\r\nbody")


def test_a_non_ascii_address_goes_into_a_utf8_footer() -> None:
    member = MemberValues(MEMBER.unsubscribe_url, MEMBER.options_url, "zoë@exämple.org")
    message = message_from_bytes(personalise(TEMPLATE, member), policy=email_policy.default)
    assert message.get_content_charset() == "utf-8"
    assert "Subscribed as zoë@exämple.org" in message.get_content()
