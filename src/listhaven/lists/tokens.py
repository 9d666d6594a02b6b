"""Signed tokens that carry an address, so a link needs no database row per copy sent.

A personalised copy's one-click unsubscribe URL (RFC 8058) holds a token naming the member; the server
checks its HMAC when the link is used. The token is bound to one *purpose* and one *list*: an
unsubscribe token is not a confirmation token, and a token for one list is worthless on another.

Layout, before encoding: a version byte, the issue time (5 bytes, seconds since the epoch), the
address in UTF-8, then the first 16 bytes of HMAC-SHA-256 over a domain label, the purpose, the list
id and those bytes (a 128-bit tag, as in RFC 4868). The MAC covers purpose and list id without
carrying them, which keeps the token short.

The encoding is lowercase hexadecimal: safe in a URL path, a Subject and an address local part,
unharmed by mail software that changes the case of what it handles, and made in C (a token is made
for every personalised copy; the stdlib's base32 is pure Python and costs more than the HMAC).

Keys rotate: the first key of the sequence signs; every key in it verifies. Keeping the old key in the
sequence after a new one is put first is the grace period; dropping it ends that key's tokens.

Pure Python: nothing here reads Django settings; callers pass keys, times and ids as arguments.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence

_VERSION = 1
_TIME_BYTES = 5
_TAG_BYTES = 16
_LABEL = b"listhaven-token-v1"
_MIN_KEY_BYTES = 16
MAX_ADDRESS_BYTES = 320
# Tokens claim an issue time; a token "from the future" is accepted within this much clock
# difference between the machines that sign and check, and refused beyond it.
MAX_CLOCK_SKEW = 300


def make_token(keys: Sequence[bytes], purpose: str, list_id: str | int, address: str, issued: int) -> str:
    """A token for `address` on `list_id`, valid for `purpose` only, signed with ``keys[0]``.

    `issued` is the issue time in seconds since the epoch (the caller's clock). Raises ValueError on an
    empty key sequence, a short key, an empty purpose or address, or an address over 320 bytes.
    """
    _check_arguments(keys, purpose)
    encoded = address.encode("utf-8")
    if not encoded or len(encoded) > MAX_ADDRESS_BYTES:
        raise ValueError("the address must be 1 to 320 bytes")
    if not 0 <= issued < 256**_TIME_BYTES:
        raise ValueError("issued is out of range")
    body = bytes([_VERSION]) + issued.to_bytes(_TIME_BYTES, "big") + encoded
    return _encode(body + _tag(keys[0], purpose, list_id, body))


def check_token(
    keys: Sequence[bytes],
    token: str,
    purpose: str,
    list_id: str | int,
    *,
    max_age: int,
    now: int,
    expected: str | None = None,
) -> str | None:
    """The address `token` names when it is genuine, unexpired and meant for `purpose` on `list_id`.

    None for anything else: malformed, tampered with, signed by a key no longer in `keys`, made for
    another purpose or list, older than `max_age` seconds at `now`, issued more than MAX_CLOCK_SKEW
    seconds after `now`, or (when `expected` is given) naming another address. Tags are compared in
    constant time; every key is tried, so the time taken does not say which key matched.
    """
    _check_arguments(keys, purpose)
    data = _decode(token)
    if data is None or len(data) <= 1 + _TIME_BYTES + _TAG_BYTES or data[0] != _VERSION:
        return None
    body, tag = data[:-_TAG_BYTES], data[-_TAG_BYTES:]
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(tag, _tag(key, purpose, list_id, body))
    if not matched:
        return None
    issued = int.from_bytes(body[1 : 1 + _TIME_BYTES], "big")
    if now - issued > max_age or issued - now > MAX_CLOCK_SKEW:
        return None
    try:
        address = body[1 + _TIME_BYTES :].decode("utf-8")
    except UnicodeDecodeError:
        return None
    if expected is not None and _comparable(expected) != _comparable(address):
        return None
    return address


def token_issued(token: str) -> int | None:
    """The issue time a well-formed token claims (unverified: for display and logs only)."""
    data = _decode(token)
    if data is None or len(data) <= 1 + _TIME_BYTES + _TAG_BYTES or data[0] != _VERSION:
        return None
    return int.from_bytes(data[1 : 1 + _TIME_BYTES], "big")


def _tag(key: bytes, purpose: str, list_id: str | int, body: bytes) -> bytes:
    # Each field is length-prefixed, so no choice of purpose and list id can imitate another.
    fields = [_LABEL, purpose.encode("utf-8"), str(list_id).encode("utf-8"), body]
    message = b"".join(len(field).to_bytes(4, "big") + field for field in fields)
    return hmac.digest(key, message, "sha256")[:_TAG_BYTES]


def _check_arguments(keys: Sequence[bytes], purpose: str) -> None:
    if not purpose:
        raise ValueError("a token needs a purpose")
    if not keys:
        raise ValueError("no signing key")
    if any(len(key) < _MIN_KEY_BYTES for key in keys):
        raise ValueError(f"every key must be at least {_MIN_KEY_BYTES} bytes")


def _encode(data: bytes) -> str:
    return data.hex()


def _decode(token: str) -> bytes | None:
    text = token.strip()
    if not text or len(text) > 2 * (1 + _TIME_BYTES + MAX_ADDRESS_BYTES + _TAG_BYTES) or not text.isascii():
        return None
    try:
        data = bytes.fromhex(text)
    except ValueError:
        return None
    # fromhex skips inner spaces: only the canonical spelling of a token is that token.
    return data if data.hex() == text.lower() else None


def _comparable(address: str) -> str:
    """Addresses compare with the domain's case ignored; the local part is kept as written."""
    local, at, domain = address.strip().rpartition("@")
    return f"{local}{at}{domain.lower()}" if at else address.strip()
