"""mail/address_replace.py: an address replaced inside base64 and quoted-printable text parts,
every other byte as it was; parts that are not text left alone and reported."""

from __future__ import annotations

import base64
import quopri
from email import message_from_bytes, policy

from listhaven.mail.address_replace import replace_address

ADDRESS = "Erin.Quill@Example.ORG"
WRITTEN = "erin.quill@example.org"  # as the messages write it: matched whatever the case
NEW = "address.removed@erased.invalid"
# Long enough for several base64 lines, with text on both sides of the address and non-ASCII.
LETTER = "Grüße from the allotment.\n" * 4 + "Write to {} about the seeds.\n" + "Ende.\n" * 30
HTML = (
    "<p>Le potager est prêt, écrivez à <a href=\"mailto:{}\">Erin</a> avant jeudi, "
    "s'il vous plaît, pour les graines de tomates.</p>\n<p>Merci.</p>\n"
)
PDF = b"%%PDF-1.4\n1 0 obj << /Author (%s) >> endobj\n%%%%EOF\n"


def _b64_lines(data: bytes, eol: bytes = b"\n") -> bytes:
    encoded = base64.b64encode(data)
    return eol.join(encoded[i : i + 76] for i in range(0, len(encoded), 76)) + eol


def _message(eol: bytes = b"\n", address: str = WRITTEN) -> bytes:
    parts = [
        b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
        + _b64_lines(LETTER.format(address).encode()),
        b"Content-Type: text/html; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n"
        + quopri.encodestring(HTML.format(address).encode("iso-8859-1")),
        b"Content-Type: text/x-diff; name=seeds.diff\nContent-Disposition: attachment; filename=seeds.diff\n"
        b"Content-Transfer-Encoding: base64\n\n" + _b64_lines(f"+maintainer: {address}\n".encode()),
        b"Content-Type: application/pdf; name=plan.pdf\nContent-Disposition: attachment; filename=plan.pdf\n"
        b"Content-Transfer-Encoding: base64\n\n" + _b64_lines(PDF % address.encode()),
    ]
    raw = (
        f"From: Erin Quill <{address}>\nTo: garden@lists.example.org\nSubject: Seeds\n"
        "Message-ID: <seeds-1@example.net>\nMIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="==b=="\n\nPreamble.\n'
    ).encode()
    raw += b"".join(b"--==b==\n" + part for part in parts) + b"--==b==--\n"
    return raw.replace(b"\n", eol)


def _parts(raw: bytes) -> list:
    return [p for p in message_from_bytes(raw, policy=policy.default).walk() if not p.is_multipart()]


def test_text_parts_are_rewritten_under_their_own_encoding_and_charset() -> None:
    raw = _message()
    done = replace_address(raw, ADDRESS, NEW)

    letter, html, diff, _pdf = _parts(done.raw)
    assert letter.get_content() == LETTER.format(NEW)
    assert html.get_content() == HTML.format(NEW).rstrip("\n")  # its last line break is the boundary's
    assert diff.get_content() == f"+maintainer: {NEW}\n"
    for part, before in zip((letter, html, diff), _parts(raw)[:3], strict=True):
        assert part["Content-Transfer-Encoding"] == before["Content-Transfer-Encoding"]
        assert part.get_content_charset() == before.get_content_charset()
    assert html.get_payload(decode=True).decode("iso-8859-1") == HTML.format(NEW).rstrip("\n")  # not re-encoded as UTF-8
    base64_lines = letter.get_payload().splitlines()
    assert {len(line) for line in base64_lines[:-1]} == {76}
    assert done.rewritten == 3
    assert WRITTEN.encode() not in done.raw.lower()  # the header fields too


def test_a_part_that_is_not_text_is_left_byte_for_byte_and_reported() -> None:
    raw = _message()
    done = replace_address(raw, ADDRESS, NEW)
    assert _parts(done.raw)[3].get_payload(decode=True) == PDF % WRITTEN.encode()
    assert _parts(done.raw)[3].get_payload() == _parts(raw)[3].get_payload()
    assert done.kept == ("application/pdf",)


