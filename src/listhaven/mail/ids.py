"""Message identity: normalised Message-IDs, the public hash in URLs, ids derived for messages without one.

The public id is the one Mailman 3 and HyperKitty compute for ``X-Message-ID-Hash``,
so links from those archives can be redirected to ours:

>>> message_id_hash("<20140817090509.GA1234@example.org>")
'RGNUDDGGCPZVPPGOGXQPQUCNVHFEZVG5'
"""

from __future__ import annotations

import base64
import hashlib
import re

_ANGLE_ID = re.compile(r"<([^<>]*)>")
# The domain of derived ids when the caller names none. A store chooses its own and keeps it for life (the
# archive records it): ids and the public hashes in links are made with it, and the ingest finds duplicates
# by id, so a store that changed it would keep every id-less message of a re-import twice.
DEFAULT_DERIVED_ID_DOMAIN = "derived.listhaven.invalid"


def normalise_message_id(value: str | None) -> str | None:
    """The first ``<...>`` id of a header value, brackets and surrounding space removed.

    A bare id without brackets is accepted (common in old mail); an empty or blank value gives None.
    """
    if value is None:
        return None
    match = _ANGLE_ID.search(value)
    candidate = match.group(1) if match else value
    candidate = "".join(candidate.split())
    if not candidate:
        return None
    return candidate


def referenced_ids(value: str | None) -> list[str]:
    """Every ``<...>`` id in a References/In-Reply-To value, in order, normalised.

    Values without brackets (a single bare id) are accepted when they look like one (contain ``@``).
    """
    if not value:
        return []
    found = ["".join(m.split()) for m in _ANGLE_ID.findall(value)]
    found = [m for m in found if m]
    if not found:
        bare = value.strip().split()
        if len(bare) == 1 and "@" in bare[0]:
            found = [bare[0]]
    return found


def message_id_hash(message_id: str) -> str:
    """Base32 SHA-1 of the normalised Message-ID: the id in ``/LIST/message/HASH/``."""
    normalised = normalise_message_id(message_id) or message_id
    return base64.b32encode(hashlib.sha1(normalised.encode("utf-8", "surrogateescape")).digest()).decode("ascii")


def derived_message_id(raw: bytes, domain: str) -> str:
    """A stable id in `domain` for a message that has none: the same bytes always give the same id,
    whatever line endings carried them (LMTP and SMTP deliver CRLF, mbox files hold LF)."""
    digest = hashlib.sha256(raw.replace(b"\r\n", b"\n")).hexdigest()[:32]
    return f"{digest}@{domain}"


def is_derived_message_id(message_id: str, domain: str) -> bool:
    return message_id.endswith("@" + domain)
