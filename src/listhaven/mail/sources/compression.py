"""Opening a file that may be compressed, recognised by its magic bytes rather than its name."""

from __future__ import annotations

import bz2
import gzip
import lzma
import zlib
from pathlib import Path
from typing import BinaryIO, cast

import zstandard

from listhaven.mail.sources.errors import Compression, SourceError

_MAGIC: tuple[tuple[bytes, Compression], ...] = (
    (b"\x1f\x8b", "gzip"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"BZh", "bzip2"),
)

# Errors the decompressors raise on damaged input; they become a SourceError.
DECOMPRESSION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    EOFError,
    lzma.LZMAError,
    zlib.error,
    zstandard.ZstdError,
)


def sniff_compression(head: bytes) -> Compression:
    """The compression whose magic bytes start `head`, or "none"."""
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    return "none"


def file_compression(path: Path) -> Compression:
    with open(path, "rb") as raw:
        return sniff_compression(raw.read(8))


def open_decompressed(path: Path) -> BinaryIO:
    """A binary stream of the file's content, decompressed when its magic bytes say so."""
    compression = file_compression(path)
    if compression == "gzip":
        return cast(BinaryIO, gzip.open(path, "rb"))
    if compression == "xz":
        return cast(BinaryIO, lzma.open(path, "rb"))
    if compression == "bzip2":
        return cast(BinaryIO, bz2.open(path, "rb"))
    raw = open(path, "rb")
    if compression == "zstd":
        # A file may hold several frames (zstd files are often concatenated).
        reader = zstandard.ZstdDecompressor().stream_reader(
            raw, read_across_frames=True, closefd=True
        )
        return cast(BinaryIO, reader)
    return raw


def read_head(path: Path, size: int = 65536) -> bytes:
    """Up to `size` decompressed bytes from the start of the file."""
    try:
        with open_decompressed(path) as stream:
            parts: list[bytes] = []
            wanted = size
            while wanted > 0:
                part = stream.read(wanted)
                if not part:
                    break
                parts.append(part)
                wanted -= len(part)
            return b"".join(parts)
    except DECOMPRESSION_ERRORS as exc:
        raise SourceError(f"{path}: cannot be read ({exc})") from exc
