"""Recognising a source, the errors a user sees, and the fingerprint used to resume imports."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import zstandard

from listhaven.mail.sources import SourceError, describe_source, open_source

MBOX = b"From MAILER-DAEMON Thu Jan  1 00:00:00 1970\nSubject: x\n\nbody\n\n"


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file or directory"):
        open_source(tmp_path / "nope.mbox")


def test_directory_of_nothing_known(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(SourceError, match="neither a Maildir"):
        open_source(tmp_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "locked.mbox"
    path.write_bytes(MBOX)
    path.chmod(0)
    with pytest.raises(SourceError, match="permission denied"):
        open_source(path)


def test_source_error_is_a_value_error() -> None:
    assert issubclass(SourceError, ValueError)


def test_describe_mbox(tmp_path: Path) -> None:
    path = tmp_path / "list.mbox.zst"
    data = zstandard.ZstdCompressor().compress(MBOX)
    path.write_bytes(data)
    info = describe_source(path)
    assert (info.kind, info.compression, info.size) == ("mbox", "zstd", len(data))
    assert info.path == str(path.resolve())


def test_fingerprint_is_stable_and_changes_with_the_file(tmp_path: Path) -> None:
    path = tmp_path / "list.mbox"
    path.write_bytes(MBOX)
    first = describe_source(path).fingerprint
    assert describe_source(str(path)).fingerprint == first
    path.write_bytes(MBOX * 2)
    assert describe_source(path).fingerprint != first


def test_describe_stdin() -> None:
    info = describe_source("-")
    assert (info.kind, info.fingerprint) == ("stdin", "stdin")
