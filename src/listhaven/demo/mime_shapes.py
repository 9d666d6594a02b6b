"""MIME bodies for synthetic mail: encodings, multiparts, attachments and broken structures.

`mime_body(kind, text, ...)` turns the text of a message into its MIME header lines and
body bytes, written by hand (string formatting, C-level codecs) rather than through
`email.message`, which would be about fifty times slower than the generator's budget.
"""

from __future__ import annotations

import base64
import binascii
import html
import random
import struct
import zlib
from dataclasses import dataclass

from listhaven.demo.words import diff_text

PLAIN = "plain"
FLOWED = "flowed"
QUOTED_PRINTABLE = "quoted-printable"
BASE64 = "base64"
ALTERNATIVE = "alternative"
ATTACH_PNG = "attachment-png"
ATTACH_PATCH = "attachment-patch"
ATTACH_PDF = "attachment-pdf"
HTML_ONLY = "html-only"
CHARSET_KINDS = {
    "charset-iso-8859-1": "iso-8859-1",
    "charset-windows-1252": "windows-1252",
    "charset-koi8-r": "koi8-r",
    "charset-iso-2022-jp": "iso-2022-jp",
    "charset-shift_jis": "shift_jis",
}
MISSING_MESSAGE_ID = "malformed-missing-message-id"
MISSING_DATE = "malformed-missing-date"
GARBLED_DATE = "malformed-garbled-date"
BROKEN_BOUNDARY = "malformed-broken-boundary"
UNKNOWN_CHARSET = "malformed-unknown-charset"
MALFORMED_KINDS = (MISSING_MESSAGE_ID, MISSING_DATE, GARBLED_DATE, BROKEN_BOUNDARY, UNKNOWN_CHARSET)
WELL_FORMED_KINDS = (
    PLAIN,
    FLOWED,
    QUOTED_PRINTABLE,
    BASE64,
    ALTERNATIVE,
    ATTACH_PNG,
    ATTACH_PATCH,
    ATTACH_PDF,
    HTML_ONLY,
    *CHARSET_KINDS,
)
ALL_KINDS = WELL_FORMED_KINDS + MALFORMED_KINDS
# Transfer encoding per legacy charset, as the mail clients of each script tend to send them.
_CHARSET_CTE = {
    "iso-8859-1": "quoted-printable",
    "windows-1252": "8bit",
    "koi8-r": "8bit",
    "iso-2022-jp": "7bit",
    "shift_jis": "base64",
}


@dataclass(frozen=True, slots=True)
class Blobs:
    """Attachments made once per generator: a few PNG images and PDF-like files, base64 ready."""

    png: tuple[tuple[str, str], ...]  # (filename, base64 text)
    pdf: tuple[tuple[str, str], ...]


