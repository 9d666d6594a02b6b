"""Small messages for the parser's golden files (tests/mail/golden/parse/NAME.eml and NAME.json).

Each case is built here, by code, from invented names on RFC 2606 domains, so the inputs are the
project's own and can be remade: ``pytest tests/mail/test_parse_golden.py --regen-golden`` writes
each ``.eml`` and the ``.json`` of what the parser makes of it; review the diff before committing.
A case covers one thing the parser must get right and that a reader of the diff can check by eye.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

_HEAD = (
    "From: Ada Lovelace <ada@Example.ORG>\n"
    "To: harbour-dev@lists.example.org\n"
    "Date: Tue, 05 Mar 2024 10:15:00 +0100\n"
)


def _message(extra_headers: str, body: str, subject: str = "[Harbour-dev] Queue limits") -> bytes:
    return (_HEAD + f"Subject: {subject}\n" + extra_headers + "\n" + body).encode("utf-8")


def plain() -> bytes:
    return _message("Message-ID: <plain@example.org>\n", "The queue is bounded at 1000 entries.\n\n-- \nAda\n")


def reply_with_references() -> bytes:
    return _message(
        "Message-ID: <reply@example.org>\n"
        "In-Reply-To: <parent@example.org>\n"
        "References: <root@example.org>\n <parent@example.org>\n",
        "> Why 1000?\n\nBecause the tests use it.\n",
        subject="Re: AW: [Harbour-dev] Queue limits",
    )


def in_reply_to_only() -> bytes:
    return _message(
        "Message-ID: <only-irt@example.org>\nIn-Reply-To: Your message of Monday <parent@example.org>\n",
        "Thanks.\n",
        subject="Re: [Harbour-dev] Queue limits",
    )


def no_message_id() -> bytes:
    return _message("", "A message whose client wrote no Message-ID.\n")


def encoded_words() -> bytes:
    return (
        "From: =?utf-8?q?Tom=C3=A1s_Lindqvist?= <tomas@example.com>\n"
        "To: reading-circle@lists.example.com\n"
        "Cc: =?iso-8859-1?q?J=F6rg?= <jorg@example.net>, bob@example.net\n"
        "Date: Sun, 17 Aug 2014 09:05:09 -0600\n"
        "Subject: =?utf-8?b?" + base64.b64encode("Über die Kanäle".encode()).decode() + "?=\n"
        "Message-ID: <encoded@example.com>\n"
        "MIME-Version: 1.0\n"
        'Content-Type: text/plain; charset="utf-8"\n'
        "Content-Transfer-Encoding: 8bit\n"
        "\n"
        "Grüße aus der Bibliothek.\n"
    ).encode("utf-8")


def latin1_quoted_printable() -> bytes:
    return (
        _HEAD + "Subject: =?iso-8859-1?q?Caf=E9_cr=E8me?=\nMessage-ID: <qp@example.org>\nMIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n"
        "Un caf=E9 cr=E8me, s'il vous pla=EEt. A line that is long enough to be soft=\n-broken.\n"
    ).encode("ascii")


def format_flowed() -> bytes:
    return _message(
        "Message-ID: <flowed@example.org>\nMIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8; format=flowed; delsp=no\n",
        "This paragraph was written as one line and \nwrapped by the client with \ntrailing spaces.\n\n> A quoted \n> line.\n",
    )


def html_only() -> bytes:
    return _message(
        "Message-ID: <html@example.org>\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n",
        "<html><body><p>Hello <b>list</b>,</p><ul><li>one</li><li>two</li></ul>"
        "<script>alert(1)</script><p>See <a href=\"https://example.org/x\">the notes</a>.</p></body></html>\n",
    )


def alternative_with_attachment() -> bytes:
    patch = "--- a/queue.c\n+++ b/queue.c\n@@ -1 +1 @@\n-int limit = 100;\n+int limit = 1000;\n"
    return _message(
        "Message-ID: <mixed@example.org>\nMIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="outer"\n',
        "This is a multi-part message in MIME format.\n"
        "--outer\n"
        'Content-Type: multipart/alternative; boundary="inner"\n\n'
        "--inner\nContent-Type: text/plain; charset=utf-8\n\nThe patch is attached.\n"
        "--inner\nContent-Type: text/html; charset=utf-8\n\n<p>The patch is <i>attached</i>.</p>\n"
        "--inner--\n"
        "--outer\n"
        "Content-Type: text/x-diff; name=\"limit.patch\"\n"
        "Content-Disposition: attachment; filename*=utf-8''l%C3%ADmit%2Fraise.patch\n"
        "Content-Transfer-Encoding: base64\n\n"
        + base64.encodebytes(patch.encode()).decode()
        + "--outer--\n",
    )


def broken_date_and_from() -> bytes:
    return (
        "From: not an address at all\n"
        "To: harbour-dev@lists.example.org\n"
        "Date: sometime last Tuesday\n"
        "Received: from mx.example.org by lists.example.org; Wed, 06 Mar 2024 08:00:00 +0000\n"
        "Subject: [Harbour-dev] dates\n"
        "Message-ID: <broken-date@example.org>\n"
        "\n"
        "The Date header cannot be read; Received can.\n"
    ).encode("ascii")


def undeclared_8bit_cp1252() -> bytes:
    return _HEAD.encode() + b"Subject: quotes\nMessage-ID: <cp1252@example.org>\n\n\x93Smart\x94 quotes \x96 and a dash.\n"


PARSE_CASES: dict[str, Callable[[], bytes]] = {
    case.__name__.replace("_", "-"): case
    for case in (
        plain, reply_with_references, in_reply_to_only, no_message_id, encoded_words, latin1_quoted_printable,
        format_flowed, html_only, alternative_with_attachment, broken_date_and_from, undeclared_8bit_cp1252,
    )
}
