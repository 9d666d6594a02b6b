from __future__ import annotations

import re
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage

import pytest

from listhaven.mail.decorate import Mitigation, decorate
from listhaven.mail.identity import ListIdentity, ReplyTo
from listhaven.mail.personalise import MemberValues, personalise
from listhaven.mail.rawedit import split_raw
from tests.support import posts

FOOTER = (
    "_______________________________________________\n"
    "{list_name} mailing list -- {list_address}\n"
    "More information: {listinfo_url}\n"
    "Leave the list: {unsubscribe_url}\n"
)


def identity(**changes: object) -> ListIdentity:
    values: dict[str, object] = {
        "address": posts.LIST_ADDRESS,
        "display_name": "Harbour Dev",
        "subject_tag": "[Harbour-dev]",
        "listinfo_url": "https://lists.example.org/listinfo/harbour-dev",
        "archive_url": "https://lists.example.org/harbour-dev/",
        "footer": FOOTER,
    }
    values.update(changes)
    return ListIdentity(**values)  # type: ignore[arg-type]


MEMBER = MemberValues(
    unsubscribe_url="https://lists.example.org/harbour-dev/unsubscribe/bWVtYmVy.c2lnbmF0dXJl",
    options_url="https://lists.example.org/harbour-dev/options/b3B0aW9ucw",
    member_address="bob@example.net",
)


def parsed(data: bytes) -> EmailMessage:
    message = message_from_bytes(data, policy=email_policy.default)
    assert isinstance(message, EmailMessage)
    return message


def copy_for(raw: bytes, member: MemberValues = MEMBER, **changes: object) -> EmailMessage:
    return parsed(personalise(decorate(raw, identity(**changes)), member))


def footer_text(message: EmailMessage) -> str:
    """The text the reader sees at the end: the last text/plain leaf, decoded."""
    leaves = [p for p in message.walk() if p.get_content_type() == "text/plain" and not p.is_multipart()]
    return content(leaves[-1])


def content(part: EmailMessage) -> str:
    """A text part decoded, line ends as LF (the stdlib keeps the CRLF of the wire)."""
    text = part.get_content()
    assert isinstance(text, str)
    return text.replace("\r\n", "\n")


# Line ends and structure -----------------------------------------------------------------------


@pytest.mark.parametrize("shape", sorted(posts.SHAPES))
def test_every_line_ends_crlf_and_the_stdlib_parses_it_without_defects(shape: str) -> None:
    data = personalise(decorate(posts.SHAPES[shape](), identity()), MEMBER)
    assert b"\n" not in data.replace(b"\r\n", b"")
    message = parsed(data)
    assert [d for p in message.walk() for d in p.defects] == []
    assert MEMBER.unsubscribe_url in footer_text(message)


# Cleansing ---------------------------------------------------------------------------------------


def test_private_fields_and_upstream_list_fields_are_removed() -> None:
    extra = (
        b"Approved: moderator-secret\nApprove: moderator-secret\nReturn-Receipt-To: ada@example.org\n"
        b"Disposition-Notification-To: ada@example.org\nX-Confirm-Reading-To: ada@example.org\n"
        b"List-Id: Other list <other.example.com>\nList-Unsubscribe: <mailto:other-leave@example.com>\n"
    )
    data = decorate(posts.plain_post(extra=extra), identity()).data
    assert b"moderator-secret" not in data
    head = split_raw(data)
    for name in ("Approved", "Approve", "Return-Receipt-To", "Disposition-Notification-To", "X-Confirm-Reading-To"):
        assert head.get(name) is None, name
    assert [f.text() for f in head.get_all("List-Id")] == ["Harbour Dev <harbour-dev.lists.example.org>"]
    assert b"other-leave" not in data


def _signature(h: str) -> bytes:
    return f"DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=sel;\n h={h}; bh=AAAA; b=BBBB\n".encode()


