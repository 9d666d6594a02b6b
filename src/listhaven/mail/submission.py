"""What a mail server adds to a message handed to it on its own host, before any list sees it.

Postfix's cleanup (and sendmail) give locally submitted mail a Date and a Message-ID when it has none.
`listhaven post` is such a submission: without them a post written by hand (the README's example) would
go to every member with neither field, which RFC 5322 requires and spam filters score, and the archive
and the members' replies would not share a Message-ID. A post arriving over LMTP is completed the same way
(delivery/lmtp.py): the MTA adds the fields only to its own users' mail, not to mail from other hosts, and
adding them to each outgoing copy instead would give every member another Message-ID and break the list's
DKIM signature, which names both fields. Retries are still recognised by the bytes that arrived
(lists/posting.py `receive_post(received=)`).
"""

from __future__ import annotations

import re
from datetime import datetime
from email.utils import format_datetime, make_msgid

_HEADER_END = re.compile(rb"\r?\n\r?\n")
_FIELD_NAME = re.compile(rb"^([!-9;-~]+)[ \t]*:", re.MULTILINE)


def complete_submission(raw: bytes, domain: str, now: datetime) -> bytes:
    """`raw` with a ``Date`` (`now`, timezone-aware) and a ``Message-ID`` (@`domain`) put in front when it
    lacks them; otherwise unchanged, byte for byte. Added lines use the message's own line ending."""
    end = _HEADER_END.search(raw)
    header = raw[: end.start()] if end else raw
    present = {name.lower() for name in _FIELD_NAME.findall(header)}
    newline = b"\r\n" if b"\r\n" in raw[:1000] else b"\n"
    added = []
    if b"date" not in present:
        added.append(b"Date: " + format_datetime(now).encode("ascii"))
    if b"message-id" not in present:
        added.append(b"Message-ID: " + make_msgid(domain=domain).encode("ascii"))
    return b"".join(line + newline for line in added) + raw
