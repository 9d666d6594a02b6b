"""bytes → ParsedMessage: the one entry point of message parsing.

`parse_message` raises `UnparseableMessage` only when the bytes are not a message at all
(empty, no header fields, over the size or part limits). Everything else is parsed with
fallbacks, and what was repaired is listed in `ParsedMessage.defects`.
"""

from __future__ import annotations

import hashlib
import re

from listhaven.mail.addresses import (
    parse_address,
    parse_address_checked,
    parse_address_list,
)
from listhaven.mail.body import Body, extract_body
from listhaven.mail.dates import message_date
from listhaven.mail.headers import HeaderBlock, header_text, split_message, unfold
from listhaven.mail.ids import (
    DEFAULT_DERIVED_ID_DOMAIN,
    derived_message_id,
    normalise_message_id,
    referenced_ids,
)
from listhaven.mail.limits import DEFAULT_LIMITS, ParseLimits
from listhaven.mail.message import ParsedMessage, SourceMessage, UnparseableMessage
from listhaven.mail.mime import Leaf, mime_leaves
from listhaven.mail.subjects import decode_subject, normalise_subject

__all__ = [
    "DEFAULT_LIMITS",
    "ParseLimits",
    "UnparseableMessage",
    "content_hash",
    "normalise_subject",
    "parse_address",
    "parse_address_list",
    "parse_message",
]

_ID_UNSAFE = re.compile(r"[\x00-\x20\x7f]")
_LIST_ID = re.compile(r"<([^<>]*)>")
_SPACE = re.compile(r"\s")  # what str.isspace() calls space
MAX_ID_CHARS = 995  # an RFC 5322 line; anything longer is not an id
MAX_REFERENCES = 500


def parse_message(
    source: SourceMessage, limits: ParseLimits = DEFAULT_LIMITS, id_domain: str = DEFAULT_DERIVED_ID_DOMAIN
) -> ParsedMessage:
    """Parse one message. Raises only UnparseableMessage, with a reason fit for quarantine.

    A message without a usable Message-ID gets one derived from its bytes, in `id_domain` (the store's)."""
    raw = source.raw
    if not raw.strip():
        raise UnparseableMessage("empty message")
    if len(raw) > limits.max_bytes:
        raise UnparseableMessage(f"message of {len(raw)} bytes is over the limit of {limits.max_bytes} bytes")
    try:
        return _parse(source, limits, id_domain)
    except UnparseableMessage:
        raise
    except Exception as exc:  # noqa: BLE001 - the contract: no other exception escapes
        return _parse_as_text(source, limits, id_domain, f"parser failure ({type(exc).__name__}): read as plain text")


def _parse(source: SourceMessage, limits: ParseLimits, id_domain: str) -> ParsedMessage:
    headers, body, defects = split_message(source.raw)
    if not headers:
        raise UnparseableMessage("no header fields: not a mail message")
    leaves, mime_defects = mime_leaves(headers, body, limits)
    defects.extend(mime_defects)
    return _record(source, headers, body, limits, id_domain, extract_body(leaves), defects)


def _parse_as_text(source: SourceMessage, limits: ParseLimits, id_domain: str, reason: str) -> ParsedMessage:
    """Last resort after an unexpected failure: header fields as found, body as plain text."""
    try:
        headers, body, defects = split_message(source.raw)
        if not headers:
            raise UnparseableMessage("no header fields: not a mail message")
        leaves = [_as_text_leaf(body)]
        return _record(source, headers, body, limits, id_domain, extract_body(leaves), [*defects, reason])
    except UnparseableMessage:
        raise
    except Exception as exc:  # noqa: BLE001
        raise UnparseableMessage(f"unreadable message ({type(exc).__name__})") from None


def _as_text_leaf(body: bytes) -> Leaf:
    return Leaf("text/plain", {}, False, None, "", body)