def test_a_dkim_signature_goes_when_the_body_or_a_signed_field_changes_and_stays_otherwise() -> None:
    tagged = posts.plain_post(subject=b"[Harbour-dev] Tides")
    quiet = identity(footer="")
    kept = decorate(posts.plain_post(b"[Harbour-dev] Tides", _signature("from:to:date:message-id")), quiet).data
    assert b"DKIM-Signature" in kept
    oversigned = decorate(posts.plain_post(b"[Harbour-dev] Tides", _signature("from:to:list-id")), quiet).data
    assert b"DKIM-Signature" not in oversigned
    retagged = decorate(posts.plain_post(b"Tides", _signature("from:subject")), quiet).data
    assert b"DKIM-Signature" not in retagged
    footered = decorate(posts.plain_post(b"[Harbour-dev] Tides", _signature("from:to")), identity()).data
    assert b"DKIM-Signature" not in footered
    assert b"DKIM-Signature" not in decorate(tagged, quiet).data  # none to begin with, none added


# Subject tag --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        (b"Tide tables", "[Harbour-dev] Tide tables"),
        (b"Re: Tide tables", "[Harbour-dev] Re: Tide tables"),
        (b"Re: [Harbour-dev] Tide tables", "Re: [Harbour-dev] Tide tables"),
        (b"[harbour-dev] Tide tables", "[harbour-dev] Tide tables"),
        (b"=?utf-8?q?Re=3A_=5BHarbour-dev=5D_Caf=C3=A9?=", "Re: [Harbour-dev] Café"),
        (b"=?iso-8859-1?q?Caf=E9?=", "[Harbour-dev] Café"),
        ("Café déjà".encode(), "[Harbour-dev] Café déjà"),
    ],
)
def test_the_tag_is_added_once(subject: bytes, expected: str) -> None:
    message = parsed(decorate(posts.plain_post(subject), identity()).data)
    assert message["Subject"] == expected
    assert split_raw(decorate(posts.plain_post(subject), identity()).data).get("Subject").value.isascii()  # type: ignore[union-attr]


def test_an_already_tagged_subject_keeps_its_bytes() -> None:
    raw = posts.tagged_reply()
    out = decorate(raw, identity()).data
    assert b"\r\nSubject: Re: [Harbour-dev] Tide tables for March\r\n" in out


def test_a_non_ascii_tag_is_encoded_and_decodes_back() -> None:
    message = parsed(decorate(posts.plain_post(), identity(subject_tag="[Havn-Kafé]")).data)
    assert message["Subject"] == "[Havn-Kafé] Tide tables for March"
    raw_subject = split_raw(decorate(posts.plain_post(), identity(subject_tag="[Havn-Kafé]")).data).get("Subject")
    assert raw_subject is not None and raw_subject.value.isascii() and b"=?utf-8?" in raw_subject.value


def test_a_long_ascii_subject_keeps_the_senders_folding() -> None:
    subject = b"A subject that the sender folded\n over two lines"
    out = decorate(posts.plain_post(subject), identity()).data
    assert b"Subject: [Harbour-dev] A subject that the sender folded\r\n over two lines\r\n" in out


def test_a_missing_subject_gets_the_tag_and_no_subject() -> None:
    assert parsed(decorate(posts.bare_post(), identity()).data)["Subject"] == "[Harbour-dev] (no subject)"


def test_no_tag_configured_leaves_the_subject() -> None:
    out = decorate(posts.plain_post(b"Tides"), identity(subject_tag="")).data
    assert parsed(out)["Subject"] == "Tides"


# Reply-To ------------------------------------------------------------------------------------------


