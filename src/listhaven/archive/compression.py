"""zstd for the verbatim bytes of messages and quarantined input."""

from __future__ import annotations

import threading

import zstandard

_LEVEL = 3
_local = threading.local()


def _compressor() -> zstandard.ZstdCompressor:
    # zstd (de)compressor objects are not thread-safe; one per thread is cheap.
    if not hasattr(_local, "compressor"):
        _local.compressor = zstandard.ZstdCompressor(level=_LEVEL)
        _local.decompressor = zstandard.ZstdDecompressor()
    return _local.compressor


def compress(data: bytes) -> bytes:
    return _compressor().compress(data)


def decompress(data: bytes | memoryview) -> bytes:
    _compressor()
    return _local.decompressor.decompress(bytes(data))
