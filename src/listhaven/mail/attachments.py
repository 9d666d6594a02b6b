"""Attachment N of a message, cut from its raw bytes.

The numbering is the parser's (`AttachmentInfo.index`): the message's leaf parts in walk
order, the one chosen as the body left out. The leaves are found exactly as `parse.py` finds
them, so the Nth attachment here is the Nth attachment the archive listed.
"""

from __future__ import annotations

from dataclasses import dataclass

from listhaven.mail.filenames import safe_filename
from listhaven.mail.headers import split_message
from listhaven.mail.limits import DEFAULT_LIMITS, ParseLimits
from listhaven.mail.mime import Leaf, decode_payload, mime_leaves


@dataclass(frozen=True, slots=True)
class AttachmentPart:
    """The decoded bytes of one attachment and what its part declared."""

    index: int
    filename: str  # sanitised as the parser does (never empty, no separators or controls)
    content_type: str  # lower-case type/subtype
    charset: str | None  # the part's charset parameter, for text types
    data: bytes


def _leaves(raw: bytes, limits: ParseLimits) -> list[Leaf]:
    headers, body, _ = split_message(raw)
    if not headers:
        return []
    return mime_leaves(headers, body, limits)[0]


def _body_leaf(leaves: list[Leaf]) -> int | None:
    """The leaf shown as the body: the first text/plain, else the first text/html, not an attachment.

    Mirrors `body.extract_body`; a test checks both agree on every fixture message.
    """
    for wanted in ("text/plain", "text/html"):
        for index, leaf in enumerate(leaves):
            if leaf.content_type == wanted and not leaf.attachment:
                return index
    return None


def attachment_leaves(raw: bytes, limits: ParseLimits = DEFAULT_LIMITS) -> list[Leaf]:
    """The message's attachments as undecoded leaves, in the parser's order."""
    try:
        leaves = _leaves(raw, limits)
    except Exception:  # noqa: BLE001 - the parser then read the message as text: no attachments
        return []
    chosen = _body_leaf(leaves)
    return [leaf for position, leaf in enumerate(leaves) if position != chosen]


def extract_attachment(raw: bytes, index: int, limits: ParseLimits = DEFAULT_LIMITS) -> AttachmentPart | None:
    """Attachment `index` (from 0) of the raw message, decoded; None when there is no such part."""
    if index < 0:
        return None
    leaves = attachment_leaves(raw, limits)
    if index >= len(leaves):
        return None
    leaf = leaves[index]
    data, _ = decode_payload(leaf)
    return AttachmentPart(
        index=index,
        filename=safe_filename(leaf.filename, index, leaf.content_type),
        content_type=leaf.content_type[:100],
        charset=leaf.params.get("charset"),
        data=data,
    )
