"""zstd for the verbatim bytes of messages and quarantined input."""

from __future__ import annotations

import threading

import zstandard

_LEVEL = 3
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
