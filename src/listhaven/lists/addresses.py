"""Member addresses: checked for syntax, stored with the domain lower-cased.

Two spellings of an address are the same member when they differ only in the case of the domain
(RFC 5321: the local part belongs to the receiving host, which may treat case as significant).
Syntax only: no DNS lookups, so adding a thousand members needs no network.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr

from email_validator import EmailNotValidError, validate_email

from listhaven.lists.post import first_header
from listhaven.mail.addresses import normalise_email, parse_address


class InvalidAddress(ValueError):
    """Not an address a list can mail: the message says why."""


@dataclass(frozen=True, slots=True)
class NamedAddress:
    address: str
    display_name: str = ""


def canonical_address(text: str) -> str:
    """`text` as stored and compared: `local@domain`, the domain lower-cased. Raises InvalidAddress."""
    candidate = text.strip().strip("<>").strip()
    if not candidate:
        raise InvalidAddress("an empty address")
    try:
        result = validate_email(candidate, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as exc:
        raise InvalidAddress(f"{candidate!r} is not a valid address: {exc}") from None
    return f"{result.local_part}@{result.domain.lower()}"


def parse_named_address(text: str) -> NamedAddress:
    """`Ann Example <ann@example.org>` or `ann@example.org`, checked. Raises InvalidAddress."""
    name, address = parseaddr(text.strip())
    if not address or "@" not in address:
        address, name = text.strip(), ""
    return NamedAddress(canonical_address(address), name.strip())


def sender_address(message: EmailMessage, envelope_sender: str = "") -> str:
    """The address a post is from, as the rules judge it: From:, else Sender:, else the envelope
    sender; the domain lower-cased. Empty when none of them holds an address."""
    for header in ("From", "Sender"):
        found = parse_address(first_header(message, header)).email
        if "@" in found:
            return found
    if "@" in envelope_sender:
        return normalise_email(envelope_sender)
    return ""
