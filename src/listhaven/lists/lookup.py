"""Naming a list on the command line: by its address or, when unique, its short name.

The rule and its messages, apart from the database: `directory.find_list` asks the ORM, the command
line's quick path (archive/sqlite_reads.py) asks SQLite directly, and both decide here. No Django.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


class ListNotFound(LookupError):
    pass


def list_key(name_or_address: str) -> str:
    """What is looked up: the name or address as stored (lower case, no surrounding space)."""
    return name_or_address.strip().lower()


def pick_list(
    name_or_address: str, named: Sequence[T], by_local_part: Callable[[str], Sequence[T]]
) -> T:
    """The one list among `named` (up to two lists whose address or short name is the key), else
    among `by_local_part(key)` (up to two whose address starts with ``key@``); a clear error otherwise."""
    key = list_key(name_or_address)
    found = list(named)
    if not found and "@" not in key:
        found = list(by_local_part(key))
    if len(found) == 1:
        return found[0]
    if not found:
        raise ListNotFound(f"no list named {name_or_address!r} (see `listhaven lists`)")
    raise ListNotFound(f"{name_or_address!r} names several lists; use the full address")
