"""Who may read a list's archive: the policies and what "private" means, without Django (the
command line's quick path shows them too)."""

from __future__ import annotations

ARCHIVE_POLICIES = [("public", "public"), ("members", "members only"), ("owners", "owners only")]


def is_private(archive_policy: str) -> bool:
    """Anything but a public archive."""
    return archive_policy != "public"


def members_read_archive(archive_policy: str) -> bool:
    """Whether a list's members may read its archive (web/access.py ARCHIVE_READERS decides who
    reads under each policy; tests/lists/test_pipeline.py checks the two agree). Only then does the
    mail the list sends link to the archive (List-Archive, Archived-At, the footer's {archive_url})."""
    return archive_policy in ("public", "members")
