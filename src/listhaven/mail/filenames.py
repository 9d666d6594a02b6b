"""Attachment file names made safe to show and to send back in Content-Disposition."""

from __future__ import annotations

import re
import unicodedata

MAX_FILENAME_CHARS = 200
_EXTENSIONS = {
    "text/plain": ".txt",
    "text/html": ".html",
    "text/x-patch": ".patch",
    "text/x-diff": ".diff",
    "message/rfc822": ".eml",
    "application/pgp-signature": ".asc",
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
}
_SPACE = re.compile(r"\s+")


def safe_filename(name: str | None, index: int, content_type: str) -> str:
    """A basename without separators, control or format characters (bidi overrides), at most
    200 characters; ``attachment-N.ext`` when nothing usable is left."""
    cleaned = _clean(name or "")
    if not cleaned:
        return f"attachment-{index + 1}{_EXTENSIONS.get(content_type, '.bin')}"
    return cleaned


def _clean(name: str) -> str:
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    # Cc: controls, Cf: format characters (U+202E RIGHT-TO-LEFT OVERRIDE, zero-width joiners,
    # ...), Cs/Co/Cn: surrogates and unassigned code points; none belong in a file name.
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C" or c == " ")
    name = _SPACE.sub(" ", name).strip(" .")
    if len(name) > MAX_FILENAME_CHARS:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 16 and stem:
            name = stem[: MAX_FILENAME_CHARS - len(ext) - 1].rstrip(" .") + "." + ext
        else:
            name = name[:MAX_FILENAME_CHARS].rstrip(" .")
    return name
