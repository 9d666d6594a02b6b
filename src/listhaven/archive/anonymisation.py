"""Taking a person's address out of an archive's messages while keeping their text (the erasure
of an address: `listhaven erase-address ADDRESS --posts anonymise`).

In every message of the given lists that names the address — as poster, recipient, or in the
subject or text (a quoted "On …, erin@example.org wrote:") — the address is replaced by
REPLACEMENT in the raw bytes as stored, the parsed fields and the search index, in one
transaction per message; thread summaries are refreshed and the list's archive version advanced
(no cached page keeps the address). The poster's display name stays (it is text the person chose
to show, like their signature); `--posts hide` or `purge` remove a message wholly.

Found by the parsed fields (poster, To, Cc, subject, text), then replaced everywhere in the raw
bytes (mail/address_replace.py): header fields (Reply-To, Sender, Received…, RFC 2047 encoded
words too), text parts sent as they are, and text parts sent base64 or quoted-printable, decoded
and encoded again; every other byte is kept. The stored content hash and size follow the new
bytes, and its change time (`changed_at`) is set, so the downloads' validators (ETag and
Last-Modified) change with what they serve. Not reached: parts that are not text
(a PDF, an image: left byte for byte, and the messages whose such parts still hold the address
are reported); a message naming the address only in headers the parsed fields do not keep is
not found.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from listhaven.archive.compression import compress, decompress
from listhaven.archive.ingest import subject_window
from listhaven.archive.models import Attachment, Message, RawMessage
from listhaven.archive.search import remove_message
from listhaven.archive.threads import refresh_threads
from listhaven.archive.versions import archive_changed
from listhaven.mail.address_replace import replace_address
from listhaven.mail.headers import split_message
from listhaven.mail.message import SourceMessage, UnparseableMessage
from listhaven.mail.parse import content_hash, parse_message
from listhaven.search.backends import backend_for
from listhaven.search.documents import document_for_message

REPLACEMENT = "address.removed@erased.invalid"  # RFC 2606's .invalid: never delivered anywhere


@dataclass
class Anonymised:
    changed: int = 0  # messages in which the address was replaced
    kept: list[int] = field(default_factory=list)  # pks of those whose non-text parts still hold it


def anonymise_address(list_ids: Iterable[int], address: str) -> Anonymised:
    """Replaces `address` (any case) in every message of the lists that names it."""
    done = Anonymised()
    needle = address.strip()
    if not needle:
        return done
    text = re.compile(re.escape(needle), re.IGNORECASE)
    names = (
        Q(sender_email__iexact=needle) | Q(recipients__icontains=needle) | Q(subject__icontains=needle)
        | Q(body_text__icontains=needle) | Q(sender_name__icontains=needle)
    )  # fmt: skip
    candidates = Message.objects.filter(names, mailing_list_id__in=list(list_ids), purged_at=None)
    for pk in candidates.values_list("pk", flat=True).iterator():
        if _anonymise_one(pk, needle, text):
            done.kept.append(pk)
        done.changed += 1
    return done


def _anonymise_one(pk: int, needle: str, text: re.Pattern[str]) -> bool:
    """One message; True when a part that is not text still holds the address."""
    with transaction.atomic():
        message = Message.objects.select_for_update().get(pk=pk)
        if not message.is_hidden:
            remove_message(message)  # before the change: the index needs the text it was given
        kept = _anonymise_raw(message, needle)
        for name in ("sender_email", "sender_name", "subject", "body_text"):
            setattr(message, name, text.sub(REPLACEMENT, getattr(message, name)))
        message.changed_at = timezone.now()  # the downloads' Last-Modified
        message.recipients = {
            kind: [[text.sub(REPLACEMENT, part) for part in pair] for pair in pairs]
            for kind, pairs in (message.recipients or {}).items()
        }
        message.save(update_fields=["sender_email", "sender_name", "subject", "body_text", "recipients",
                                    "content_hash", "size", "changed_at"])  # fmt: skip
        for attachment in Attachment.objects.filter(message=message, filename__icontains=needle):
            Attachment.objects.filter(pk=attachment.pk).update(filename=text.sub(REPLACEMENT, attachment.filename))
        if not message.is_hidden:
            with connection.cursor() as cursor:
                backend_for(connection).index(cursor, [document_for_message(message)])
        refresh_threads([message.thread_id], subject_window())
        archive_changed(message.mailing_list_id)
    return kept


def _anonymise_raw(message: Message, needle: str) -> bool:
    """The stored bytes with the address replaced; the message's content hash, size and attachment
    sizes as the new bytes give them (what the raw download and exports serve and validate)."""
    stored = RawMessage.objects.filter(message=message).first()
    if stored is None:
        return False
    data = decompress(bytes(stored.data))
    done = replace_address(data, needle, REPLACEMENT)
    if done.raw != data:
        RawMessage.objects.filter(pk=stored.pk).update(data=compress(done.raw))
        headers, body, _ = split_message(done.raw)
        message.content_hash = content_hash("" if message.message_id_synthetic else message.message_id, headers, body)
        message.size = len(done.raw)
        if message.has_attachments:  # parsed again only then: most list mail has none
            _attachment_sizes(message, done.raw, stored.from_line)
    return bool(done.kept)


def _attachment_sizes(message: Message, raw: bytes, from_line: str) -> None:
    """A text attachment that named the address has a new decoded size."""
    try:
        parsed = parse_message(SourceMessage(raw, "anonymisation", from_line or None))
    except UnparseableMessage:
        return
    for info in parsed.attachments:
        Attachment.objects.filter(message=message, index=info.index).exclude(size=info.size).update(size=info.size)