def test_reply_to_policies() -> None:
    raw = posts.plain_post(extra=b"Reply-To: ada.home@example.org\n")
    assert parsed(decorate(raw, identity()).data)["Reply-To"] == "ada.home@example.org"
    assert parsed(decorate(posts.plain_post(), identity(reply_to=ReplyTo.LIST)).data).get_all("Reply-To") == [
        posts.LIST_ADDRESS]  # fmt: skip
    # As Mailman: the poster's own Reply-To stays, the list's address after it, an explicit one before it.
    assert parsed(decorate(raw, identity(reply_to=ReplyTo.LIST)).data).get_all("Reply-To") == [
        f"ada.home@example.org, {posts.LIST_ADDRESS}"]  # fmt: skip
    explicit = identity(reply_to=ReplyTo.EXPLICIT, reply_to_address="harbour-talk@lists.example.org")
    assert parsed(decorate(raw, explicit).data).get_all("Reply-To") == [
        "harbour-talk@lists.example.org, ada.home@example.org"]  # fmt: skip
    named = posts.plain_post(extra=f"Reply-To: Ada at Home <ada.home@example.org>, {posts.LIST_ADDRESS}\n".encode())
    assert parsed(decorate(named, identity(reply_to=ReplyTo.LIST)).data).get_all("Reply-To") == [
        f"Ada at Home <ada.home@example.org>, {posts.LIST_ADDRESS}"]  # the list's address once


def test_an_internationalised_address_kept_in_reply_to_is_written_as_it_came() -> None:
    """A poster's SMTPUTF8 address (RFC 6532: UTF-8 in the header) stays in Reply-To beside the list's, and a
    munged From's author goes there too: writing them made the copy fail (and the post with it, 451)."""
    raw = posts.plain_post(extra="Reply-To: jörg@exämple.de\n".encode())
    head = decorate(raw, identity(reply_to=ReplyTo.LIST)).data.split(b"\r\n\r\n", 1)[0]
    assert f"Reply-To: jörg@exämple.de, {posts.LIST_ADDRESS}".encode() in head
    author = raw.replace(b"From: Ada Lovelace <ada@example.org>", "From: Jörg <jörg@exämple.de>".encode())
    assert author != raw
    head = decorate(author, identity(), mitigation=Mitigation.MUNGE_FROM).data.split(b"\r\n\r\n", 1)[0]
    assert "jörg@exämple.de".encode() in head.split(b"Reply-To:", 1)[1].split(b"\r\n", 1)[0]


def test_explicit_reply_to_needs_an_address() -> None:
    with pytest.raises(ValueError, match="reply_to_address"):
        identity(reply_to=ReplyTo.EXPLICIT)


# Footer placement ----------------------------------------------------------------------------------


def test_plain_text_gets_the_footer_appended_in_its_own_part() -> None:
    message = copy_for(posts.plain_post())
    assert not message.is_multipart()
    text = content(message)
    assert text.startswith("Hello all,")
    assert text.endswith(f"Leave the list: {MEMBER.unsubscribe_url}\n")
    assert message["Content-Transfer-Encoding"] == "7bit"


def test_a_non_ascii_footer_relabels_ascii_text_as_utf8_8bit() -> None:
    message = copy_for(posts.plain_post(), footer="Liste du port — {list_name}\n")
    assert not message.is_multipart()
    assert message.get_content_charset() == "utf-8"
    assert message["Content-Transfer-Encoding"] == "8bit"
    assert content(message).endswith("Liste du port — Harbour Dev\n")


def test_latin1_text_takes_an_ascii_footer_and_a_latin1_one() -> None:
    ascii_copy = copy_for(posts.latin1_post())
    assert not ascii_copy.is_multipart() and "marées" in content(ascii_copy)
    accented = copy_for(posts.latin1_post(), footer="Liste du café\n")
    assert not accented.is_multipart()
    assert accented.get_content_charset() == "iso-8859-1"
    assert content(accented).endswith("Liste du café\n")


def test_a_footer_with_the_members_address_never_joins_a_latin1_part() -> None:
    member = MemberValues(MEMBER.unsubscribe_url, MEMBER.options_url, "zoë@exämple.org")
    message = copy_for(posts.latin1_post(), member, footer="You are subscribed as {member_address}\n")
    assert message.get_content_type() == "multipart/mixed"
    assert footer_text(message) == "You are subscribed as zoë@exämple.org\n"


