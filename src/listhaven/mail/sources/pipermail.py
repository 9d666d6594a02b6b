"""Pipermail (GNU Mailman 2) monthly text archives: ``2014-August.txt`` or ``.txt.gz``.

The From_ lines carry the obfuscated sender (``From jjl at pobox.com  Thu Nov  1 11:19:12 2001``)
and bodies are not reliably escaped, so a message starts only at a strict From_ line followed
by a header line. Messages are yielded as stored; the parser restores obfuscated addresses.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from listhaven.mail.message import SourceMessage
from listhaven.mail.sources.compression import DECOMPRESSION_ERRORS, open_decompressed
from listhaven.mail.sources.errors import SourceError
from listhaven.mail.sources.fromsplit import count_messages, split_messages

MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
ARCHIVE_NAME = re.compile(r"^(\d{4})-(" + "|".join(MONTHS) + r")\.txt(\.gz)?$")
# The From_ line Pipermail writes: the address obfuscated with " at ", two spaces, an asctime date.
PIPERMAIL_FROM_LINE = re.compile(
    rb"^From \S+ at \S+ +(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} +\d{1,2} \d{1,2}:\d\d:\d\d \d{4}\r?$"
)


def is_archive_name(name: str) -> bool:
    return ARCHIVE_NAME.match(name) is not None


def looks_like_pipermail(head: bytes) -> bool:
    """Whether the first line of `head` is a Pipermail From_ line."""
    return PIPERMAIL_FROM_LINE.match(head.split(b"\n", 1)[0]) is not None


def archive_files(directory: Path) -> list[Path]:
    """The monthly archives of `directory` in chronological order; ``.txt`` preferred over ``.txt.gz``.

    Mailman keeps both for past months (same content), so only one of the pair is read.
    """
    chosen: dict[tuple[int, int], Path] = {}
    for entry in directory.iterdir():
        match = ARCHIVE_NAME.match(entry.name)
        if match is None or not entry.is_file():
            continue
        key = (int(match.group(1)), MONTHS.index(match.group(2)))
        if key not in chosen or not match.group(3):
            chosen[key] = entry
    return [chosen[key] for key in sorted(chosen)]


def read_pipermail_file(path: Path, *, skip: int = 0) -> Iterator[SourceMessage]:
    try:
        with open_decompressed(path) as stream:
            for index, from_line, body in split_messages(
                stream, name=str(path), pipermail=True, skip=skip
            ):
                yield SourceMessage(
                    body, f"{path.name}#{index}", from_line.decode("latin-1")
                )
    except DECOMPRESSION_ERRORS as exc:
        raise SourceError(f"{path}: reading failed ({exc})") from exc


def _count_file(path: Path) -> int:
    try:
        with open_decompressed(path) as stream:
            return count_messages(stream, name=str(path), pipermail=True)
    except DECOMPRESSION_ERRORS as exc:
        raise SourceError(f"{path}: reading failed ({exc})") from exc


def read_pipermail_directory(
    directory: Path, *, skip: int = 0
) -> Iterator[SourceMessage]:
    """Every month's messages in order; `skip` counts across the whole directory.

    Empty monthly files (Mailman creates them) are passed over. The folder is listed now, not at
    the first message: every reader of the iterator (an import's parser processes, forked with
    it) reads the same months in the same order, whatever arrives meanwhile.
    """
    months = [path for path in archive_files(directory) if path.stat().st_size]
    return _read_months(months, skip)


def _read_months(months: list[Path], skip: int) -> Iterator[SourceMessage]:
    remaining = skip
    for path in months:
        if remaining:
            count = _count_file(path)
            if count <= remaining:
                remaining -= count
                continue
        yield from read_pipermail_file(path, skip=remaining)
        remaining = 0
