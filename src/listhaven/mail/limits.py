"""Bounds on what the parser accepts, so one malicious message cannot stall an import."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ParseLimits:
    """Limits applied by `parse_message`.

    max_bytes: a larger message is refused (quarantined) rather than parsed.
    max_parts: more MIME parts than this is refused: no list mail needs them.
    max_depth: multipart containers nested deeper than this are not descended into.
    max_header_chars: Subject/From/To/Cc values are cut to this many characters before
        parsing, so a megabyte-long header line costs nothing.
    max_addresses: at most this many addresses are kept per To/Cc header.
    """

    max_bytes: int = 25 * 1024 * 1024
    max_parts: int = 1000
    max_depth: int = 50
    max_header_chars: int = 16 * 1024
    max_addresses: int = 200


DEFAULT_LIMITS = ParseLimits()
