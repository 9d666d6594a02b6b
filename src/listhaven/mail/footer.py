"""The list's footer: rendered from its template, then placed where it cannot damage the post.

Placement, by the post's top-level type:

- ``text/plain`` (not an attachment) in 7bit/8bit/binary: appended to the text when its charset can carry
  the footer (us-ascii, utf-8, or an ASCII-compatible charset for an ASCII footer; a us-ascii text is
  relabelled utf-8 when needed). The Content-Transfer-Encoding becomes 8bit when 8-bit bytes appear.
- ``multipart/mixed``: a new ``text/plain`` part after the others.
- anything else (quoted-printable or base64 text, multipart/alternative, HTML alone, multipart/signed,
  multipart/encrypted, message/rfc822, ...): the post becomes the first part of a new ``multipart/mixed``,
  byte for byte (its Content-* fields move with it), and the footer part follows. Nothing inside a signed
  or encrypted part is ever touched.

The footer part is 7bit (ASCII) or 8bit UTF-8, never quoted-printable or base64, so what the footer holds,
personalisation markers included, stays byte for byte in the message and on one line.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

from listhaven.mail.charsets import resolve_charset
from listhaven.mail.headers import parse_content_type, parse_params
from listhaven.mail.rawedit import EditableMessage

PLACEHOLDERS = (
    "list_name", "list_address", "list_id", "description", "listinfo_url", "archive_url", "help_url",
    "owner_address", "request_address", "unsubscribe_url", "options_url", "member_address",
)
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_UNENCODED = {"", "7bit", "8bit", "binary"}


def render_footer(template: str, values: Mapping[str, str]) -> str:
    """`template` with each ``{name}`` of `values` replaced; unknown ``{...}`` stay as written.

    A plain substitution, not str.format: list owners edit footers, and format() would let them reach
    attributes (``{x.__class__}``) or fail on a stray brace.
    """
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def add_footer(message: EditableMessage, footer: str, *, utf8_only: bool = False) -> bool:
    """Place `footer` in `message` (rules above); True when the body changed.

    `utf8_only`: the footer will receive text that may not be ASCII after it is placed (a member's
    address), so it may only join a us-ascii or utf-8 text; otherwise it goes in its own UTF-8 part.
    """
    if not footer.strip():
        return False
    ctype_field = message.get("Content-Type")
    ctype, params = parse_content_type(ctype_field.text() if ctype_field else None)
    cte_field = message.get("Content-Transfer-Encoding")
    cte = cte_field.text().lower() if cte_field else ""
    disposition = message.get("Content-Disposition")
    inline = disposition is None or parse_params(disposition.text())[0] != "attachment"
    if ctype == "text/plain" and cte in _UNENCODED and inline and _append(message, params, footer, utf8_only):
        return True
    boundary = params.get("boundary", "")
    if ctype == "multipart/mixed" and boundary.isascii() and boundary and _insert_part(message, boundary, footer, utf8_only):
        return True
    _wrap(message, footer, utf8_only)
    return True


def footer_lines(footer: str, flowed: bool = False) -> str:
    """CRLF lines, trailing spaces dropped (they would mean "flowed") except the ``-- `` signature line,
    no trailing blank lines; in format=flowed text, lines space-stuffed as RFC 3676 §4.4 asks."""
    lines = footer.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out = [line if line == "-- " else line.rstrip() for line in lines]
    while out and not out[-1]:
        out.pop()
    if flowed:
        out = [" " + line if line.startswith((" ", ">", "From ")) else line for line in out]
    return "".join(line + "\r\n" for line in out)


def _append(message: EditableMessage, params: dict[str, str], footer: str, utf8_only: bool) -> bool:
    charset = params.get("charset", "us-ascii").strip().lower()
    codec = resolve_charset(charset) if charset else "ascii"
    flowed = params.get("format", "").lower() == "flowed"
    text = footer_lines(footer, flowed)
    relabel = False
    if codec == "ascii":
        if not (text.isascii() and not utf8_only):
            if not message.body.isascii():
                return False  # 8-bit text labelled us-ascii: we cannot know what it is
            relabel = True
        data = text.encode("utf-8")
    elif codec == "utf-8":
        data = text.encode("utf-8")
    elif utf8_only or not codec:
        return False
    else:
        try:
            data = text.encode(codec)
        except (UnicodeError, LookupError):
            return False
        if text.isascii() and data != text.encode("ascii"):
            return False  # utf-7, hz and the like: ASCII is not ASCII there
    body = message.body
    if body and not body.endswith(b"\r\n"):
        body += b"\r\n"
    message.body = body + data
    if relabel:
        params = {**params, "charset": "utf-8"}
        message.replace("Content-Type", _content_type("text/plain", params))
        _ensure_mime_version(message)
    if not data.isascii():
        cte = message.get("Content-Transfer-Encoding")
        if cte is None or cte.text().lower() == "7bit":
            message.replace("Content-Transfer-Encoding", b" 8bit")
    return True


def _insert_part(message: EditableMessage, boundary: str, footer: str, utf8_only: bool) -> bool:
    delimiter = re.escape(boundary.encode("ascii"))
    opening = re.search(rb"(?m)^--" + delimiter + rb"[ \t]*\r$", message.body)
    closing = re.search(rb"(?m)^--" + delimiter + rb"--", message.body)
    if opening is None or closing is None or closing.start() < opening.start():
        return False
    part = b"--" + boundary.encode("ascii") + b"\r\n" + _footer_part(footer, utf8_only) + b"\r\n"
    message.body = message.body[: closing.start()] + part + message.body[closing.start() :]
    return True


def _wrap(message: EditableMessage, footer: str, utf8_only: bool) -> None:
    message.remove("Content-Length")
    inner = [f for f in message.fields if f.name.lower().startswith("content-")]
    message.fields = [f for f in message.fields if not f.name.lower().startswith("content-")]
    inner_head = b"".join(f.name.encode("ascii") + b":" + f.value + b"\r\n" for f in inner)
    boundary = _new_boundary(message.body)
    mark = b"--" + boundary.encode("ascii")
    message.body = (
        mark + b"\r\n" + inner_head + b"\r\n" + message.body + b"\r\n"
        + mark + b"\r\n" + _footer_part(footer, utf8_only) + b"\r\n" + mark + b"--\r\n"
    )
    _ensure_mime_version(message)
    message.append("Content-Type", f' multipart/mixed; boundary="{boundary}"'.encode("ascii"))


def _footer_part(footer: str, utf8_only: bool) -> bytes:
    text = footer_lines(footer)
    ascii_only = text.isascii()
    charset = "us-ascii" if ascii_only and not utf8_only else "utf-8"
    head = (
        f'Content-Type: text/plain; charset="{charset}"\r\n'
        f"Content-Transfer-Encoding: {'7bit' if ascii_only else '8bit'}\r\n"
        "Content-Disposition: inline\r\n\r\n"
    )
    return head.encode("ascii") + text.encode("utf-8")


def _new_boundary(body: bytes) -> str:
    """Derived from the body, so the same post always decorates to the same bytes; never in the body."""
    seed = hashlib.sha256(body).hexdigest()
    for attempt in range(100):
        boundary = f"=_lh_{seed[:32]}_{attempt}"
        if boundary.encode("ascii") not in body:
            return boundary
    raise ValueError("no free MIME boundary")  # 100 hashes of one body all inside it: not a real message


def _content_type(ctype: str, params: dict[str, str]) -> bytes:
    rest = "".join(f'; {k}="{v}"' for k, v in params.items() if v.isascii() and '"' not in v)
    return f" {ctype}{rest}".encode("ascii")


def _ensure_mime_version(message: EditableMessage) -> None:
    if message.get("MIME-Version") is None:
        message.append("MIME-Version", b" 1.0")
