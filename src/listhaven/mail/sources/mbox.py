"""mbox files (mboxo and mboxrd), plain or compressed, read as a stream."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from listhaven.mail.message import SourceMessage
from listhaven.mail.sources.compression import DECOMPRESSION_ERRORS, open_decompressed
from listhaven.mail.sources.errors import SourceError
from listhaven.mail.sources.fromsplit import split_messages

# mboxrd escapes ``>*From `` by adding one ``>``; taking one away also undoes mboxo's escaping.
_ESCAPED_FROM = re.compile(rb"^>(>*From )", re.MULTILINE)
_ANY_ESCAPED = re.compile(rb">From ")  # a regular expression finds a literal sooner than `in` does


def unescape_from(body: bytes) -> bytes:
    if _ANY_ESCAPED.search(body) is None:
        return body
    return _ESCAPED_FROM.sub(rb"\1", body)


def read_mbox(
    path: Path, *, skip: int = 0, origin_name: str | None = None, archive_mbox: bool = False
) -> Iterator[SourceMessage]:
    """Each message of the mbox at `path`, from the (skip + 1)th; origin is ``NAME#INDEX``.

    `archive_mbox`: a ``From `` line separates messages only when a header line follows it,
    and it has the full form ``From <sender> <asctime>`` or a blank line comes before it. A
    Mailman 2 list's archive mbox needs this: archives carried over from older versions (or
    appended to by hand) hold bodies whose ``From `` lines were never escaped, and a paragraph
    starting "From what I saw" would otherwise cut a message in two and shift the Pipermail
    number of every message after it (Mailman's ``bin/cleanarch`` tells them apart the same way)."""
    name = origin_name or path.name
    try:
        with open_decompressed(path) as stream:
            for index, from_line, body in split_messages(
                stream, name=str(path), skip=skip, archive_mbox=archive_mbox
            ):
                yield SourceMessage(
                    unescape_from(body), f"{name}#{index}", from_line.decode("latin-1")
                )
    except DECOMPRESSION_ERRORS as exc:
        raise SourceError(f"{path}: reading failed ({exc})") from exc
