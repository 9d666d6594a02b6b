"""Maildir folders: cur/ and new/ in file-name order, tmp/ and dot files ignored."""

from __future__ import annotations

from pathlib import Path

from listhaven.mail.sources import describe_source, open_source


def make_maildir(root: Path) -> Path:
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    (root / "new" / "1700000002.M2.host").write_bytes(b"Subject: two\n\nb\n")
    (root / "cur" / "1700000003.M3.host:2,S").write_bytes(b"Subject: three\n\nc\n")
    (root / "cur" / "1700000001.M1.host:2,S").write_bytes(
        b"From jo@example.org Thu Nov  1 11:19:12 2001\nSubject: one\n\na\n"
    )
    (root / "tmp" / "1700000000.M0.host").write_bytes(b"Subject: half delivered\n\n")
    (root / "cur" / ".hidden").write_bytes(b"Subject: not mail\n\n")
    return root


def test_reads_cur_and_new_in_name_order(tmp_path: Path) -> None:
    got = list(open_source(make_maildir(tmp_path / "inbox")))
    assert [m.raw for m in got] == [
        b"Subject: one\n\na\n",
        b"Subject: two\n\nb\n",
        b"Subject: three\n\nc\n",
    ]
    assert [m.origin for m in got] == [
        "inbox/cur/1700000001.M1.host:2,S",
        "inbox/new/1700000002.M2.host",
        "inbox/cur/1700000003.M3.host:2,S",
    ]
    assert got[0].from_line == "jo@example.org Thu Nov  1 11:19:12 2001"
    assert got[1].from_line is None


def test_skip(tmp_path: Path) -> None:
    got = list(open_source(make_maildir(tmp_path / "inbox"), skip=2))
    assert [m.raw for m in got] == [b"Subject: three\n\nc\n"]


def test_described_as_maildir(tmp_path: Path) -> None:
    info = describe_source(make_maildir(tmp_path / "inbox"))
    assert info.kind == "maildir"
    files = [
        f
        for sub in ("cur", "new")
        for f in (tmp_path / "inbox" / sub).iterdir()
        if not f.name.startswith(".")
    ]
    assert info.size == sum(f.stat().st_size for f in files)


def test_the_files_are_those_listed_when_the_source_is_opened(tmp_path: Path) -> None:
    # The import's parser processes are forked with the opened, unstarted source and each reads it
    # (every n-th message to each): a file arriving while they start must not shift one's listing.
    inbox = make_maildir(tmp_path / "inbox")
    opened = open_source(inbox)
    (inbox / "cur" / "1600000000.M9.host:2,S").write_bytes(b"Subject: copied in later\n\nz\n")
    assert [m.origin for m in opened] == [
        "inbox/cur/1700000001.M1.host:2,S",
        "inbox/new/1700000002.M2.host",
        "inbox/cur/1700000003.M3.host:2,S",
    ]
