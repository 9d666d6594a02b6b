"""Pipermail's HTML archive (Mailman 2): which message each ``YYYY-Month/NNNNNN.html`` page shows.

Pipermail numbers a list's messages from 0 in the order it archived them, the order of the list's
``archives/private/LIST.mbox`` (``bin/arch`` rebuilds the pages from that mbox in that order). A
page names its message's Message-ID in the reply link Mailman 2.1 writes into every article,
``mailto:LIST?Subject=...&In-Reply-To=%3C<message-id>%3E``, so the directory, when it is still
there, says exactly which number each message had, even after messages were removed from the mbox.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

from listhaven.mail.sources.pipermail import MONTHS

_MONTH_DIR = re.compile(r"^\d{4}-(?:" + "|".join(MONTHS) + r")$")
_PAGE = re.compile(r"^(\d{6,})\.html$")
_REPLY_ID = re.compile(rb"In-Reply-To=([^\"&>\s]+)")


def message_numbers(directory: Path) -> dict[str, int]:
    """Message-ID (without <>) -> archive number, from every month directory's article pages.
    A page without a readable Message-ID is passed over (its number stays unknown)."""
    numbers: dict[str, int] = {}
    for month in sorted(p for p in directory.iterdir() if p.is_dir() and _MONTH_DIR.match(p.name)):
        for page in month.iterdir():
            match = _PAGE.match(page.name)
            if match is None or not page.is_file():
                continue
            message_id = page_message_id(page.read_bytes())
            if message_id:
                numbers.setdefault(message_id, int(match.group(1)))
    return numbers


def page_message_id(html: bytes) -> str:
    """The Message-ID an article page replies to, i.e. its own; "" when it has none."""
    match = _REPLY_ID.search(html)
    if match is None:
        return ""
    value = unquote(match.group(1).decode("ascii", errors="replace"))
    return value.strip().removeprefix("<").removesuffix(">").strip()
