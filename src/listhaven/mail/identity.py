"""What a list says about itself in the mail it sends: addresses, names, URLs, tag, footer, Reply-To policy.

`ListIdentity` is built by the caller (the `lists` app, from its `MailingList` row and the site URL) and handed
to the pure functions of this package: decoration, DMARC mitigation, digests. Every text field except the
footer lands in a header, so a CR, LF or NUL in any of them is refused when the identity is built.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

_HEADER_UNSAFE = re.compile(r"[\r\n\x00]")
# What may stand inside <...> in an RFC 2369 header: no space, no angle brackets, no quotes, ASCII.
URL_CHARS = re.compile(r"[!#-;=?-~]+")


class ReplyTo(StrEnum):
    """The list's Reply-To policy (Mailman's reply_goes_to_list)."""

    NONE = "none"  # leave the poster's Reply-To as it is
    LIST = "list"  # Reply-To: the list's posting address
    EXPLICIT = "explicit"  # Reply-To: `ListIdentity.reply_to_address`


@dataclass(frozen=True, slots=True)
class ListIdentity:
    """One list as its outgoing mail presents it.

    `address` is the posting address (``harbour-dev@lists.example.org``); the -owner, -request, -join,
    -leave and -bounces addresses are derived from it. `list_id` defaults to ``local.domain`` (RFC 2919).
    `subject_tag` is written as it should appear, brackets included (``[Harbour-dev]``); empty: no tag.
    URLs are absolute (``https://...``); an empty URL leaves out what would carry it. `footer` is plain
    text with placeholders (see `listhaven.mail.footer.PLACEHOLDERS`); empty: no footer.
    `unsubscribe_url` and `options_url` are the list-wide pages used where no member is known (bulk
    delivery, digests); personalised copies carry each member's own URLs instead.
    `allow_posting` false (an announce-only list) makes ``List-Post: NO`` (RFC 2369 §3.4).
    """

    address: str
    display_name: str
    list_id: str = ""
    subject_tag: str = ""
    description: str = ""
    listinfo_url: str = ""
    archive_url: str = ""
    help_url: str = ""
    unsubscribe_url: str = ""
    options_url: str = ""
    footer: str = ""
    reply_to: ReplyTo = ReplyTo.NONE
    reply_to_address: str = ""
    allow_posting: bool = True

    def __post_init__(self) -> None:
        local, at, domain = self.address.rpartition("@")
        if not at or not local or not domain or not URL_CHARS.fullmatch(self.address):
            raise ValueError(f"not a list address: {self.address!r}")
        if not self.list_id:
            object.__setattr__(self, "list_id", f"{local}.{domain}".lower())
        for name in ("display_name", "list_id", "subject_tag", "description", "reply_to_address"):
            if _HEADER_UNSAFE.search(getattr(self, name)):
                raise ValueError(f"{name} contains a line break or NUL")
        for name in ("listinfo_url", "archive_url", "help_url", "unsubscribe_url", "options_url"):
            value = getattr(self, name)
            if value and not URL_CHARS.fullmatch(value):
                raise ValueError(f"{name} is not a URL that fits in <...>: {value!r}")
        if self.reply_to is ReplyTo.EXPLICIT and "@" not in self.reply_to_address:
            raise ValueError("reply_to EXPLICIT needs reply_to_address")

    @property
    def local_part(self) -> str:
        return self.address.rpartition("@")[0]

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2]

    def role_address(self, suffix: str) -> str:
        """``local-SUFFIX@domain``: ``role_address('owner')`` is the -owner address."""
        return f"{self.local_part}-{suffix}@{self.domain}"

    @property
    def owner_address(self) -> str:
        return self.role_address("owner")

    @property
    def request_address(self) -> str:
        return self.role_address("request")

    @property
    def bounces_address(self) -> str:
        return self.role_address("bounces")
