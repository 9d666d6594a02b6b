"""Mail to a list's service addresses: forwarded to the owners (-owner) or kept for the handler
of its role (-bounces, -request, -join, -leave, -confirm), which reads the unprocessed rows."""

from __future__ import annotations

from django.db import transaction

from listhaven.archive.compression import compress
from listhaven.lists.models import IncomingMail, Member
from listhaven.lists.queue import enqueue
from listhaven.lists.routing import Destination


def store_incoming(destination: Destination, raw: bytes, envelope_sender: str = "") -> IncomingMail:
    """Keeps the message for its role's handler (committed when this returns)."""
    with transaction.atomic():
        return IncomingMail.objects.create(
            mailing_list=destination.mailing_list, role=destination.role, recipient=destination.recipient[:500],
            envelope_sender=envelope_sender[:320], data=compress(raw), size=len(raw),
        )  # fmt: skip


def forward_to_owners(destination: Destination, raw: bytes, envelope_sender: str = "") -> int:
    """Queues the message, as received, for the list's owners; kept as IncomingMail when the list
    has none (nothing is lost). Returns the number of owners it goes to."""
    mlist = destination.mailing_list
    owners = list(dict.fromkeys(
        Member.objects.filter(mailing_list=mlist, role="owner").order_by("id").values_list("address", flat=True)
    ))  # fmt: skip
    if not owners:
        store_incoming(destination, raw, envelope_sender)
        return 0
    with transaction.atomic():
        enqueue(mlist, raw, owners, kind="owner", personalised=False)
    return len(owners)
