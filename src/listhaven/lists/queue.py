"""The outgoing queue: what the list has decided to send, stored before anyone is told it was sent.

`enqueue` is the one way in; callers call it inside their own transaction (a post's acceptance,
a hold notice), so the decision and its copies commit together or not at all. The worker that
hands the copies to the MTA reads `Outgoing` rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from listhaven.archive.compression import compress
from listhaven.lists.models import MailingList, Outgoing


def enqueue(
    mlist: MailingList,
    template: bytes,
    recipients: Sequence[str],
    *,
    kind: str,
    personalised: bool,
    message: Any = None,
) -> Outgoing:
    """Queues `template` for `recipients` (kind: post, notice, owner). Call inside a transaction.

    `personalised`: `template` is a packed `listhaven.mail.personalise.Template` (`Template.to_bytes()`),
    each copy filled with its member's values; otherwise `template` is the message every recipient gets."""
    return Outgoing.objects.create(
        mailing_list=mlist,
        kind=kind,
        template=compress(template),
        recipients=list(recipients),
        personalised=personalised,
        message=message,
    )
