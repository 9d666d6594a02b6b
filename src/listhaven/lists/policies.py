"""Who may read a list's archive: the policies and what "private" means, without Django (the
command line's quick path shows them too)."""

from __future__ import annotations

ARCHIVE_POLICIES = [("public", "public"), ("members", "members only"), ("owners", "owners only")]


def is_private(archive_policy: str) -> bool:
    """Anything but a public archive."""
    return archive_policy != "public"
