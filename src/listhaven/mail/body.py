"""The text shown to readers, chosen among a message's leaf parts, and the rest as attachments."""

from __future__ import annotations

from dataclasses import dataclass

from listhaven.mail.charsets import decode_text
from listhaven.mail.filenames import safe_filename
from listhaven.mail.flowed import unflow
from listhaven.mail.html_text import html_to_text
from listhaven.mail.message import AttachmentInfo, BodySource
from listhaven.mail.mime import Leaf, decode_payload


@dataclass(frozen=True, slots=True)
class Body:
    """What a message shows: its text, where the text came from, and the other parts."""

    text: str
    source: BodySource
    attachments: tuple[AttachmentInfo, ...]
    defects: tuple[str, ...]


def leaf_text(leaf: Leaf, data: bytes) -> tuple[str, list[str]]:
    """Decoded payload bytes as text: charset decoded, \\n line endings, no NULs, flowed joined."""
    defects: list[str] = []
    text, defect = decode_text(data, leaf.params.get("charset"))
    if defect:
        defects.append(defect)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        text = text.replace("\x00", "")
        defects.append("NUL characters removed from the body")
    if leaf.content_type == "text/html":
        return html_to_text(text), defects
    if leaf.params.get("format") == "flowed":
        text = unflow(text, leaf.params.get("delsp") == "yes")
    return text, defects


def _choose(leaves: list[Leaf]) -> int | None:
    for wanted in ("text/plain", "text/html"):
        for index, leaf in enumerate(leaves):
            if leaf.content_type == wanted and not leaf.attachment:
                return index
    return None


def extract_body(leaves: list[Leaf]) -> Body:
    """The body text from the first readable text part; every other leaf as an attachment."""
    defects: list[str] = []
    chosen = _choose(leaves)
    body_text = ""
    body_source: BodySource = "none"
    attachments: list[AttachmentInfo] = []
    for index, leaf in enumerate(leaves):
        defects.extend(leaf.defects)
        data, defect = decode_payload(leaf)
        if defect:
            defects.append(defect)
        if index == chosen:
            body_text, text_defects = leaf_text(leaf, data)
            body_source = "text/html" if leaf.content_type == "text/html" else "text/plain"
            defects.extend(text_defects)
            continue
        position = len(attachments)
        name = safe_filename(leaf.filename, position, leaf.content_type)
        attachments.append(AttachmentInfo(position, name, leaf.content_type[:100], len(data)))
    return Body(body_text, body_source, tuple(attachments), tuple(defects))
