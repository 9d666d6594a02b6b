"""mbox reading: separators, escaping, compression, CRLF, skip, and the shared corpora."""

from __future__ import annotations

import gzip
import lzma
import mailbox
from pathlib import Path

import pytest
import zstandard

from listhaven.mail.sources import SourceError, open_source
from listhaven.mail.sources.fromsplit import CHUNK_SIZE

CORPORA = Path(__file__).resolve().parents[2] / "../shared/corpora"
PLACEHOLDER = b"From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n"


def corpus(name: str) -> Path:
    path = CORPORA / name
    if not path.exists():
        pytest.skip(
            f"corpus {name} not found at {path} (../shared/corpora is absent here)"
        )
    return path


def message(n: int, body: bytes = b"Hello.\n") -> bytes:
    return (
        b"From: a%d@example.org\nSubject: test %d\nMessage-ID: <%d@example.org>\n\n"
        % (n, n, n)
        + body
    )


def write(tmp_path: Path, data: bytes, name: str = "list.mbox") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_mboxrd_reads_messages_and_from_lines(tmp_path: Path) -> None:
    data = (
        PLACEHOLDER
        + message(1)
        + b"\nFrom jo@example.org  Mon Mar 17 09:35:25 2008\n"
        + message(2)
        + b"\n"
    )
    got = list(open_source(write(tmp_path, data)))
    assert [m.raw for m in got] == [message(1), message(2)]
    assert [m.origin for m in got] == ["list.mbox#1", "list.mbox#2"]
    assert got[0].from_line == "MAILER-DAEMON Thu Jan  1 00:00:00 1970"
    assert got[1].from_line == "jo@example.org  Mon Mar 17 09:35:25 2008"


def test_mboxrd_unescapes_one_level(tmp_path: Path) -> None:
    stored = b"Body\n>From the start\n>>From quoted\nnot >From here\n"
    data = PLACEHOLDER + message(1, stored) + b"\n"
    [got] = open_source(write(tmp_path, data))
    assert got.raw == message(
        1, b"Body\nFrom the start\n>From quoted\nnot >From here\n"
    )


def test_mboxo_from_in_body_after_text_line_does_not_split(tmp_path: Path) -> None:
    # mboxo writers escape "From " only where a reader would split; a loose one mid-paragraph stays.
    body = b"As I said\nFrom my point of view it works.\n"
    data = PLACEHOLDER + message(1, body) + b"\n" + PLACEHOLDER + message(2) + b"\n"
    got = list(open_source(write(tmp_path, data)))
    assert [m.raw for m in got] == [message(1, body), message(2)]


def test_strict_from_line_without_blank_line_before_splits(tmp_path: Path) -> None:
    data = PLACEHOLDER + message(1) + PLACEHOLDER + message(2)
    got = list(open_source(write(tmp_path, data)))
    assert [m.raw for m in got] == [message(1), message(2)]


def test_from_after_blank_line_splits_even_when_loose(tmp_path: Path) -> None:
    data = PLACEHOLDER + message(1) + b"\nFrom somebody\n" + message(2) + b"\n"
    got = list(open_source(write(tmp_path, data)))
    assert [m.raw for m in got] == [message(1), message(2)]
    assert got[1].from_line == "somebody"


def test_only_one_trailing_blank_line_is_removed(tmp_path: Path) -> None:
    data = (
        PLACEHOLDER
        + message(1, b"text\n\n")
        + b"\n"
        + PLACEHOLDER
        + message(2, b"end\n\n\n")
    )
    got = list(open_source(write(tmp_path, data)))
    assert [m.raw for m in got] == [message(1, b"text\n\n"), message(2, b"end\n\n")]


def test_last_message_without_final_newline_is_kept_whole(tmp_path: Path) -> None:
    data = PLACEHOLDER + message(1) + b"\n" + PLACEHOLDER + message(2, b"no newline")
    got = list(open_source(write(tmp_path, data)))
    assert got[1].raw == message(2, b"no newline")


def test_crlf_file(tmp_path: Path) -> None:
    one, two = (message(n, b"Line\n>From x\n").replace(b"\n", b"\r\n") for n in (1, 2))
    data = (
        PLACEHOLDER.replace(b"\n", b"\r\n")
        + one
        + b"\r\n"
        + b"From a@b Sat Nov 14 21:29:28 2015\r\n"
        + two
        + b"\r\n"
    )
    got = list(open_source(write(tmp_path, data)))
    assert [m.raw for m in got] == [
        one.replace(b">From", b"From"),
        two.replace(b">From", b"From"),
    ]
    assert got[1].from_line == "a@b Sat Nov 14 21:29:28 2015"


def test_leading_blank_lines_are_ignored(tmp_path: Path) -> None:
    [got] = open_source(write(tmp_path, b"\n\n" + PLACEHOLDER + message(1)))
    assert got.raw == message(1)


