"""Maildir folders: one message per file in ``cur/`` and ``new/``; ``tmp/`` is never read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from listhaven.mail.message import SourceMessage
from listhaven.mail.sources.fromsplit import split_leading_from_line


def is_maildir(path: Path) -> bool:
    return (path / "cur").is_dir() and (path / "new").is_dir()


def maildir_files(path: Path) -> list[Path]:
    """The message files of cur/ and new/, ordered by file name (delivery time first) for determinism.

    Dot files are skipped, as the Maildir convention says.
    """
    files = [
        entry
        for sub in ("cur", "new")
        for entry in (path / sub).iterdir()
        if entry.is_file() and not entry.name.startswith(".")
    ]
    return sorted(files, key=lambda entry: (entry.name, entry.parent.name))


def read_maildir(path: Path, *, skip: int = 0) -> Iterator[SourceMessage]:
    """Each message file; origin is ``MAILDIR/cur/FILENAME``. The folder is listed now, not at the
    first message: every reader of the iterator (an import's parser processes, forked with it)
    reads the same files in the same order, whatever arrives meanwhile."""
    return _read_files(path, maildir_files(path)[skip:])


def _read_files(path: Path, entries: list[Path]) -> Iterator[SourceMessage]:
    for entry in entries:
        raw, from_line = split_leading_from_line(entry.read_bytes())
        yield SourceMessage(
            raw, f"{path.name}/{entry.parent.name}/{entry.name}", from_line
        )