def test_every_other_byte_is_kept() -> None:
    raw = _message()
    done = replace_address(raw, ADDRESS, NEW)
    before, after = raw.split(b"\n"), done.raw.split(b"\n")
    head = before.index(b"")
    assert after[:head] == [line.replace(WRITTEN.encode(), NEW.encode()) for line in before[:head]]
    # the quoted-printable part changes only on the (logical) line that named the address
    html_before = quopri.encodestring(HTML.format(WRITTEN).encode("iso-8859-1")).split(b"\n")
    changed = [line for line in html_before if line not in after]
    assert changed and WRITTEN.encode() in quopri.decodestring(b"\n".join(changed))
    assert b"<p>Merci.</p>" in after
    # the other parts' encoded bytes are all there, unchanged
    pdf_lines = _b64_lines(PDF % WRITTEN.encode()).split(b"\n")
    assert all(line in after for line in pdf_lines)
    # a message that does not name the address comes back identical
    other = _message(address="someone@example.net")
    assert replace_address(other, ADDRESS, NEW) == type(done)(other, 0, ())


def test_line_endings_are_kept() -> None:
    raw = _message(b"\r\n")
    done = replace_address(raw, ADDRESS, NEW)
    assert b"\n" not in done.raw.replace(b"\r\n", b"")
    letter, html = _parts(done.raw)[:2]
    assert letter.get_content().replace("\r\n", "\n") == LETTER.format(NEW)
    assert html.get_content().replace("\r\n", "\n") == HTML.format(NEW).rstrip("\n")


def test_a_single_part_base64_message_and_a_forwarded_one() -> None:
    single = (
        b"From: Bob <bob@example.net>\nSubject: Hello\nContent-Type: text/plain; charset=utf-8\n"
        b"Content-Transfer-Encoding: base64\n\n"
    ) + _b64_lines(f"Ask {WRITTEN}.\n".encode())
    done = replace_address(single, ADDRESS, NEW)
    assert _parts(done.raw)[0].get_content() == f"Ask {NEW}.\n"
    forwarded = (
        b'From: Bob <bob@example.net>\nContent-Type: multipart/mixed; boundary="x"\n\n--x\n'
        b"Content-Type: message/rfc822\n\n" + single + b"--x--\n"
    )
    done = replace_address(forwarded, ADDRESS, NEW)
    assert WRITTEN.encode() not in base64.b64decode(done.raw.split(b"base64\n\n")[1].split(b"--x")[0])
    assert done.rewritten == 1 and done.kept == ()


def test_a_utf16_part() -> None:
    text = f"Ask {WRITTEN}.\n".encode("utf-16")
    raw = (
        b"From: bob@example.net\nContent-Type: text/plain; charset=utf-16\nContent-Transfer-Encoding: base64\n\n"
        + _b64_lines(text)
    )
    done = replace_address(raw, ADDRESS, NEW)
    assert _parts(done.raw)[0].get_content() == f"Ask {NEW}.\n"


def test_encoded_words_in_header_fields() -> None:
    raw = (
        "From: =?utf-8?b?" + base64.b64encode(f"Erin ({WRITTEN}) Grüße".encode()).decode() + "?= <bob@example.net>\n"
        "Subject: =?iso-8859-1?q?Graines_=E0_demander_=E0_erin=2Equill=40example=2Eorg_=3F?=\n"
        "To: =?utf-8?q?Garden?= <garden@lists.example.org>\n\nBody.\n"
    ).encode()
    done = replace_address(raw, ADDRESS, NEW)
    parsed = message_from_bytes(done.raw, policy=policy.default)
    assert parsed["From"].addresses[0].display_name == f"Erin ({NEW}) Grüße"
    assert str(parsed["Subject"]) == f"Graines à demander à {NEW} ?"
    assert b"=?iso-8859-1?q?" in done.raw and b"=?utf-8?b?" in done.raw  # their own charset and encoding
    assert done.raw.split(b"\n")[2:] == raw.split(b"\n")[2:]  # the other fields and the body as they were


