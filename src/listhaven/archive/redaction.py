"""Removing a message from the archive on request.

The one way to do it: the Django admin, `listhaven redact` and (later) the list server's owner
pages all call `redact`. A removed message keeps its row and its raw bytes (for the
owners); readers see only that it was removed (`Message.objects.visible()` decides where).

The search row goes in the same transaction as the flag, while the indexed text is still known,
so the index never disagrees with the store. Pages cache nothing of a message's content under
keys that survive this: the page cache's key holds the list's archive version, which both
advance (archive/versions.py); month and overview caches hold ids and counts (a removed message
keeps its place); the downloads' validators (ETag, Last-Modified) take `redacted_at` into account.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from listhaven.archive.ingest import subject_window
from listhaven.archive.models import Attachment, Message, RawMessage
from listhaven.archive.search import remove_message
from listhaven.archive.threads import refresh_threads
from listhaven.archive.versions import archive_changed


@dataclass(frozen=True, slots=True)
class Redaction:
    """What `redact` did: `changed` is False when the message was already removed."""

    message: Message
    changed: bool


def redact(message: Message, reason: str = "", *, by: str = "") -> Redaction:
    """Removes `message` from every page, feed, export, the API and search; keeps the row and bytes."""
    with transaction.atomic():
        locked = Message.objects.select_for_update().get(pk=message.pk)
        if locked.is_hidden:
            return Redaction(locked, changed=False)
        remove_message(locked)  # before the flag: the index needs the text it was given
        locked.redacted = True
        locked.redacted_at = timezone.now()
        locked.redaction_reason = reason.strip()
        locked.redacted_by = by
        locked.save(update_fields=["redacted", "redacted_at", "redaction_reason", "redacted_by"])
        # The thread's stored summary (participants, subject) must no longer name it.
        refresh_threads([locked.thread_id], subject_window())
        archive_changed(locked.mailing_list_id)  # no page kept from before shows it any more
    return Redaction(locked, changed=True)



# Parsed fields a purge empties: everything the message said. Its identity (Message-ID, hash,
# date, place in the thread) stays so its links answer 410 and the thread keeps its shape.
_PURGED_FIELDS = {
    "sender_name": "", "sender_email": "", "recipients": {}, "subject": "", "subject_normalised": "",
    "body_text": "", "has_attachments": False, "defects": "", "content_hash": "", "size": 0,
}  # fmt: skip


def purge(message: Message, reason: str = "", *, by: str = "", merge_index: bool = True) -> Redaction:
    """Removes `message` as `redact` does, then deletes its raw bytes, attachments and parsed
    fields; the tombstone row stays. On SQLite the deleted bytes are overwritten (secure_delete)
    and the full-text index merged so no segment keeps its words (`merge_index=False`: the caller
    purges many and merges once at the end, as lists/erasure.py does)."""
    sqlite = connection.vendor == "sqlite"
    if sqlite:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete = ON")
    with transaction.atomic():
        redact(message, reason, by=by)
        locked = Message.objects.select_for_update().get(pk=message.pk)
        if locked.is_purged:
            return Redaction(locked, changed=False)
        RawMessage.objects.filter(message=locked).delete()
        Attachment.objects.filter(message=locked).delete()
        for name, value in _PURGED_FIELDS.items():
            setattr(locked, name, value)
        locked.purged_at = timezone.now()
        locked.save(update_fields=[*_PURGED_FIELDS, "purged_at"])
        archive_changed(locked.mailing_list_id)
    if sqlite and merge_index:
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO search_fts(search_fts) VALUES ('optimize')")
            if not connection.in_atomic_block:  # the old pages in the WAL go now, not at the next checkpoint
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return Redaction(locked, changed=True)
