"""zstd for the verbatim bytes of messages and quarantined input."""

from __future__ import annotations

import threading

import zstandard

# Level 2: a quarter less CPU than 3 for 1 % more bytes on list mail (ltp, a kernel list), and the
# parser processes compress every message of an import.
_LEVEL = 2
# zstd (de)compressor objects are not thread-safe; one of each per thread is cheap.
_local = threading.local()


def compress(data: bytes) -> bytes:
    if not hasattr(_local, "compressor"):
        _local.compressor = zstandard.ZstdCompressor(level=_LEVEL)
    return _local.compressor.compress(data)


def decompress(data: bytes | memoryview) -> bytes:
    if not hasattr(_local, "decompressor"):
        _local.decompressor = zstandard.ZstdDecompressor()
    return _local.decompressor.decompress(bytes(data))
