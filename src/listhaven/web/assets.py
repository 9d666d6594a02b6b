"""Static files (CSS, JS, the admin's) read once per process and kept in memory, gzipped beside.

Pages link them as ``/static/PATH?v=HASH`` (the `{% asset %}` tag); a request carrying the
current hash may be cached for a year, since a changed file gets a new hash and so a new URL.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import threading
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders

_TEXT_TYPES = ("text/", "application/javascript", "image/svg+xml", "application/json")


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    gzipped: bytes | None
    content_type: str
    version: str  # first 12 hex digits of the content's SHA-256

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


_cache: dict[str, Asset] = {}  # only files found: probing for missing ones must not grow it
_lock = threading.Lock()


def _safe_relative(path: str) -> str | None:
    parts = [p for p in path.split("/") if p]
    if not parts or any(p in (".", "..") or "\\" in p or "\x00" in p for p in parts):
        return None
    return "/".join(parts)


def _load(relative: str) -> Asset | None:
    located = finders.find(relative)
    candidate = Path(located) if isinstance(located, str) else Path(settings.STATIC_ROOT) / relative
    if not candidate.is_file():
        return None
    body = candidate.read_bytes()
    content_type = mimetypes.guess_type(candidate.name)[0] or "application/octet-stream"
    if content_type.startswith(_TEXT_TYPES):
        content_type += "; charset=utf-8" if content_type.startswith("text/") else ""
        gzipped: bytes | None = gzip.compress(body, 9, mtime=0)
        if len(gzipped) >= len(body):
            gzipped = None
    else:
        gzipped = None
    return Asset(body, gzipped, content_type, hashlib.sha256(body).hexdigest()[:12])


def find_asset(path: str) -> Asset | None:
    """The static file at `path` (relative to STATIC_URL), or None. Cached unless DEBUG."""
    relative = _safe_relative(path)
    if relative is None:
        return None
    if settings.DEBUG:
        return _load(relative)
    with _lock:
        asset = _cache.get(relative)
        if asset is None:
            asset = _load(relative)
            if asset is not None:
                _cache[relative] = asset
        return asset


def asset_url(path: str) -> str:
    """``/static/PATH?v=HASH`` for pages; a missing file still gets a plain URL (and a 404)."""
    asset = find_asset(path)
    url = settings.STATIC_URL + path
    return f"{url}?v={asset.version}" if asset else url
