"""URLs of one list's pages, built without a `reverse()` per link.

A month page links hundreds of messages; reversing each costs more than the rest of the row.
Each pattern is reversed once with a placeholder id and the placeholder replaced, so the
URLs still come from urls.py and follow it when it changes.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote

from django.urls import reverse

_PID = "Z" * 32  # a valid public id; list names are lower-case, so it cannot occur in one


@lru_cache(maxsize=512)
def _template(name: str, list_name: str) -> str:
    if name == "attachment":
        return reverse(name, args=[list_name, _PID, 987654321, "FILENAME"])
    return reverse(name, args=[list_name, _PID])


class ArchiveUrls:
    """``urls.message(public_id)``, ``urls.thread(public_id)``, ``urls.attachment(...)``."""

    def __init__(self, list_name: str) -> None:
        self.list_name = list_name

    def message(self, public_id: str) -> str:
        return _template("message", self.list_name).replace(_PID, public_id)

    def thread(self, public_id: str) -> str:
        return _template("thread", self.list_name).replace(_PID, public_id)

    def attachment(self, public_id: str, index: int, filename: str) -> str:
        base = _template("attachment", self.list_name)
        return (
            base.replace(_PID, public_id)
            .replace("/987654321/", f"/{int(index)}/")
            .replace("FILENAME", quote(filename, safe=""))
        )
