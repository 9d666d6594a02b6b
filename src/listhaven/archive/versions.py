"""The archive's version: a counter on the list (MailingList.archive_version) that every change a
reader could see advances, with the time of the change (archive_changed_at).

Pages rendered once are kept under a key that holds the list's row (web/page_cache.py), so a
page is never served from before a change. The writers: the ingest (stored messages, threads
they join or merge, Message-ID conflicts flagged), `redact` and `purge`, `reindex` and
`rebuild_threads`, the Django admin's edits of messages, threads and lists, the owners' settings
page and an imported list's settings (lists/moving). The counter is advanced with F() in SQL, in
the writer's own transaction, so it never goes back and is committed with the change it counts.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.utils import timezone

from listhaven.archive.models import Message


def changed_fields() -> dict[str, Any]:
    """The columns to add to an UPDATE of the list's row that already happens (the ingest's)."""
    return {"archive_version": F("archive_version") + 1, "archive_changed_at": timezone.now()}


def archive_changed(*list_pks: int) -> None:
    """Records a change of these lists' archives (call it inside the writer's transaction)."""
    # The list model, reached through the message's foreign key: the archive imports no list code.
    lists = Message._meta.get_field("mailing_list").related_model
    lists._default_manager.filter(pk__in=set(list_pks)).update(**changed_fields())
