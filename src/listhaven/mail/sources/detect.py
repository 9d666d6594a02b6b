"""Recognising what a path holds and opening it: the entry points of `listhaven.mail.sources`."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

from listhaven.mail.message import SourceMessage
from listhaven.mail.sources.compression import file_compression, read_head
from listhaven.mail.sources.errors import (
    Compression,
    SourceError,
    SourceInfo,
    SourceKind,
)
from listhaven.mail.sources.maildir import is_maildir, maildir_files, read_maildir
from listhaven.mail.sources.mbox import read_mbox
from listhaven.mail.sources.pipermail import (
    archive_files,
    is_archive_name,
    looks_like_pipermail,
    read_pipermail_directory,
    read_pipermail_file,
)
from listhaven.mail.sources.stdin import read_stdin

STDIN = "-"


def _existing(path: str | Path) -> Path:
    resolved = Path(path)
    if not resolved.exists():
        raise SourceError(f"{path}: no such file or directory")
    if not os.access(resolved, os.R_OK):
        raise SourceError(f"{path}: permission denied")
    return resolved


def _directory_kind(path: Path) -> SourceKind:
    if is_maildir(path):
        return "maildir"
    if archive_files(path):
        return "pipermail"
    raise SourceError(
        f"{path}: a directory that is neither a Maildir (with cur/ and new/) "
        "nor a folder of Pipermail archives (YYYY-Month.txt or .txt.gz)"
    )


def _file_kind(path: Path) -> SourceKind:
    head = read_head(path)
    if not head.strip():
        raise SourceError(f"{path}: the file is empty, there is no message to read")
    if is_archive_name(path.name) or looks_like_pipermail(head):
        return "pipermail"
    if head.lstrip(b"\r\n").startswith(b"From "):
        return "mbox"
    raise SourceError(
        f"{path}: does not start with a 'From ' line, so it is not an mbox file "
        "(to import a single message, give it on standard input with '-')"
    )


def source_kind(path: str | Path) -> SourceKind:
    """What `path` holds; SourceError when it is missing, empty or of no known format."""
    if str(path) == STDIN:
        return "stdin"
    existing = _existing(path)
    return _directory_kind(existing) if existing.is_dir() else _file_kind(existing)


def open_source(path: str | Path, *, skip: int = 0, archive_mbox: bool = False) -> Iterator[SourceMessage]:
    """The messages of an mbox, Maildir, Pipermail archive (file or folder) or stdin (``-``).

    Errors about the source itself (missing, empty, unknown format) are raised here, before
    iteration starts. `skip` passes over the first messages without building them (resuming).
    `archive_mbox`: an mbox is split only on ``From `` lines followed by a header line, as Mailman's
    ``bin/cleanarch`` reads a list's archive mbox (see `read_mbox`).
    """
    kind = source_kind(path)
    if kind == "stdin":
        return read_stdin(skip=skip)
    existing = Path(path)
    if kind == "maildir":
        return read_maildir(existing, skip=skip)
    if kind == "pipermail":
        if existing.is_dir():
            return read_pipermail_directory(existing, skip=skip)
        return read_pipermail_file(existing, skip=skip)
    return read_mbox(existing, skip=skip, archive_mbox=archive_mbox)


def _member_files(path: Path, kind: SourceKind) -> list[Path]:
    if not path.is_dir():
        return [path]
    return maildir_files(path) if kind == "maildir" else archive_files(path)


def _compression(files: list[Path]) -> Compression:
    found = {file_compression(member) for member in files if member.stat().st_size}
    if len(found) > 1:
        return "mixed"
    return found.pop() if found else "none"


def describe_source(path: str | Path) -> SourceInfo:
    """Kind, compression, size in bytes and a fingerprint that changes when the source does.

    Standard input cannot be resumed: its size is 0 and its fingerprint the constant "stdin".
    For a directory, size is the sum over its message files and the fingerprint covers the
    newest modification time among them and the directory itself.
    """
    kind = source_kind(path)
    if kind == "stdin":
        return SourceInfo(STDIN, kind, "none", 0, "stdin")
    resolved = Path(path).resolve()
    files = _member_files(resolved, kind)
    stats = [member.stat() for member in files]
    size = sum(stat.st_size for stat in stats)
    mtime_ns = max([resolved.stat().st_mtime_ns] + [stat.st_mtime_ns for stat in stats])
    key = f"{resolved}\0{size}\0{mtime_ns}\0{len(files)}".encode(
        "utf-8", "surrogateescape"
    )
    fingerprint = hashlib.sha256(key).hexdigest()[:32]
    return SourceInfo(str(resolved), kind, _compression(files), size, fingerprint)
