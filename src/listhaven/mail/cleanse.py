"""Header fields a list removes before it sends a post on, and the DKIM signatures its changes break.

The moderator password (``Approved:``) must never reach members; read-receipt requests would make every
member's client write to the poster. Another list's RFC 2369/2919 fields are replaced by ours (Mailman does
the same). A DKIM signature is dropped only when decoration touched what it covers: a signature that stays
and no longer verifies makes receivers treat the post worse than an unsigned one.
"""

from __future__ import annotations

import re

from listhaven.mail.rawedit import EditableMessage, RawField

PRIVATE_FIELDS = (
    "Approved", "Approve", "X-Approved", "X-Approve", "Urgent",
    "Return-Receipt-To", "Disposition-Notification-To", "X-Confirm-Reading-To", "X-PMRQC",
)
UPSTREAM_LIST_FIELDS = (
    "List-Id", "List-Help", "List-Subscribe", "List-Unsubscribe", "List-Unsubscribe-Post", "List-Post",
    "List-Owner", "List-Archive", "Archived-At",
)
_SIGNED_NAMES = re.compile(rb"(?:^|;)\s*h\s*=([^;]*)", re.IGNORECASE)
_SPACE = re.compile(rb"\s+")


def cleanse(message: EditableMessage) -> set[str]:
    """Remove the private and upstream-list fields in place; returns the lower-case names removed."""
    return message.remove(*PRIVATE_FIELDS, *UPSTREAM_LIST_FIELDS)


def signed_names(signature: RawField) -> set[str]:
    """The lower-case header names a DKIM-Signature's ``h=`` tag covers (empty when it has none)."""
    match = _SIGNED_NAMES.search(signature.value)
    if match is None:
        return set()
    names = _SPACE.sub(b"", match.group(1)).decode("ascii", "replace").lower()
    return {name for name in names.split(":") if name}


def drop_broken_signatures(message: EditableMessage, touched: set[str], body_changed: bool) -> int:
    """Remove each DKIM-Signature that covers a field in `touched` (lower-case names changed, added or
    removed) or any signature when the body changed; DomainKeys signatures always go (obsolete, and
    they sign the body). Returns how many were removed."""
    kept: list[RawField] = []
    removed = 0
    for item in message.fields:
        name = item.name.lower()
        breaks = name == "domainkey-signature" or (
            name == "dkim-signature" and (body_changed or bool(signed_names(item) & touched))
        )
        if breaks:
            removed += 1
        else:
            kept.append(item)
    message.fields = kept
    return removed
