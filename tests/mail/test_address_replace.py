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