def _record(
    source: SourceMessage, headers: HeaderBlock, body: bytes, limits: ParseLimits, id_domain: str, parts: Body,
    defects: list[str],
) -> ParsedMessage:
    message_id, derived = _message_id(headers, source.raw, id_domain, defects)
    in_reply_to, references = _ancestry(headers, message_id)
    cut = limits.max_header_chars
    # Read once: the content hash takes these raw values too.
    raw_date, raw_from, raw_subject = headers.raw("date"), headers.raw("from"), headers.raw("subject")
    sender, defect = parse_address_checked(header_text(raw_from)[:cut] or None if raw_from is not None else None)
    if defect:
        defects.append(defect)
    to = parse_address_list(", ".join(headers.all_text("to"))[:cut], limits.max_addresses)
    cc = parse_address_list(", ".join(headers.all_text("cc"))[:cut], limits.max_addresses)
    received = headers.fields.get(b"received", [])[-5:]
    when = message_date(None if raw_date is None else header_text(raw_date),
                        lambda: [header_text(unfold(v)) for v in received], source.from_line or _unixfrom(source.raw))
    if when.defect:
        defects.append(when.defect)
    subject = decode_subject(header_text(raw_subject)[:cut] if raw_subject is not None else "")
    defects.extend(parts.defects)
    return ParsedMessage(
        message_id=message_id,
        message_id_derived=derived,
        in_reply_to=in_reply_to,
        references=references,
        sender=sender,
        to=to,
        cc=cc,
        date=when.when,
        utc_offset_minutes=when.utc_offset_minutes,
        date_source=when.source,
        subject=subject,
        subject_normalised=normalise_subject(subject),
        body_text=parts.text,
        body_source=parts.source,
        attachments=parts.attachments,
        content_hash=_content_hash("" if derived else message_id, raw_date, raw_from, raw_subject, body),
        size=len(source.raw),
        list_id=_list_id(headers.text("list-id")),
        defects=tuple(dict.fromkeys(defects)),
    )


def _clean_id(value: str | None) -> str | None:
    """A normalised id without control characters or spaces; None when empty or absurdly long."""
    if not value:
        return None
    if _ID_UNSAFE.search(value):
        value = _ID_UNSAFE.sub("", value)
    return value if 0 < len(value) <= MAX_ID_CHARS else None


def _message_id(headers: HeaderBlock, raw: bytes, id_domain: str, defects: list[str]) -> tuple[str, bool]:
    value = headers.text("message-id")
    message_id = _clean_id(normalise_message_id(value[:4 * MAX_ID_CHARS] if value else None))
    if message_id is not None:
        return message_id, False
    defects.append("no usable Message-ID: id derived from the bytes" if value else "no Message-ID: id derived from the bytes")
    return derived_message_id(raw, id_domain), True


def _ancestry(headers: HeaderBlock, message_id: str) -> tuple[str | None, tuple[str, ...]]:
    """(in_reply_to, references oldest first): References, then In-Reply-To when missing from it."""
    found: list[str] = []
    for value in headers.all_text("references"):
        found.extend(referenced_ids(value))
    in_reply_to = None
    for value in headers.all_text("in-reply-to"):
        ids = referenced_ids(value)
        if ids:
            in_reply_to = _clean_id(ids[0])
            break
    if in_reply_to == message_id:
        in_reply_to = None
    if in_reply_to is not None:
        found.append(in_reply_to)
    cleaned = (_clean_id(item) for item in found)
    unique = [item for item in dict.fromkeys(cleaned) if item is not None and item != message_id]
    return in_reply_to, tuple(unique[-MAX_REFERENCES:])


def _list_id(value: str | None) -> str | None:
    if not value:
        return None
    match = _LIST_ID.search(value)
    found = match.group(1).strip() if match else value.strip()
    if not found or _SPACE.search(found):
        return None
    return found[:255]


def _unixfrom(raw: bytes) -> str | None:
    if not raw.startswith(b"From "):
        return None
    return raw[5 : raw.find(b"\n", 0, 1000)].decode("latin-1").strip()


def content_hash(message_id: str, headers: HeaderBlock, body: bytes) -> str:
    """SHA-256 over the id, the raw Date, From and Subject values and the body.

    Transport headers (Received, DKIM, list footers in headers) are left out so that two
    deliveries of one message hash equal; line endings and trailing whitespace at the end of
    the body are normalised because mbox writers differ in both.
    """
    return _content_hash(message_id, headers.raw("date"), headers.raw("from"), headers.raw("subject"), body)


def _content_hash(message_id: str, date: bytes | None, sender: bytes | None, subject: bytes | None,
                  body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (message_id.encode("utf-8", "surrogateescape"), date, sender, subject):
        data = part or b""
        digest.update(b"%d:" % len(data))
        digest.update(data)
    # Most bodies hold no CR at all, and looking for one byte is far quicker than for two.
    digest.update((body.replace(b"\r\n", b"\n") if b"\r" in body else body).rstrip())
    return digest.hexdigest()
