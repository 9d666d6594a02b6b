"""What a parser process sends the importing process for each message: plain tuples.

A `Parsed` pickled as it is costs both processes more than its bytes: every frozen dataclass
in it (the message, its source, each address, the search document) is written with its state
read field by field and read back the same way. Here a parsed message crosses as one flat tuple
of strings, numbers, a datetime and small tuples, which pickle reads and writes in C, and is made
a `Parsed` again on arrival, equal to the one the parser made, except that the raw bytes cross
once: compressed (`Parsed.compressed_raw`, the raw bytes left empty), or as they are when the parser
left the compression to the ingest. An `Unparsed` keeps its bytes, for the quarantine.
"""

from __future__ import annotations

from typing import Any

from listhaven.archive.ingest import Parsed, Unparsed
from listhaven.mail.message import Address, AttachmentInfo, ParsedMessage, SourceMessage
from listhaven.search import SearchDocument

Wire = tuple[Any, ...]
_EMPTY: tuple[Any, ...] = ()


def pack(item: Parsed | Unparsed) -> Wire:
    """`item` as plain values; the raw bytes of a parsed message only when they are not compressed."""
    if isinstance(item, Unparsed):
        source = item.source
        return (source.raw, source.origin, source.from_line, item.error)
    m, d, s = item.message, item.document, item.source
    return (
        s.origin, s.from_line, item.compressed_raw, b"" if item.compressed_raw else s.raw, item.id_hash,
        m.message_id, m.message_id_derived, m.in_reply_to, m.references,
        m.sender.name, m.sender.email,
        tuple([(a.name, a.email) for a in m.to]) if m.to else _EMPTY,
        tuple([(a.name, a.email) for a in m.cc]) if m.cc else _EMPTY,
        m.date, m.utc_offset_minutes, m.date_source, m.subject, m.subject_normalised, m.body_text, m.body_source,
        tuple([(a.index, a.filename, a.content_type, a.size) for a in m.attachments]) if m.attachments else _EMPTY,
        m.content_hash, m.size, m.list_id, m.defects,
        d.rowid, d.subject, d.sender, d.recipients, d.body, d.quoted, d.filenames,
    )


def unpack(wire: Wire) -> Parsed | Unparsed:
    """The `Parsed` (with empty raw bytes) or `Unparsed` that `pack` was given."""
    if len(wire) == 4:
        raw, origin, from_line, error = wire
        return Unparsed(SourceMessage(raw, origin, from_line), error)
    (origin, from_line, compressed_raw, raw, id_hash,
     message_id, derived, in_reply_to, references, sender_name, sender_email, to, cc,
     date, offset, date_source, subject, subject_normalised, body_text, body_source, attachments,
     chash, size, list_id, defects,
     rowid, d_subject, d_sender, d_recipients, d_body, d_quoted, d_filenames) = wire  # fmt: skip
    message = ParsedMessage(
        message_id, derived, in_reply_to, references, Address(sender_name, sender_email),
        tuple([Address(name, email) for name, email in to]) if to else _EMPTY,
        tuple([Address(name, email) for name, email in cc]) if cc else _EMPTY,
        date, offset, date_source, subject, subject_normalised, body_text, body_source,
        tuple([AttachmentInfo(*a) for a in attachments]) if attachments else _EMPTY,
        chash, size, list_id, defects,
    )
    document = SearchDocument(rowid, d_subject, d_sender, d_recipients, d_body, d_quoted, d_filenames)
    return Parsed(SourceMessage(raw, origin, from_line), message, compressed_raw, document, id_hash)
