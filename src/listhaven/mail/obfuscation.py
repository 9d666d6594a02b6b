"""Addresses written Pipermail's way, ``user at example.com``: the one implementation used by
pages, search snippets, feeds, the API and Pipermail-text exports.

>>> obfuscate_text("Write to jo@example.org or <ann.b@lists.example.net>; not a@b or @home.")
'Write to jo at example.org or <ann.b at lists.example.net>; not a@b or @home.'
"""

from __future__ import annotations

import re
from itertools import pairwise

_LOCAL_PUNCTUATION = frozenset("!#$%&'*+/=?^_`{|}~.-")
_DOMAIN = re.compile(r"[^\W_](?:[\w-]{0,62})(?:\.[\w-]{1,63})+")


def obfuscate_address(address: str) -> str:
    """``user@example.com`` → ``user at example.com``; anything without ``@`` unchanged (not escaped)."""
    return address.replace("@", " at ", 1) if "@" in address else address


def _ends_local_part(text: str) -> bool:
    last = text[-1:]
    return bool(last) and (last.isalnum() or last in _LOCAL_PUNCTUATION)


def obfuscate_text(text: str) -> str:
    """Every address in `text` obfuscated (not escaped): each ``@`` between a local-part character
    and a domain becomes `` at ``. Splitting on ``@`` keeps it linear in the length of the text,
    whatever a malicious message puts in it."""
    if "@" not in text:
        return text
    pieces = text.split("@")
    out = [pieces[0]]
    for before, after in pairwise(pieces):
        out.append(" at " if _ends_local_part(before) and _DOMAIN.match(after) else "@")
        out.append(after)
    return "".join(out)
