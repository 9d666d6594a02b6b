"""From/To/Cc values to `Address` records, including Pipermail's ``user at host (Name)`` form."""

from __future__ import annotations

import re
from email.utils import getaddresses, parseaddr
from functools import lru_cache

from listhaven.mail.encoded_words import decode_words
from listhaven.mail.message import Address

# Pipermail's obfuscation, in From: headers and mbox From_ lines: "jjl at pobox.com (John J. Lee)".
_PIPERMAIL = re.compile(r"\s*([^\s@<>(),\"]+) at ([^\s@<>(),\"]+\.[^\s@<>(),\"]+)\s*(?:\((.*)\))?\s*")
# The plain shapes of a To/Cc item, for the fast path: ``a@b``, ``<a@b>``, ``Name <a@b>`` and
# ``"Last, First" <a@b>``, with names of atoms and quoted strings (no comments, groups, backslash
# escapes, domain literals or folding). The character classes are email._parseaddr's: its atoms end
# at its specials and at space/tab/CR/LF only, so other whitespace (NBSP, \x0b) belongs to a phrase
# word. In an address it does not: there getaddrspec drops an atom that str.strip() empties, so an
# address with any whitespace goes to the standard parser.
_ATOM_CHARS = r'[^()<>@,:;."\[\]\\\s]'
_DOT_ATOM = rf"{_ATOM_CHARS}+(?:\.{_ATOM_CHARS}+)*"
_ADDR_SPEC = rf"{_DOT_ATOM}@{_DOT_ATOM}"
# A phrase: phrase characters (atoms, dots, space, tab) and quoted strings, each character taken
# by exactly one branch so a failed match cannot backtrack exponentially.
_PHRASE = r'(?:[^()<>@,:;"\[\]\\\r\n]|"[^"\\\r\n]*")+'
_ITEM = re.compile(
    rf"[ \t]*(?:(?P<phrase>{_PHRASE})?<(?P<angle>{_ADDR_SPEC})>|(?P<bare>{_ADDR_SPEC}))[ \t]*(?:,|\Z)"
)
_WORD = re.compile(r'"([^"]*)"|([^ \t"]+)')
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
        found = _parse_one(value) if len(value) <= _CACHED_CHARS else _parse_one.__wrapped__(value)
    except Exception:  # noqa: BLE001 - the stdlib address parser fails in unplanned ways
        found = None
    if found is None or not (found.email or found.name):
        return EMPTY_ADDRESS, "unreadable sender address"
    return found, None


def parse_address_list(value: str | None, limit: int = 200) -> tuple[Address, ...]:
    """Every mailbox of a To/Cc value (groups flattened), at most `limit`. Never raises."""
    if not value or not value.strip():
        return ()
    if len(value) > _CACHED_CHARS:
        return _address_list.__wrapped__(value, limit)
    return _address_list(value, limit)


# A list's mail repeats itself: in a kernel list's 10,000 messages the 20,000 To/Cc values hold
# 6,200 distinct values and 2,700 distinct mailboxes, and the 10,000 From values 689 distinct ones
# (ltp's: 352). These functions are pure, their results immutable; the caches are per process and
# bounded in entries and, for values, in size (a malicious mbox of 16 KB To values must not fill
# memory): at most ~50 MB.
_CACHED_CHARS = 4096


@lru_cache(maxsize=2048)
def _address_list(value: str, limit: int) -> tuple[Address, ...]:
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


@lru_cache(maxsize=2048)
def _parse_one(value: str) -> Address | None:
    pipermail = _pipermail(value)
    if pipermail is not None:
        return pipermail
    simple = _simple_list(value)
    # parseaddr is the first pair of getaddresses
    name, email = simple[0] if simple else parseaddr(value)
    if "@" not in email:
        # No address at all ("Foo Bar", "root", "<>"): keep readable words as a name.
        words = name or value
        return _make(words, "") if words.strip("<> ") else None
    return _make(name, email)


def _simple_list(value: str) -> list[tuple[str, str]] | None:
    """The (name, address) pairs `email.utils.getaddresses([value])` gives, when every item has a
    plain shape (see _ITEM); None for anything else, which goes to the standard parser.

    Kernel-style To/Cc values of 20-40 such items made the standard parser most of the parse
    time; tests/mail/test_address_fast_path.py checks equality on generated and real values.
    """
    pairs: list[tuple[str, str]] = []
    position, end = 0, len(value)
    while position < end:
        match = _ITEM.match(value, position)
        if match is None:
            return None
        bare = match.group("bare")
        if bare is not None:
            pairs.append(("", bare))
        else:
            phrase = match.group("phrase") or ""
            # getaddresses joins the phrase's words (quoted strings without their quotes) with one space
            name = " ".join(w.group(2) if w.group(1) is None else w.group(1) for w in _WORD.finditer(phrase))
            pairs.append((name, match.group("angle")))
        position = match.end()
    return pairs


def _pipermail(value: str) -> Address | None:
    if " at " not in value:
        return None
    match = _PIPERMAIL.fullmatch(value)
    if match is None:
        return None
    return _make(match.group(3) or "", f"{match.group(1)}@{match.group(2)}")


@lru_cache(maxsize=8192)
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
