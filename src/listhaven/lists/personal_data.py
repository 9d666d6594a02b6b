"""What the site holds about an address, for the person it belongs to (GDPR access): their
memberships with every option, confirmations waiting, bounce records, held posts, the owners'
decisions on their requests to join or leave (not who decided) and the archived messages they posted. Rows, not pages: the web layer adds the links and serves it as JSON."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q

from listhaven.archive.models import Message
from listhaven.lists.models import BounceEvent, HeldMessage, Member, Pending, RequestDecision

MEMBER_FIELDS = (
    "role", "display_name", "moderated", "delivery_mode", "delivery_status", "disabled_reason",
    "receive_own_posts", "acknowledge_posts", "hide_address", "bounce_score", "last_bounce",
    "bounce_disabled_at", "created_at",
)  # fmt: skip


def _any_of(field: str, addresses: Iterable[str]) -> Q:
    found = Q(pk__in=[])
    for address in addresses:
        found |= Q(**{f"{field}__iexact": address})
    return found


def personal_data(addresses: Iterable[str]) -> dict[str, Any]:
    """Everything stored under `addresses` (canonical), as plain JSON-ready values."""
    addresses = sorted(set(addresses))
    members = Member.objects.filter(_any_of("address", addresses)).select_related("mailing_list")
    return {
        "addresses": addresses,
        "memberships": [
            {"list": m.mailing_list.address, "list_name": m.mailing_list.name, "address": m.address,
             **{name: getattr(m, name) for name in MEMBER_FIELDS}}
            for m in members
        ],
        "pending_confirmations": [
            {"list": p.mailing_list.address, "purpose": p.purpose, "created_at": p.created_at, "expires_at": p.expires_at}
            for p in Pending.objects.filter(_any_of("address", addresses), used_at=None).select_related("mailing_list")
        ],
        "bounce_records": [
            {"list": b.mailing_list.address, "source": b.source, "code": b.code, "text": b.text, "created_at": b.created_at}
            for b in BounceEvent.objects.filter(_any_of("address", addresses)).select_related("mailing_list")
        ],
        "held_posts": [
            {"list": h.mailing_list.address, "subject": h.subject, "reason": h.reason, "held_at": h.held_at}
            for h in HeldMessage.objects.filter(_any_of("sender", addresses)).select_related("mailing_list")
        ],
        "request_decisions": [
            {"list": d.mailing_list.address, "asked_to": d.asks_to, "decision": d.decision, "outcome": d.outcome,
             "reason": d.reason, "decided_at": d.decided_at}
            for d in RequestDecision.objects.filter(_any_of("address", addresses)).select_related("mailing_list")
        ],
        "posts": [
            {"list": m.mailing_list.address, "list_name": m.mailing_list.name, "message_hash": m.public_id,
             "message_id": m.message_id, "date": m.date, "subject": m.subject, "removed": m.is_hidden}
            for m in Message.objects.filter(_any_of("sender_email", addresses), purged_at=None).select_related("mailing_list")
        ],
    }  # fmt: skip
