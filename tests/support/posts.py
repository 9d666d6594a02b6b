"""Posts as members send them, for the decoration tests and golden files: one function per shape.

Each returns raw bytes with LF line ends (as an MUA's outbox or an mbox would hold them); decoration must
turn them into CRLF. The signed and encrypted shapes carry armour that is well-formed but not a real
signature: the tests check that their bytes are untouched, not that they verify.
"""

from __future__ import annotations

import zlib

LIST_ADDRESS = "harbour-dev@lists.example.org"


def _head(subject: bytes, extra: bytes = b"", sender: bytes = b"Ada Lovelace <ada@example.org>") -> bytes:
    return (
        b"From: " + sender + b"\n"
        b"To: " + LIST_ADDRESS.encode() + b"\n"
        b"Subject: " + subject + b"\n"
        b"Date: Tue, 05 Mar 2024 10:15:00 +0100\n"
        b"Message-ID: <post-" + b"%08x" % zlib.crc32(subject) + b"@example.org>\n"
        + extra
    )


def plain_post(subject: bytes = b"Tide tables for March", extra: bytes = b"") -> bytes:
    return _head(subject, extra + b"MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n"
                 b"Content-Transfer-Encoding: 7bit\n") + b"\nHello all,\n\nThe March tables are up.\n\nAda\n"


def rfc2047_post() -> bytes:
    """A Subject in ISO-8859-1 encoded words, a UTF-8 body."""
    return _head(
        b"=?iso-8859-1?q?Caf=E9_on_the_quay=2C_=E0_bient=F4t?=",
        b"MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n",
    ) + "\nÀ bientôt au café du port.\n".encode()


def tagged_reply() -> bytes:
    return _head(
        b"Re: [Harbour-dev] Tide tables for March",
        b"In-Reply-To: <tides@example.org>\nReferences: <tides@example.org>\nMIME-Version: 1.0\n"
        b"Content-Type: text/plain; charset=us-ascii; format=flowed\n",
        sender=b"Grace Hopper <grace@example.net>",
    ) + b"\nAda Lovelace wrote:\n> The March tables are up.\n\nThanks, \nGrace\n"


def alternative_post() -> bytes:
    return _head(
        b"Harbour lights",
        b'MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary="alt-7f3a"\n',
    ) + (
        b"\n--alt-7f3a\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
        b"The lights are on =E2=80=94 come by.\n"
        b"--alt-7f3a\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
        b"<html><body><p>The lights are on =E2=80=94 come by.</p></body></html>\n"
        b"--alt-7f3a--\n"
    )


SIGNED_BODY = (
    b"--sig-42\nContent-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: 7bit\n\n"
    b"The harbour master confirms the dredging dates.   \n\n-- \nAda\n"
    b"--sig-42\nContent-Type: application/pgp-signature; name=\"signature.asc\"\n"
    b"Content-Description: OpenPGP digital signature\n\n"
    b"-----BEGIN PGP SIGNATURE-----\n\niHUEARYKAB0WIQTd0eQ2bS8J0xNRcQ7y5uYJ3Vm4kQUCZe8x9gAKCRDy5uYJ3Vm4\n"
    b"kU5cAP9Hl0dummyarmourdummyarmour=\n=x9Zq\n-----END PGP SIGNATURE-----\n"
    b"--sig-42--\n"
)


def signed_post() -> bytes:
    """multipart/signed (RFC 3156): trailing spaces and the signature separator inside the signed part."""
    return _head(
        b"Dredging dates",
        b"MIME-Version: 1.0\nContent-Type: multipart/signed; micalg=pgp-sha256;\n"
        b' protocol="application/pgp-signature"; boundary="sig-42"\n',
    ) + b"\nThis is an OpenPGP/MIME signed message (RFC 4880 and 3156)\n" + SIGNED_BODY


def encrypted_post() -> bytes:
    return _head(
        b"Sealed",
        b'MIME-Version: 1.0\nContent-Type: multipart/encrypted; protocol="application/pgp-encrypted";\n'
        b' boundary="enc-9"\n',
    ) + (
        b"\n--enc-9\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n"
        b"--enc-9\nContent-Type: application/octet-stream; name=\"encrypted.asc\"\n\n"
        b"-----BEGIN PGP MESSAGE-----\n\nhF4DdummyDUMMYdummy\n-----END PGP MESSAGE-----\n--enc-9--\n"
    )


def mixed_post() -> bytes:
    return _head(
        b"Chart attached",
        b'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="mix-1"\n',
    ) + (
        b"\nThis is a multi-part message in MIME format.\n"
        b"--mix-1\nContent-Type: text/plain; charset=us-ascii\n\nChart below.\n"
        b"--mix-1\nContent-Type: application/pdf; name=chart.pdf\nContent-Transfer-Encoding: base64\n"
        b"Content-Disposition: attachment; filename=chart.pdf\n\nJVBERi0xLjQKJcfsj6IKMSAwIG9iago8PD4+CmVuZG9iagp0cmFpbGVyCjw8Pj4KJSVFT0YK\n"
        b"--mix-1--\n"
    )


def html_post() -> bytes:
    return _head(b"Notice", b"MIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n") + (
        b"\n<html><body><p>Quay closed <b>Sunday</b>.</p></body></html>\n"
    )


def quoted_printable_post() -> bytes:
    return _head(
        b"Long line",
        b"MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n",
    ) + b"\nA line that the sender's client chose to wrap softly =\nat seventy-six.\n"


def base64_post() -> bytes:
    return _head(
        b"Encoded",
        b"MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n",
    ) + b"\nSGVsbG8gZnJvbSB0aGUgcXVheS4K\n"


def latin1_post() -> bytes:
    return _head(
        b"Horaires",
        b"MIME-Version: 1.0\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n",
    ) + "\nLes marées de mars sont publiées.\n".encode("iso-8859-1")


def bare_post() -> bytes:
    """No MIME fields at all and no Subject: RFC 822 text."""
    return (
        b"From: ada@example.org\nTo: " + LIST_ADDRESS.encode() + b"\nDate: Tue, 05 Mar 2024 10:15:00 +0100\n"
        b"Message-ID: <bare@example.org>\n\nNo subject, no MIME.\n"
    )


SHAPES = {
    "plain": plain_post,
    "rfc2047-subject": rfc2047_post,
    "tagged-reply": tagged_reply,
    "alternative": alternative_post,
    "signed": signed_post,
    "encrypted": encrypted_post,
    "mixed": mixed_post,
    "html": html_post,
    "quoted-printable": quoted_printable_post,
    "base64": base64_post,
    "latin1": latin1_post,
    "bare": bare_post,
}