def make_png(width: int, height: int, colour: tuple[int, int, int], stripe: int) -> bytes:
    """A valid RGB PNG: a plain colour with diagonal stripes every `stripe` pixels."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter type: none
        for x in range(width):
            rows.extend(b"\xff\xff\xff" if (x + y) % stripe == 0 else bytes(colour))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(rows))) + chunk(b"IEND", b"")
    )


def make_pdf(rng: random.Random, title: str) -> bytes:
    """Bytes shaped like a small PDF (header, objects, a binary stream, trailer); not meant to render."""
    stream = rng.randbytes(rng.randint(200, 900))
    return (
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        + f"2 0 obj\n<< /Title ({title}) /Length {len(stream)} >>\nstream\n".encode("ascii")
        + stream
        + b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )


def make_blobs(rng: random.Random) -> Blobs:
    def b64(data: bytes) -> str:
        return base64.encodebytes(data).decode("ascii")

    colours = ((200, 60, 40), (40, 140, 70), (30, 80, 190))
    png = tuple((f"photo-{i + 1}.png", b64(make_png(16 + 8 * i, 12 + 4 * i, c, 5 + i))) for i, c in enumerate(colours))
    pdf = tuple((f"{t.lower().replace(' ', '-')}.pdf", b64(make_pdf(rng, t))) for t in ("Minutes", "Plot map"))
    return Blobs(png=png, pdf=pdf)


def text_headers(charset: str, cte: str, flowed: bool = False) -> str:
    extra = "; format=flowed" if flowed else ""
    return f'Content-Type: text/plain; charset="{charset}"{extra}\nContent-Transfer-Encoding: {cte}\n'


def plain_part(text: str) -> tuple[str, bytes]:
    if text.isascii():
        return text_headers("us-ascii", "7bit"), text.encode("ascii")
    return text_headers("utf-8", "8bit"), text.encode("utf-8")


def qp_part(text: str, subtype: str = "plain") -> tuple[str, bytes]:
    body = binascii.b2a_qp(text.encode("utf-8"))
    head = f'Content-Type: text/{subtype}; charset="utf-8"\nContent-Transfer-Encoding: quoted-printable\n'
    return head, body


def charset_part(text: str, charset: str) -> tuple[str, bytes]:
    """The text in a legacy charset, with the transfer encoding that charset usually travels in."""
    data = text.encode(charset)
    cte = _CHARSET_CTE[charset]
    if cte == "quoted-printable":
        data = binascii.b2a_qp(data)
    elif cte == "base64":
        data = base64.encodebytes(data)
    return text_headers(charset, cte), data


def _quote_depth(line: str) -> tuple[int, str]:
    """Quote depth of a line written with "> " markers, and the text after them."""
    depth = 0
    while line.startswith(">"):
        depth += 1
        line = line[2:] if line[1:2] == " " else line[1:]
    return depth, line


def to_flowed(text: str) -> str:
    """RFC 3676 form: soft breaks end in a space, quotes as ``>>``, leading spaces stuffed."""
    lines = [_quote_depth(line) for line in text.split("\n")]
    out = []
    in_signature = False
    for i, (depth, rest) in enumerate(lines):
        if not depth and rest == "-- ":
            in_signature = True
            out.append(rest)
            continue
        next_depth, nxt = lines[i + 1] if i + 1 < len(lines) else (-1, "")
        soft = (
            not in_signature
            and next_depth == depth
            and len(rest) > 40
            and nxt != ""
            and not rest.startswith(" ")
            and not nxt.startswith(" ")
            and not rest.endswith(":")
        )
        if depth:
            line = ">" * depth + (" " + rest if rest else "")
        elif rest.startswith((" ", "From ")):
            line = " " + rest
        else:
            line = rest
        out.append(line + " " if soft else line.rstrip(" "))
    return "\n".join(out)


def html_from_text(text: str) -> str:
    """The HTML half of a multipart/alternative: paragraphs, quotes and code kept apart."""
    blocks = []
    for block in text.split("\n\n"):
        esc = html.escape(block)
        if block.startswith(">"):
            inner = "<br>\n".join(line.lstrip("> ") for line in esc.split("\n"))
            blocks.append(f'<blockquote type="cite" style="border-left:2px solid #ccc">{inner}</blockquote>')
        elif block.startswith("  "):
            blocks.append(f"<pre>{esc}</pre>")
        else:
            blocks.append("<p>" + esc.replace("\n", " ") + "</p>")
    body = "\n".join(blocks)
    return f'<html><head><meta charset="utf-8"></head><body><div dir="ltr">\n{body}\n</div></body></html>\n'


def _multipart(subtype: str, boundary: str, parts: list[tuple[str, bytes]], close: bool = True) -> tuple[str, bytes]:
    head = f'Content-Type: multipart/{subtype}; boundary="{boundary}"\n'
    chunks = [b"This is a multi-part message in MIME format.\n"]
    for part_head, part_body in parts:
        chunks.append(f"\n--{boundary}\n{part_head}\n".encode("ascii"))
        chunks.append(part_body)
    if close:
        chunks.append(f"\n--{boundary}--\n".encode("ascii"))
    return head, b"".join(chunks)


def _attachment(kind: str, rng: random.Random, blobs: Blobs, serial: int) -> tuple[str, bytes]:
    if kind == ATTACH_PATCH:
        name = f"000{serial % 9 + 1}-fix-queue-limit.patch"
        head = (
            f'Content-Type: text/x-patch; charset="us-ascii"; name="{name}"\n'
            f'Content-Disposition: attachment; filename="{name}"\nContent-Transfer-Encoding: 7bit\n'
        )
        return head, diff_text(rng, serial).encode("ascii")
    pool, ctype = (blobs.png, "image/png") if kind == ATTACH_PNG else (blobs.pdf, "application/pdf")
    name, data = pool[serial % len(pool)]
    head = (
        f'Content-Type: {ctype}; name="{name}"\nContent-Disposition: attachment; filename="{name}"\n'
        "Content-Transfer-Encoding: base64\n"
    )
    return head, data.encode("ascii")


def mime_body(kind: str, text: str, rng: random.Random, blobs: Blobs, serial: int) -> tuple[str, bytes]:
    """MIME header lines (ending in a newline, MIME-Version included) and body bytes for `kind`."""
    boundary = f"==============={serial:010d}{rng.getrandbits(24):06x}=="
    if kind == PLAIN or kind in (MISSING_MESSAGE_ID, MISSING_DATE, GARBLED_DATE):
        head, body = plain_part(text)
    elif kind == FLOWED:
        head, body = text_headers("utf-8", "8bit", flowed=True), to_flowed(text).encode("utf-8")
    elif kind == QUOTED_PRINTABLE:
        head, body = qp_part(text)
    elif kind == BASE64:
        head, body = text_headers("utf-8", "base64"), base64.encodebytes(text.encode("utf-8"))
    elif kind in CHARSET_KINDS:
        head, body = charset_part(text, CHARSET_KINDS[kind])
    elif kind == ALTERNATIVE:
        head, body = _multipart("alternative", boundary, [qp_part(text), qp_part(html_from_text(text), "html")])
    elif kind in (ATTACH_PNG, ATTACH_PATCH, ATTACH_PDF):
        head, body = _multipart("mixed", boundary, [plain_part(text), _attachment(kind, rng, blobs, serial)])
    elif kind == HTML_ONLY:
        head, body = qp_part(html_from_text(text), "html")
    elif kind == BROKEN_BOUNDARY:
        # The declared boundary never occurs in the body, and the parts are never closed.
        _, body = _multipart("mixed", boundary, [plain_part(text)], close=False)
        head = f'Content-Type: multipart/mixed; boundary="{boundary}-declared"\n'
    elif kind == UNKNOWN_CHARSET:
        head, body = text_headers("x-unknown-8bit-mac", "8bit"), text.encode("utf-8") + b"\nCaf\x8e cr\x8fme\n"
    else:
        raise ValueError(f"unknown message kind {kind!r}")
    return "MIME-Version: 1.0\n" + head, body
