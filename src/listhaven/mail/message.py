"""The records the mail layer hands to the rest of Listhaven.

`SourceMessage` is what a reader (mbox, Maildir, Pipermail text, stdin, LMTP) yields:
the bytes of one message and where they came from. `ParsedMessage` is what
`parse_message` makes of those bytes: every field the archive stores, normalised.
Both are plain data; nothing here touches a database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

DateSource = Literal["date", "received", "from_line", "none"]
BodySource = Literal["text/plain", "text/html", "none"]


@dataclass(frozen=True, slots=True)
class Address:
    """A mailbox as shown to readers: display name (may be empty) and address (lower-cased domain)."""

    name: str
    email: str

    def display(self) -> str:
        return self.name or self.email


@dataclass(frozen=True, slots=True)
class SourceMessage:
    """One message as read from a source, before parsing.

    `origin` names the place for error messages and quarantine reasons
    (``archive.mbox#1234`` = the 1234th message of that file, counted from 1).
    `from_line` is the mbox ``From `` separator line without the leading ``From ``,
    when the source has one; it is a last-resort date.
    """

    raw: bytes
    origin: str
    from_line: str | None = None


@dataclass(frozen=True, slots=True)
class AttachmentInfo:
    """One MIME part that is not the body shown to readers."""

    index: int  # position among the message's attachments, from 0; stable for URLs
    filename: str  # sanitised: no path separators or control characters; never empty
    content_type: str  # lower-case type/subtype as declared
    size: int  # decoded bytes


@dataclass(slots=True)
class ParsedMessage:
    """The normalised record of one message.

    message_id: normalised (no angle brackets, no surrounding space); derived from the
        bytes when the message had none (see `message_id_derived`).
    references: the ancestry, oldest first, normalised, without duplicates and without the
        message's own id; In-Reply-To is folded in as the last element when References lacks it.
    date: timezone-aware, in UTC; `utc_offset_minutes` is the sender's offset.
    subject: as received (RFC 2047 decoded), list tag kept; `subject_normalised` has list tags
        and reply/forward prefixes removed, whitespace collapsed.
    body_text: the best text body (text/plain preferred, HTML converted to text),
        format=flowed joined, always a str.
    content_hash: hex digest over the parts that make two copies "the same message",
        used to tell a duplicate from a different message reusing a Message-ID.
    defects: short human-readable notes of what was repaired while parsing.
    """

    message_id: str
    message_id_derived: bool
    in_reply_to: str | None
    references: tuple[str, ...]
    sender: Address
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    date: datetime
    utc_offset_minutes: int
    date_source: DateSource
    subject: str
    subject_normalised: str
    body_text: str
    body_source: BodySource
    attachments: tuple[AttachmentInfo, ...]
    content_hash: str
    size: int
    list_id: str | None = None
    defects: tuple[str, ...] = field(default_factory=tuple)


class UnparseableMessage(ValueError):
    """Raised when bytes cannot be made into a message at all; `reason` goes to quarantine."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
