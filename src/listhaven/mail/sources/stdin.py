"""One message on standard input (what an MTA pipes to a delivery command)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import BinaryIO

from listhaven.mail.message import SourceMessage
from listhaven.mail.sources.errors import SourceError
from listhaven.mail.sources.fromsplit import split_leading_from_line

ORIGIN = "stdin#1"


def read_stdin(
    stream: BinaryIO | None = None, *, skip: int = 0
) -> Iterator[SourceMessage]:
    """The whole input as one message; a leading ``From `` line is removed and kept as from_line.

    Input is read at once (not on first iteration) so an empty input is reported straight away.
    """
    raw = (stream or sys.stdin.buffer).read()
    if not raw.strip():
        raise SourceError("standard input is empty: expected one message")
    body, from_line = split_leading_from_line(raw)
    return iter([SourceMessage(body, ORIGIN, from_line)][skip:])
