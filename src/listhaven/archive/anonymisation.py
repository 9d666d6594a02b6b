"""Taking a person's address out of an archive's messages while keeping their text (the erasure
of an address: `listhaven erase-address ADDRESS --posts anonymise`).

In every message of the given lists that names the address — as poster, recipient, or in the
subject or text (a quoted "On …, erin@example.org wrote:") — the address is replaced by
REPLACEMENT in the raw bytes as stored, the parsed fields and the search index, in one
transaction per message; thread summaries are refreshed. The poster's display name stays (it is
text the person chose to show, like their signature); `--posts hide` or `purge` remove a
message wholly.

Found by the parsed fields (poster, To, Cc, subject, text), then replaced everywhere in the raw
bytes, headers included (Reply-To, Sender, Received…). Not reached: an address only inside a
base64-encoded part (attachments, a base64 text part: its decoded text is replaced in the
parsed text, not in the stored bytes), or only in headers the parsed fields do not keep.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Q

from listhaven.archive.compression import compress, decompress
from listhaven.archive.ingest import subject_window
from listhaven.archive.models import Message, RawMessage
from listhaven.archive.search import remove_message
from listhaven.archive.threads import refresh_threads
from listhaven.search.backends import backend_for
from listhaven.search.documents import document_for_message

REPLACEMENT = "address.removed@erased.invalid"  # RFC 2606's .invalid: never delivered anywhere


def anonymise_address(list_ids: Iterable[int], address: str) -> int:
    """Replaces `address` (any case) in every message of the lists that names it; returns how many changed."""
    needle = address.strip()
    if not needle:
        return 0
    text = re.compile(re.escape(needle), re.IGNORECASE)
    raw = re.compile(re.escape(needle.encode()), re.IGNORECASE)
    names = (
        Q(sender_email__iexact=needle) | Q(recipients__icontains=needle) | Q(subject__icontains=needle)
        | Q(body_text__icontains=needle) | Q(sender_name__icontains=needle)
    )  # fmt: skip
    candidates = Message.objects.filter(names, mailing_list_id__in=list(list_ids), purged_at=None)
    changed = 0
    for pk in candidates.values_list("pk", flat=True).iterator():
        changed += _anonymise_one(pk, text, raw)
    return changed


def _anonymise_one(pk: int, text: re.Pattern[str], raw: re.Pattern[bytes]) -> int:
    with transaction.atomic():
        message = Message.objects.select_for_update().get(pk=pk)
        if not message.is_hidden:
            remove_message(message)  # before the change: the index needs the text it was given
        stored = RawMessage.objects.filter(message=message).first()
        if stored is not None:
            data = decompress(bytes(stored.data))
            cleaned = raw.sub(REPLACEMENT.encode(), data)
            if cleaned != data:
                RawMessage.objects.filter(pk=stored.pk).update(data=compress(cleaned))
        for name in ("sender_email", "sender_name", "subject", "body_text"):
            setattr(message, name, text.sub(REPLACEMENT, getattr(message, name)))
        message.recipients = {
            kind: [[text.sub(REPLACEMENT, part) for part in pair] for pair in pairs]
            for kind, pairs in (message.recipients or {}).items()
        }
        message.save(update_fields=["sender_email", "sender_name", "subject", "body_text", "recipients"])
        if not message.is_hidden:
            with connection.cursor() as cursor:
                backend_for(connection).index(cursor, [document_for_message(message)])
        refresh_threads([message.thread_id], subject_window())
    return 1