@pytest.mark.parametrize(
    "compress",
    [gzip.compress, lzma.compress, zstandard.ZstdCompressor().compress],
    ids=["gzip", "xz", "zstd"],
)
def test_compression_is_recognised_by_content_not_name(
    tmp_path: Path, compress
) -> None:
    data = b"".join(PLACEHOLDER + message(n) + b"\n" for n in range(1, 4))
    got = list(open_source(write(tmp_path, compress(data), name="archive.bin")))
    assert [m.raw for m in got] == [message(n) for n in range(1, 4)]
    assert got[0].origin == "archive.bin#1"


def test_zstd_file_of_several_frames_is_read_to_the_end(tmp_path: Path) -> None:
    compressor = zstandard.ZstdCompressor()
    frames = b"".join(
        compressor.compress(PLACEHOLDER + message(n) + b"\n") for n in range(1, 4)
    )
    assert len(list(open_source(write(tmp_path, frames)))) == 3


def test_messages_larger_than_a_chunk_and_across_chunk_borders(tmp_path: Path) -> None:
    big = message(1, b"x" * 70 + b"\n") * (CHUNK_SIZE // 60)
    small = [message(n) for n in range(2, 200)]
    data = PLACEHOLDER + big + b"\n" + b"".join(PLACEHOLDER + m + b"\n" for m in small)
    got = list(open_source(write(tmp_path, data)))
    assert [m.raw for m in got] == [big, *small]


def test_skip_starts_after_the_first_messages(tmp_path: Path) -> None:
    data = b"".join(PLACEHOLDER + message(n) + b"\n" for n in range(1, 6))
    got = list(open_source(write(tmp_path, data), skip=3))
    assert [m.raw for m in got] == [message(4), message(5)]
    assert [m.origin for m in got] == ["list.mbox#4", "list.mbox#5"]
    assert list(open_source(write(tmp_path, data), skip=9)) == []


def test_empty_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="empty"):
        open_source(write(tmp_path, b""))
    with pytest.raises(SourceError, match="empty"):
        open_source(write(tmp_path, gzip.compress(b"\n\n"), name="e.gz"))


def test_file_not_starting_with_from_line_is_refused(tmp_path: Path) -> None:
    # A lone .eml is not an mbox: guessing would risk splitting or merging messages silently.
    with pytest.raises(SourceError, match="does not start with a 'From ' line"):
        open_source(write(tmp_path, message(1)))


def test_damaged_compressed_file_is_a_clear_error(tmp_path: Path) -> None:
    data = gzip.compress(
        b"".join(PLACEHOLDER + message(n) + b"\n" for n in range(1, 300))
    )
    with pytest.raises(SourceError, match=r"list\.mbox"):
        list(open_source(write(tmp_path, data[: len(data) // 2])))


@pytest.mark.corpus
def test_ltp_corpus_has_every_message() -> None:
    count = sum(1 for _ in open_source(corpus("ltp.mbox.zst")))
    assert count == 35_118


@pytest.mark.parametrize(
    "name",
    [
        "mbox_complex.mbox",
        "mbox_iso8859_encoding.mbox",
        "mbox_multipart.mbox",
        "mbox_no_fields.mbox",
        "mbox_single.mbox",
        "mbox_unixfrom_encoding.mbox",
        "mbox_unknown_encoding.mbox",
        "pipermail_2015_november.mbox",
    ],
)
def test_odd_mboxes_count_like_the_standard_library(name: str) -> None:
    path = corpus(f"odd-mboxes/{name}")
    ours = list(open_source(path))
    assert len(ours) == len(mailbox.mbox(path, create=False))
    # The standard library cannot decode non-ASCII From_ lines; compare with the file's own lines.
    lines = path.read_bytes().splitlines()
    expected = [
        line[5:].decode("latin-1") for line in lines if line.startswith(b"From ")
    ]
    assert [m.from_line for m in ours] == expected


def test_a_list_archive_mbox_splits_only_where_headers_follow(tmp_path: Path) -> None:
    """Mailman 2's LIST.mbox from before 2.1 holds unescaped "From " lines in bodies: read as a
    list's archive, a separator is a From line a header line follows (of the full form, unless
    a blank line comes before it); a plain mbox read splits on any From line after a blank line."""
    body = (
        b"Hi.\n\nFrom what I hear it works.\n\n"
        b"From ann@example.org Mon Jan  5 09:00:00 1998 (pasted)\n\nBye.\n\n"
        b"From the README:\nUsage: foo [options]\nNote: bar\n"
    )
    data = (
        PLACEHOLDER + message(1, body) + b"\n"
        + b"From bob@example.net odd date\n" + message(2) + b"\n"  # after a blank line, headers follow
        + PLACEHOLDER + message(3)
    )
    path = write(tmp_path, data)
    archive = [m.raw for m in open_source(path, archive_mbox=True)]
    assert len(archive) == 3
    assert archive[0].endswith(body) and b"Message-ID: <2@" in archive[1]
    assert len(list(open_source(path))) == 6
