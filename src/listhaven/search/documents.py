"""Turns a stored message's fields into the text the search index holds."""

from __future__ import annotations

from collections.abc import Iterable

from listhaven.search.base import SearchDocument


def split_quoted(body: str) -> tuple[str, str]:
    """The author's own lines and the quoted (``>``-prefixed) lines of a body, each joined by newlines."""
    if ">" not in body:
        return body, ""  # most patches: no line to look at (and the same str, pickled once)
    own: list[str] = []
    quoted: list[str] = []
    for line in body.split("\n"):
        (quoted if line.lstrip().startswith(">") else own).append(line)
    return "\n".join(own), "\n".join(quoted)


def build_document(
    rowid: int,
    subject: str,
    sender_name: str,
    sender_email: str,
    recipients: Iterable[tuple[str, str]],
    body: str,
    filenames: Iterable[str] = (),
) -> SearchDocument:
    own, quoted = split_quoted(body)
    return SearchDocument(
        rowid=rowid,
        subject=subject,
        sender=f"{sender_name} {sender_email}".strip(),
        recipients=" ".join(f"{name} {email}".strip() for name, email in recipients),
        body=own,
        quoted=quoted,
        filenames=" ".join(filenames),
    )


def document_for_message(message: object) -> SearchDocument:
    """The document of a stored `archive.Message` (duck-typed so this module needs no Django)."""
    recipients_json = message.recipients or {}
    recipients = [tuple(pair) for kind in ("to", "cc") for pair in recipients_json.get(kind, [])]
    filenames = [a.filename for a in message.attachments.all()] if message.has_attachments else []
    return build_document(
        rowid=message.pk,
        subject=message.subject,
        sender_name=message.sender_name,
        sender_email=message.sender_email,
        recipients=recipients,  # type: ignore[arg-type]
        body=message.body_text,
        filenames=filenames,
    )