@pytest.mark.parametrize("shape", ["quoted-printable", "base64", "alternative", "html", "signed", "encrypted"])
def test_other_shapes_are_wrapped_whole_with_the_footer_after(shape: str) -> None:
    raw = posts.SHAPES[shape]()
    message = copy_for(raw)
    assert message.get_content_type() == "multipart/mixed"
    first, footer = list(message.iter_parts())
    original = parsed(raw)
    assert first.get_content_type() == original.get_content_type()
    assert footer.get_content_type() == "text/plain"
    assert footer["Content-Disposition"] == "inline"
    assert content(footer).endswith(f"Leave the list: {MEMBER.unsubscribe_url}\n")
    # The original body is inside the new part byte for byte (line ends made CRLF).
    original_body = split_raw(raw).body
    assert original_body in personalise(decorate(raw, identity()), MEMBER)


def test_a_signed_part_keeps_every_byte_including_trailing_spaces() -> None:
    out = personalise(decorate(posts.signed_post(), identity()), MEMBER)
    assert posts.SIGNED_BODY.replace(b"\n", b"\r\n") in out
    inner = next(iter(parsed(out).iter_parts()))
    assert inner.get_content_type() == "multipart/signed"
    assert inner.get_param("protocol") == "application/pgp-signature"


def test_multipart_mixed_gets_a_last_text_part_and_keeps_its_preamble() -> None:
    message = copy_for(posts.mixed_post())
    assert message.get_content_type() == "multipart/mixed"
    types = [p.get_content_type() for p in message.iter_parts()]
    assert types == ["text/plain", "application/pdf", "text/plain"]
    assert message.preamble == "This is a multi-part message in MIME format."
    assert footer_text(message).startswith("_____")


def test_a_text_attachment_alone_is_wrapped_not_appended_to() -> None:
    raw = posts.plain_post(extra=b"Content-Disposition: attachment; filename=notes.txt\n")
    message = copy_for(raw)
    assert message.get_content_type() == "multipart/mixed"
    assert next(iter(message.iter_parts())).get_filename() == "notes.txt"


def test_flowed_text_keeps_the_footer_lines_fixed() -> None:
    message = copy_for(posts.tagged_reply(), footer="-- \n>Quoted-looking line   \nFrom the list\n")
    raw_body = split_raw(message.as_bytes()).body
    assert b"\r\n-- \r\n >Quoted-looking line\r\n From the list\r\n" in raw_body


def test_no_footer_leaves_the_body_alone() -> None:
    raw = posts.alternative_post()
    out = decorate(raw, identity(footer="")).data
    assert split_raw(out).body == split_raw(raw).body


# List header fields ----------------------------------------------------------------------------------


def test_personal_copies_carry_the_rfc_2369_2919_8058_fields() -> None:
    message = copy_for(posts.plain_post())
    unsubscribe = f"<{MEMBER.unsubscribe_url}>, <mailto:harbour-dev-leave@lists.example.org>"
    assert message["List-Unsubscribe"] == unsubscribe
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Id"] == "Harbour Dev <harbour-dev.lists.example.org>"
    assert message["List-Post"] == "<mailto:harbour-dev@lists.example.org>"
    assert message["List-Owner"] == "<mailto:harbour-dev-owner@lists.example.org>"
    assert message["List-Archive"] == "<https://lists.example.org/harbour-dev/>"
    assert message["List-Help"] == (
        "<https://lists.example.org/listinfo/harbour-dev>, <mailto:harbour-dev-request@lists.example.org?subject=help>"
    )
    assert message["List-Subscribe"] == (
        "<https://lists.example.org/listinfo/harbour-dev>, <mailto:harbour-dev-join@lists.example.org>"
    )
    assert message["X-BeenThere"] == posts.LIST_ADDRESS
    assert message["Precedence"] == "list"


def test_bulk_copies_point_to_the_list_page_and_claim_no_one_click() -> None:
    template = decorate(posts.plain_post(), identity(unsubscribe_url="https://lists.example.org/harbour-dev/leave"),
                        personal=False)
    assert not template.personal
    message = parsed(template.data)
    assert message["List-Unsubscribe"].startswith("<https://lists.example.org/harbour-dev/leave>,")
    assert message["List-Unsubscribe-Post"] is None
    assert "https://lists.example.org/harbour-dev/leave" in footer_text(message)
    assert personalise(template, MEMBER) == template.data


