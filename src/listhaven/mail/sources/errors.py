"""What every reader shares: the error a user sees and the description of a source."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SourceKind = Literal["mbox", "maildir", "pipermail", "stdin"]
Compression = Literal["none", "gzip", "zstd", "xz", "bzip2", "mixed"]


class SourceError(ValueError):
    """A source that cannot be read at all: missing, unreadable, empty or of no known format.

    The message names the path and says what was expected, so it can be shown to a user as is.
    """


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """What `describe_source` reports about a source before it is read.

    `fingerprint` is stable while the source is unchanged (same resolved path, size and
    modification time), so an interrupted import can tell it is resuming the same input.
    """

    path: str
    kind: SourceKind
    compression: Compression
    size: int
    fingerprint: str