# A file name holding the address, as mail programs write it under RFC 2231: Thunderbird splits a long
# non-ASCII name into encoded continuations, folded, with CRLF; others write one encoded value, or
# plain quoted continuations; a Latin-1 name with a language tag.
THUNDERBIRD_PART = (
    b"Content-Type: text/x-patch; charset=UTF-8;\r\n"
    b" name*0*=UTF-8''%C3%A9t%C3%A9%2D%70%6F%74%61%67%65%72%2D%45%72%69%6E%2E%51%75;\r\n"
    b" name*1*=%69%6C%6C%40%65%78%61%6D%70%6C%65%2E%6F%72%67%2E%70%61%74%63%68\r\n"
    b"Content-Disposition: attachment;\r\n"
    b" filename*0*=UTF-8''%C3%A9t%C3%A9%2D%70%6F%74%61%67%65%72%2D%45%72%69%6E%2E%51%75;\r\n"
    b" filename*1*=%69%6C%6C%40%65%78%61%6D%70%6C%65%2E%6F%72%67%2E%70%61%74%63%68\r\n"
    b"Content-Transfer-Encoding: 7bit\r\n\r\n+tomatoes\r\n"
)
ONE_VALUE_PART = (
    b"Content-Type: application/pdf\r\n"
    b"Content-Disposition: attachment; filename*=utf-8''plan%20de%20Erin.Quill%40Example.ORG.pdf\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode(b"%PDF-1.4 empty") + b"\r\n"
)
LATIN1_PART = (
    b"Content-Type: text/plain; charset=iso-8859-1\r\n"
    b"Content-Disposition: inline;\r\n\tfilename*=iso-8859-1'fr'r%E9sum%E9%20erin.quill%40example.org.txt\r\n\r\n"
    b"Bonjour.\r\n"
)
QUOTED_PARTS = (
    b"Content-Type: text/plain; charset=us-ascii\r\n"
    b'Content-Disposition: attachment;\r\n\tfilename*0="notes-erin.quill@exa";\r\n\tfilename*1="mple.org-2026.txt"\r\n\r\n'
    b"Notes.\r\n"
)


def _with_parts(*parts: bytes) -> bytes:
    head = (b"From: Bob <bob@example.net>\r\nTo: garden@lists.example.org\r\nSubject: Files\r\n"
            b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="=-b"\r\n\r\n')  # fmt: skip
    return head + b"".join(b"--=-b\r\n" + part for part in parts) + b"--=-b--\r\n"


def test_rfc2231_file_names_are_written_again_in_their_own_form() -> None:
    raw = _with_parts(THUNDERBIRD_PART, ONE_VALUE_PART, LATIN1_PART, QUOTED_PARTS)
    done = replace_address(raw, ADDRESS, NEW)

    patch, pdf, latin1, quoted = _parts(done.raw)
    assert patch.get_filename() == patch.get_param("name") == f"été-potager-{NEW}.patch"
    assert pdf.get_filename() == f"plan de {NEW}.pdf"
    assert latin1.get_filename() == f"résumé {NEW}.txt"
    assert quoted.get_filename() == f"notes-{NEW}-2026.txt"
    # the same forms: charset and language, encoded or quoted pieces, folding and CRLF
    assert b"\r\n filename*0*=UTF-8''%C3%A9t%C3%A9-potager-address.removed%40erased.invalid.patch\r\n" in done.raw
    assert b"\r\n name*0*=UTF-8''%C3%A9t%C3%A9-potager-" in done.raw  # shorter once plain ASCII is not %XX: one piece
    assert b"filename*=iso-8859-1'fr'r%E9sum%E9%20address.removed%40erased.invalid.txt" in done.raw
    assert b'\tfilename*0="notes-address.remove";\r\n\tfilename*1="d@erased.invalid-202";\r\n\tfilename*2="6.txt"' in done.raw
    assert b"\n" not in done.raw.replace(b"\r\n", b"")
    assert b"%40example.org" not in done.raw.lower() and WRITTEN.encode() not in done.raw.lower()
    # the bodies, the other fields and the boundaries as they were
    assert done.raw.count(b"--=-b") == raw.count(b"--=-b") and b"+tomatoes\r\n" in done.raw
    assert done.raw.split(b"\r\n\r\n")[0] == raw.split(b"\r\n\r\n")[0]
    assert replace_address(_with_parts(ONE_VALUE_PART.replace(b"Erin.Quill", b"Someone")), ADDRESS, NEW).raw == (
        _with_parts(ONE_VALUE_PART.replace(b"Erin.Quill", b"Someone"))
    )


def test_rfc2231_file_names_read_by_the_archive_parser() -> None:
    from listhaven.mail.message import SourceMessage
    from listhaven.mail.parse import parse_message

    done = replace_address(_with_parts(THUNDERBIRD_PART, LATIN1_PART), ADDRESS, NEW)
    names = [a.filename for a in parse_message(SourceMessage(done.raw, "test")).attachments]
    assert f"été-potager-{NEW}.patch" in names and all(WRITTEN not in n.lower() for n in names)
