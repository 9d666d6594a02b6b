from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from django.db import models
from django.db.models import F, Q
from django.db.models.query import ValuesIterable

from listhaven.archive.visibility import HIDDEN_FLAG, visible_sql

# What a reader may see: the one rule every page, feed, export, API and search applies, through
# `Message.objects.visible()`, `with_hidden()` or (raw SQL) `visible_sql`. A removed message keeps
# its row (its links answer "removed", its place in the thread stays) but nothing else of it shows.
VISIBLE = Q(**{HIDDEN_FLAG: False})


def visible_through(relation: str) -> Q:
    """`VISIBLE` said of a related message, e.g. ``visible_through("root_message")`` for threads."""
    return Q(**{f"{relation}__{field}": value for field, value in VISIBLE.children})


__all__ = ["VISIBLE", "Attachment", "Message", "MessageQuerySet", "RawMessage", "visible_sql", "visible_through"]


class MessageQuerySet(models.QuerySet["Message"]):
    def visible(self) -> MessageQuerySet:
        """Only what readers may see."""
        return self.filter(VISIBLE)

    def hidden(self) -> MessageQuerySet:
        """Only the removed messages (the complement of `visible`)."""
        return self.exclude(VISIBLE)

    def with_hidden(self) -> MessageQuerySet:
        """Every message, each with `hidden` (bool): for pages that keep a removed message's place.
        `hidden` is the negation of `VISIBLE`, which tests one flag: that flag itself, read as a column
        (the wrapped `~VISIBLE` cost each page ~0.2 ms of query compiling per listing)."""
        return self.annotate(hidden=F(HIDDEN_FLAG))

    def rows(self, *fields: str) -> MessageQuerySet:
        """`with_hidden().values(*fields, "hidden")` for the pages' listings, built cheaper: the flag
        is selected as its own column and renamed `hidden` as each row is made. The annotation cost
        each listing some 250 function calls of query building (three listings on a message page)."""
        rows = self.values(*fields, HIDDEN_FLAG)
        rows._iterable_class = _HiddenRows
        return rows


class _HiddenRows(ValuesIterable):
    """Rows of `MessageQuerySet.rows`: the hiding column read as `hidden`."""

    def __iter__(self) -> Iterator[dict]:
        for row in super().__iter__():
            row["hidden"] = row.pop(HIDDEN_FLAG)
            yield row


class Message(models.Model):
    """One stored message: the parsed fields readers see. The verbatim bytes are in RawMessage."""

    # The list's own index is (mailing_list, id) in effect: exports and listings walk a list in
    # id order through it. The thread needs none of its own: (thread, thread_order) starts with it.
    mailing_list = models.ForeignKey("lists.MailingList", on_delete=models.CASCADE, related_name="messages")
    thread = models.ForeignKey("archive.Thread", on_delete=models.PROTECT, related_name="messages", db_index=False)
    public_id = models.CharField(max_length=40, help_text="base32 SHA-1 of the Message-ID, as Mailman 3")
    message_id = models.TextField()
    message_id_synthetic = models.BooleanField(default=False)
    # Another stored message of this list has the same Message-ID but different content.
    msgid_conflict = models.BooleanField(default=False)
    content_hash = models.CharField(max_length=64)
    in_reply_to = models.TextField(blank=True)
    references = models.TextField(blank=True, help_text="ancestor Message-IDs, oldest first, one per line")

    sender_name = models.TextField(blank=True)
    sender_email = models.TextField(blank=True)
    recipients = models.JSONField(default=dict, help_text='{"to": [[name, email]...], "cc": [...]}')
    subject = models.TextField(blank=True)
    subject_normalised = models.TextField(blank=True)
    date = models.DateTimeField()
    utc_offset = models.SmallIntegerField(default=0, help_text="sender's offset from UTC, minutes")
    date_source = models.CharField(max_length=12, default="date")
    body_text = models.TextField(blank=True)
    body_source = models.CharField(max_length=12, default="text/plain")
    has_attachments = models.BooleanField(default=False)
    size = models.PositiveIntegerField(default=0)
    defects = models.TextField(blank=True)

    # Place in the thread's displayed tree, recomputed whenever the thread changes.
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies")
    thread_depth = models.PositiveIntegerField(default=0)
    thread_order = models.PositiveIntegerField(default=0)

    archive_number = models.PositiveIntegerField(help_text="Pipermail's per-list sequence number")
    imported_at = models.DateTimeField(auto_now_add=True)
    # Removed on request (archive/redaction.py): the page says so, nothing else of it is shown or
    # searchable. Who removed it, when and why are kept for the owners.
    redacted = models.BooleanField(default=False)
    redacted_at = models.DateTimeField(null=True, blank=True)
    redaction_reason = models.TextField(blank=True, db_default="")
    redacted_by = models.TextField(blank=True, db_default="", help_text="who removed it: a user name or 'cli'")
    # Purged (a removal that also deleted the raw bytes, attachments and every parsed field): the
    # row is a tombstone keeping the message's place and its links, which answer 410 Gone.
    purged_at = models.DateTimeField(null=True, blank=True)
    # When its stored bytes and parsed fields were last rewritten after the import (an address
    # anonymised: archive/anonymisation.py); None when never. The downloads' Last-Modified follows it.
    changed_at = models.DateTimeField(null=True, blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["mailing_list", "public_id"], name="message_public_id"),
            models.UniqueConstraint(fields=["mailing_list", "archive_number"], name="message_archive_number"),
        ]
        indexes = [
            models.Index(fields=["mailing_list", "date"]),
            models.Index(fields=["mailing_list", "message_id"]),
            models.Index(fields=["thread", "thread_order"]),
            models.Index(fields=["thread", "date"]),
            models.Index(fields=["mailing_list", "sender_email"]),
        ]

    def __str__(self) -> str:
        return f"{self.message_id}: {self.subject}"

    @property
    def is_hidden(self) -> bool:
        """What `VISIBLE` says of this one message (kept beside it so the two cannot drift)."""
        return self.redacted

    @property
    def last_changed(self) -> datetime:
        """When what is served of it last changed: its import, a rewrite of its bytes, its removal
        (the Last-Modified of its raw bytes, mbox, attachments and JSON)."""
        return max(d for d in (self.imported_at, self.changed_at, self.redacted_at) if d is not None)

    @property
    def is_purged(self) -> bool:
        return self.purged_at is not None

    @property
    def reference_list(self) -> list[str]:
        return [r for r in self.references.split("\n") if r]


class RawMessage(models.Model):
    """The message exactly as received, zstd-compressed: every page and index can be rebuilt from it."""

    message = models.OneToOneField(Message, primary_key=True, on_delete=models.CASCADE, related_name="raw")
    data = models.BinaryField()
    from_line = models.TextField(blank=True)


class Attachment(models.Model):
    """A MIME part listed under a message; its bytes are cut from the raw message when downloaded."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    index = models.PositiveSmallIntegerField()
    filename = models.TextField()
    content_type = models.CharField(max_length=255)
    size = models.PositiveIntegerField()

    class Meta:
        ordering = ["index"]
        constraints = [models.UniqueConstraint(fields=["message", "index"], name="attachment_index")]
