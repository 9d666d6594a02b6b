"""The outgoing queue: what the list has decided to send, stored before anyone is told it was sent.

`enqueue` is the one way in; callers call it inside their own transaction (a post's acceptance,
a hold notice), so the decision and its copies commit together or not at all. It writes one
`Outgoing` row and its `DeliveryBatch` rows (DELIVERY_BATCH_SIZE recipients each); the worker
(`listhaven worker`, listhaven.delivery.outgoing) claims batches and hands the copies to the MTA; the
commit rings the workers' doorbell (lists/doorbell.py) so they need not wait for their next poll.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from listhaven.archive.compression import compress
from listhaven.lists.doorbell import ring
from listhaven.lists.models import DeliveryBatch, MailingList, Outgoing

KINDS = ("post", "notice", "owner", "digest", "forward")


def enqueue(
    mlist: MailingList | None,
    template: bytes,
    recipients: Sequence[str],
    *,
    kind: str,
    personalised: bool,
    message: Any = None,
) -> Outgoing:
    """Queues `template` for `recipients` (kind: post, notice, owner, digest, forward). Call inside a
    transaction.

    `personalised`: `template` is a packed `listhaven.mail.personalise.Template` (`Template.to_bytes()`),
    each copy filled with its member's values and sent with a VERP return path; otherwise `template`
    is the message every recipient gets, many recipients per SMTP transaction.

    `mlist` None: the site's own mail (sign-in links, password resets), sent from the site's address;
    it is a notice, never personalised (the personal links are a list's)."""
    if kind not in KINDS:
        raise ValueError(f"unknown outgoing kind {kind!r}")
    if mlist is None and (kind != "notice" or personalised):
        raise ValueError("mail without a list is a notice, not personalised")
    recipients = list(dict.fromkeys(recipients))  # one copy per address, in the order given
    outgoing = Outgoing.objects.create(
        mailing_list=mlist,
        kind=kind,
        template=compress(template),
        recipients=recipients,
        personalised=personalised,
        message=message,
    )
    size = max(1, settings.DELIVERY_BATCH_SIZE)
    now = timezone.now()
    DeliveryBatch.objects.bulk_create(
        DeliveryBatch(outgoing=outgoing, recipients=recipients[start : start + size], next_attempt_at=now)
        for start in range(0, len(recipients), size)
    )
    transaction.on_commit(ring)  # the workers of this machine start at once, not at their next poll
    return outgoing
