"""One decorated post, many members: per-member values put into the bytes of a template.

`decorate` runs once per post and leaves markers where a member's own values go (the one-click unsubscribe
URL in ``List-Unsubscribe`` and the footer, the options URL and the member's address in the footer).
`personalise` then costs one ``bytes.join`` per copy: the template is cut at its markers once, when the
`Template` is made. Markers carry a nonce derived from the post (a SHA-256 of its bytes), so a poster cannot
write a marker into the post that would be filled in: they would need the hash of the message containing it.

Values are checked before they go in: URLs must be printable ASCII with no space, quote or angle bracket
(they stand inside ``<...>`` in a header); the address may hold no control character. A CR or LF therefore
can never reach a header.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from listhaven.mail.identity import URL_CHARS

MEMBER_FIELDS = ("unsubscribe_url", "options_url", "member_address")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_PACK_PREFIX = b"listhaven-template "


@dataclass(frozen=True, slots=True)
class MemberValues:
    """What one member's copy carries: their own unsubscribe and options URLs and their address."""

    unsubscribe_url: str
    options_url: str
    member_address: str

    def __post_init__(self) -> None:
        for name in ("unsubscribe_url", "options_url"):
            value = getattr(self, name)
            if not URL_CHARS.fullmatch(value):
                raise ValueError(f"{name} must be a URL of printable ASCII without space, quote or <>")
        if not self.member_address or _CONTROL.search(self.member_address):
            raise ValueError("member_address is empty or holds a control character")


def nonce_for(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:16]


def marker(nonce: str, name: str) -> str:
    """The text standing for `name` (one of MEMBER_FIELDS) in a template: ASCII, no space, no ``=``."""
    return f"[[lh-{nonce}-{name}]]"


@dataclass(frozen=True)
class Template:
    """A decorated post: `data` are the message bytes (CRLF); `nonce` is empty for a bulk template
    (no markers, `data` is what is sent) and names the markers of a personalised one.

    `to_bytes`/`from_bytes` keep both in one blob for a database column.
    """

    data: bytes
    nonce: str = ""
    _pieces: tuple[bytes | int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        pieces: list[bytes | int] = [self.data]
        if self.nonce:
            names = "|".join(MEMBER_FIELDS)
            split = re.split(rb"\[\[lh-" + self.nonce.encode("ascii") + rb"-(" + names.encode() + rb")\]\]", self.data)
            pieces = [MEMBER_FIELDS.index(p.decode()) if i % 2 else p for i, p in enumerate(split)]
        object.__setattr__(self, "_pieces", tuple(pieces))

    @property
    def personal(self) -> bool:
        """True when the template holds at least one marker."""
        return len(self._pieces) > 1

    def to_bytes(self) -> bytes:
        return _PACK_PREFIX + self.nonce.encode("ascii") + b"\n" + self.data

    @classmethod
    def from_bytes(cls, blob: bytes) -> Template:
        if not blob.startswith(_PACK_PREFIX):
            raise ValueError("not a packed template")
        line, _, data = blob[len(_PACK_PREFIX) :].partition(b"\n")
        return cls(data, line.decode("ascii"))


def personalise(template: Template, values: MemberValues) -> bytes:
    """The copy for one member: each marker replaced by that member's value (UTF-8)."""
    if len(template._pieces) == 1:
        return template.data
    filled = (
        values.unsubscribe_url.encode("ascii"),
        values.options_url.encode("ascii"),
        values.member_address.encode("utf-8"),
    )
    return b"".join(filled[p] if isinstance(p, int) else p for p in template._pieces)
