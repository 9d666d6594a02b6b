"""Named rows of `archive_message`: the one mapping from a parsed message to its stored columns,
and the columns the thread code reads back.

The ingest writes rows with multi-row INSERTs and reads them as tuples (the ORM would cost it
a third of its speed); these NamedTuples give those tuples names, and their field names are the
columns', so a query can ask for `TreeRow._fields` and a writer for `ParsedFields._fields`.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from listhaven.mail.message import ParsedMessage
from listhaven.mail.threading import ThreadItem


class ParsedFields(NamedTuple):
    """The columns that come from parsing a message's bytes: written by the ingest, refreshed by
    `listhaven reindex`. A message's identity (Message-ID, content hash, size, public id) is not
    among them: it is fixed when the message is first stored, so links never change."""

    in_reply_to: str
    references: str  # one id a line, oldest first
    sender_name: str
    sender_email: str
    recipients: dict[str, list[list[str]]]  # {"to": [[name, email], ...], "cc": [...]}
    subject: str
    subject_normalised: str
    date: datetime
    utc_offset: int
    date_source: str
    body_text: str
    body_source: str
    has_attachments: bool
    defects: str  # one note a line


def message_row(m: ParsedMessage) -> ParsedFields:
    """What is stored of a parsed message, by the ingest and by reindex alike."""
    return ParsedFields(
        in_reply_to=m.in_reply_to or "",
        references="\n".join(m.references),
        sender_name=m.sender.name,
        sender_email=m.sender.email,
        recipients={"to": [[a.name, a.email] for a in m.to], "cc": [[a.name, a.email] for a in m.cc]},
        subject=m.subject,
        subject_normalised=m.subject_normalised,
        date=m.date,
        utc_offset=m.utc_offset_minutes,
        date_source=m.date_source,
        body_text=m.body_text,
        body_source=m.body_source,
        has_attachments=bool(m.attachments),
        defects="\n".join(m.defects),
    )


class TreeRow(NamedTuple):
    """A message as the thread code reads it (stored, or about to be inserted)."""

    pk: int
    message_id: str
    references: str
    subject: str
    subject_normalised: str
    date: datetime
    sender_name: str
    sender_email: str
    parent_id: int | None
    thread_depth: int
    thread_order: int
    thread_id: int
    # Removed from the archive (annotated by `Message.objects.with_hidden()`): it keeps its place
    # in the tree, but its poster, subject and date are left out of the thread's summary.
    hidden: bool

    def thread_item(self) -> ThreadItem:
        references = tuple(r for r in self.references.split("\n") if r)
        return ThreadItem(self.message_id, references, self.subject_normalised, self.date, self.subject)
