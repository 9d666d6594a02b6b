"""Pipermail monthly text archives: strict separators, folders in month order, the corpus."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from listhaven.mail.sources import SourceError, describe_source, open_source

CORPORA = Path(__file__).resolve().parents[2] / "../shared/corpora"


def entry(user: str, date: str, subject: str, body: bytes) -> bytes:
    head = f"From {user} at example.org  {date}\nFrom: {user} at example.org ({user.title()})\n"
    head += f"Date: {date}\nSubject: [Demo] {subject}\nMessage-ID: <{user}.{subject}@example.org>\n\n"
    return head.encode() + body + b"\n\n"


def month(*entries: bytes) -> bytes:
    return b"".join(entries)


def test_from_inside_a_body_does_not_split(tmp_path: Path) -> None:
    tricky = b"Quoting:\n\nFrom jo at example.org  Thu Nov  1 11:19:12 2001\nwas the line.\n\nFrom here on, fine.\n"
    path = tmp_path / "2001-November.txt"
    path.write_bytes(
        month(
            entry("ann", "Thu Nov  1 11:19:12 2001", "one", tricky),
            entry("bob", "Fri Nov  2 10:24:10 2001", "two", b"Hi.\n"),
        )
    )
    got = list(open_source(path))
    assert len(got) == 2
    assert tricky in got[0].raw
    assert got[0].raw.startswith(b"From: ann at example.org (Ann)\n")
    assert got[1].from_line == "bob at example.org  Fri Nov  2 10:24:10 2001"
    assert got[1].origin == "2001-November.txt#2"


def test_pipermail_bodies_are_not_unescaped(tmp_path: Path) -> None:
    path = tmp_path / "2001-November.txt"
    path.write_bytes(entry("ann", "Thu Nov  1 11:19:12 2001", "one", b"x\n>From y\n"))
    [got] = open_source(path)
    assert b"\n>From y\n" in got.raw


def test_recognised_by_first_line_whatever_the_name(tmp_path: Path) -> None:
    path = tmp_path / "archive.gz"
    path.write_bytes(
        gzip.compress(entry("ann", "Thu Nov  1 11:19:12 2001", "one", b"Hi.\n"))
    )
    assert describe_source(path).kind == "pipermail"
    assert describe_source(path).compression == "gzip"
    assert len(list(open_source(path))) == 1


def write_folder(folder: Path) -> None:
    folder.mkdir()
    (folder / "2014-August.txt").write_bytes(
        entry("c", "Fri Aug  1 10:00:00 2014", "aug", b"c\n")
    )
    (folder / "2014-August.txt.gz").write_bytes(
        gzip.compress(entry("c", "Fri Aug  1 10:00:00 2014", "aug", b"c\n"))
    )
    (folder / "2013-December.txt.gz").write_bytes(
        gzip.compress(
            entry("a", "Sun Dec  1 10:00:00 2013", "dec", b"a\n")
            + entry("b", "Mon Dec  2 10:00:00 2013", "dec2", b"b\n")
        )
    )
    (folder / "2014-February.txt").write_bytes(b"")  # Mailman leaves empty months
    (folder / "2014-April.txt").write_bytes(
        entry("d", "Tue Apr  1 10:00:00 2014", "apr", b"d\n")
    )
    (folder / "index.html").write_bytes(b"<html></html>")


def test_folder_is_read_in_month_order_once_per_month(tmp_path: Path) -> None:
    write_folder(tmp_path / "archive")
    got = list(open_source(tmp_path / "archive"))
    assert [m.origin for m in got] == [
        "2013-December.txt.gz#1",
        "2013-December.txt.gz#2",
        "2014-April.txt#1",
        "2014-August.txt#1",
    ]


def test_skip_counts_across_the_folder(tmp_path: Path) -> None:
    write_folder(tmp_path / "archive")
    assert [m.origin for m in open_source(tmp_path / "archive", skip=2)] == [
        "2014-April.txt#1",
        "2014-August.txt#1",
    ]
    assert [m.origin for m in open_source(tmp_path / "archive", skip=3)] == [
        "2014-August.txt#1"
    ]
    assert (
        next(open_source(tmp_path / "archive", skip=1)).origin
        == "2013-December.txt.gz#2"
    )


def test_empty_pipermail_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "2014-February.txt").write_bytes(b"")
    with pytest.raises(SourceError, match="empty"):
        open_source(tmp_path / "2014-February.txt")


def test_numpy_corpus_month() -> None:
    path = CORPORA / "numpy-discussion-2001-November.txt"
    if not path.exists():
        pytest.skip(
            f"corpus file not found at {path} (../shared/corpora is absent here)"
        )
    got = list(open_source(path))
    assert len(got) == 164
    assert got[0].from_line == "jjl at pobox.com  Thu Nov  1 11:19:12 2001"
    assert all(m.raw.startswith(b"From: ") for m in got)


def test_the_months_are_those_listed_when_the_folder_is_opened(tmp_path: Path) -> None:
    # As for a Maildir: the import's parser processes each read the opened source, and must read
    # the same months in the same order.
    write_folder(tmp_path / "archive")
    opened = open_source(tmp_path / "archive")
    (tmp_path / "archive" / "2014-January.txt").write_bytes(
        entry("e", "Wed Jan  1 10:00:00 2014", "jan", b"e\n")
    )
    (tmp_path / "archive" / "2014-February.txt").write_bytes(
        entry("f", "Sat Feb  1 10:00:00 2014", "feb", b"f\n")
    )
    assert [m.origin for m in opened] == [
        "2013-December.txt.gz#1",
        "2013-December.txt.gz#2",
        "2014-April.txt#1",
        "2014-August.txt#1",
    ]
