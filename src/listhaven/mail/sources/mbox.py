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


def unescape_from(body: bytes) -> bytes:
    if b">From " not in body:
        return body
    return _ESCAPED_FROM.sub(rb"\1", body)


def read_mbox(
    path: Path, *, skip: int = 0, origin_name: str | None = None
) -> Iterator[SourceMessage]:
    """Each message of the mbox at `path`, from the (skip + 1)th; origin is ``NAME#INDEX``."""
    name = origin_name or path.name
    try:
        with open_decompressed(path) as stream:
            for index, from_line, body in split_messages(
                stream, name=str(path), skip=skip
            ):
                yield SourceMessage(
                    unescape_from(body), f"{name}#{index}", from_line.decode("latin-1")
                )
    except DECOMPRESSION_ERRORS as exc:
        raise SourceError(f"{path}: reading failed ({exc})") from exc