def test_archived_at_and_announce_only_lists() -> None:
    url = "https://lists.example.org/harbour-dev/message/UQ2B6MLA2DNSCM7V5DVW6XWXQDRVL4UU/"
    message = parsed(decorate(posts.plain_post(), identity(allow_posting=False), archived_at=url).data)
    assert message["Archived-At"] == f"<{url}>"
    assert message["List-Post"] == "NO"


def test_a_posters_precedence_stays() -> None:
    message = parsed(decorate(posts.plain_post(extra=b"Precedence: bulk\n"), identity()).data)
    assert message.get_all("Precedence") == ["bulk"]


def test_a_non_ascii_list_name_is_encoded_in_list_id() -> None:
    data = decorate(posts.plain_post(), identity(display_name="Havnekafé")).data
    raw = split_raw(data).get("List-Id")
    assert raw is not None and raw.value.isascii()
    assert parsed(data)["List-Id"] == "Havnekafé <harbour-dev.lists.example.org>"


def test_identity_refuses_line_breaks_and_bad_urls() -> None:
    with pytest.raises(ValueError):
        identity(display_name="Harbour\r\nBcc: everyone@example.org")
    with pytest.raises(ValueError):
        identity(listinfo_url="https://example.org/a b")
    with pytest.raises(ValueError):
        identity(archive_url="https://example.org/>, <mailto:x@example.org")


# DMARC mitigations through decorate ---------------------------------------------------------------------


def test_munged_from_with_the_author_in_reply_to() -> None:
    message = parsed(decorate(posts.plain_post(), identity(), mitigation=Mitigation.MUNGE_FROM).data)
    assert message["From"] == "Ada Lovelace via Harbour Dev <harbour-dev@lists.example.org>"
    assert message["Reply-To"] == "Ada Lovelace <ada@example.org>"


def test_munged_from_on_a_reply_to_list_puts_the_author_in_cc() -> None:
    message = parsed(decorate(posts.plain_post(), identity(reply_to=ReplyTo.LIST), mitigation=Mitigation.MUNGE_FROM).data)
    assert message["Reply-To"] == posts.LIST_ADDRESS
    assert message["Cc"] == "Ada Lovelace <ada@example.org>"


def test_wrapped_post_keeps_the_original_whole_and_signed() -> None:
    raw = posts.signed_post().replace(b"Subject:", _signature("from:subject:date") + b"Subject:", 1)
    message = parsed(decorate(raw, identity(), mitigation=Mitigation.WRAP).data)
    assert message["From"] == "Ada Lovelace via Harbour Dev <harbour-dev@lists.example.org>"
    assert message["Subject"] == "[Harbour-dev] Dredging dates"
    wrapped, footer = list(message.iter_parts())
    assert wrapped.get_content_type() == "message/rfc822"
    inner = wrapped.get_content()
    assert inner["Subject"] == "Dredging dates"
    assert inner["DKIM-Signature"] is not None
    assert inner["From"] == "Ada Lovelace <ada@example.org>"
    assert footer.get_content_type() == "text/plain"


def test_the_moderator_password_does_not_survive_wrapping() -> None:
    raw = posts.plain_post(extra=b"Approved: moderator-secret\n")
    assert b"moderator-secret" not in decorate(raw, identity(), mitigation=Mitigation.WRAP).data


def test_an_address_as_author_name_loses_its_domain() -> None:
    raw = posts.plain_post().replace(b"Ada Lovelace <ada@example.org>", b'"ada@example.org" <ada@example.org>')
    message = parsed(decorate(raw, identity(), mitigation=Mitigation.MUNGE_FROM).data)
    assert message["From"] == "ada--- via Harbour Dev <harbour-dev@lists.example.org>"


def test_decoration_is_deterministic() -> None:
    for make in posts.SHAPES.values():
        assert decorate(make(), identity()) == decorate(make(), identity())
        assert re.search(rb"\[\[lh-[0-9a-f]{16}-unsubscribe_url\]\]", decorate(make(), identity()).data)
