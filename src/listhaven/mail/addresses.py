"""From/To/Cc values to `Address` records, including Pipermail's ``user at host (Name)`` form."""

from __future__ import annotations

import re
from email.utils import getaddresses, parseaddr

from listhaven.mail.encoded_words import decode_words
from listhaven.mail.message import Address

# Pipermail's obfuscation, in From: headers and mbox From_ lines: "jjl at pobox.com (John J. Lee)".
_PIPERMAIL = re.compile(r"\s*([^\s@<>(),\"]+) at ([^\s@<>(),\"]+\.[^\s@<>(),\"]+)\s*(?:\((.*)\))?\s*")
_COMPLEX = re.compile(r'["()\\:;]|=\?')
_SIMPLE = re.compile(r"\s*(?:([^<>@,]*?)\s*<([^<>\s,]+@[^<>\s,]+)>|([^<>\s,]+@[^<>\s,]+))\s*")
_SPACE = re.compile(r"\s+")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069]")

EMPTY_ADDRESS = Address("", "")


def parse_address(value: str | None) -> Address:
    """One mailbox from a header value; Address('', '') when there is none. Never raises."""
    address, _ = parse_address_checked(value)
    return address


def parse_address_checked(value: str | None) -> tuple[Address, str | None]:
    """(address, defect or None): the defect says why the value gave no usable address."""
    if value is None or not value.strip():
        return EMPTY_ADDRESS, "no sender address"
    try:
        found = _parse_one(value)
    except Exception:  # noqa: BLE001 - the stdlib address parser fails in unplanned ways
        found = None
    if found is None or not (found.email or found.name):
        return EMPTY_ADDRESS, "unreadable sender address"
    return found, None


def parse_address_list(value: str | None, limit: int = 200) -> tuple[Address, ...]:
    """Every mailbox of a To/Cc value (groups flattened), at most `limit`. Never raises."""
    if not value or not value.strip():
        return ()
    pipermail = _pipermail(value)
    if pipermail is not None:
        return (pipermail,)
    pairs = _simple_list(value)
    if pairs is None:
        try:
            pairs = getaddresses([value])
        except Exception:  # noqa: BLE001
            return ()
    found: list[Address] = []
    for name, email in pairs:
        address = _make(name, email)
        if address.email or address.name:
            found.append(address)
        if len(found) >= limit:
            break
    return tuple(found)


def _parse_one(value: str) -> Address | None:
    pipermail = _pipermail(value)
    if pipermail is not None:
        return pipermail
    simple = _simple_list(value)
    name, email = simple[0] if simple is not None and len(simple) == 1 else parseaddr(value)
    if "@" not in email:
        # No address at all ("Foo Bar", "root", "<>"): keep readable words as a name.
        words = name or value
        return _make(words, "") if words.strip("<> ") else None
    return _make(name, email)


def _simple_list(value: str) -> list[tuple[str, str]] | None:
    """(name, address) pairs when every item is a plain ``Name <a@b>`` or ``a@b``; else None.

    Most values are that simple; the stdlib parser is kept for quoting, comments and groups.
    """
    if _COMPLEX.search(value):
        return None
    pairs: list[tuple[str, str]] = []
    for item in value.split(","):
        match = _SIMPLE.fullmatch(item)
        if match is None:
            if item.strip():
                return None
            continue
        pairs.append((match.group(1) or "", match.group(2) or match.group(3)))
    return pairs


def _pipermail(value: str) -> Address | None:
    if " at " not in value:
        return None
    match = _PIPERMAIL.fullmatch(value)
    if match is None:
        return None
    return _make(match.group(3) or "", f"{match.group(1)}@{match.group(2)}")


def _make(name: str, email: str) -> Address:
    return Address(clean_name(name), normalise_email(email))


def clean_name(name: str) -> str:
    """A display name decoded from RFC 2047, unquoted, without control characters, one line."""
    name = decode_words(name)
    if not name.isprintable():
        name = _UNSAFE.sub(" ", name)
    name = _SPACE.sub(" ", name).strip()
    if len(name) >= 2 and name[0] == name[-1] and name[0] in "\"'":
        name = name[1:-1].strip()
    return name[:200]


def normalise_email(email: str) -> str:
    """``local@Domain.Example`` → ``local@domain.example``; the local part is kept as written."""
    email = "".join(email.split()).strip("<>")
    if not email.isprintable():
        email = _UNSAFE.sub("", email)
    local, at, domain = email.rpartition("@")
    if not at:
        return email[:320]
    return f"{local}@{domain.lower()}"[:320]
