"""The outbox: where copies go when no MTA is configured (LISTHAVEN_SMTP_HOST unset), a Maildir in
the data directory that the site administrator reads at /manage/outbox/."""

from __future__ import annotations

import time
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.utils import getaddresses
from pathlib import Path

from django.conf import settings

from listhaven.mail.ids import normalise_message_id

KEEP_DAYS = 30


def outbox_dir() -> Path:
    return Path(settings.DATA_DIR) / "outbox"


@dataclass(frozen=True)
class OutboxEntry:
    key: str  # the file name in new/ (safe in a URL: see is_key)
    written: float  # seconds since the epoch
    size: int


def entries(directory: Path | None = None) -> list[OutboxEntry]:
    """The outbox's messages, newest first."""
    folder = (directory or outbox_dir()) / "new"
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        if is_key(path.name):
            stat = path.stat()
            found.append(OutboxEntry(path.name, stat.st_mtime, stat.st_size))
    return sorted(found, key=lambda e: (e.written, e.key), reverse=True)


def is_key(name: str) -> bool:
    return bool(name) and name[0] != "." and all(c.isalnum() or c in "._-" for c in name)


def read(key: str, directory: Path | None = None) -> bytes | None:
    """The message stored under `key`, None when there is none (or the key is not one)."""
    if not is_key(key):
        return None
    path = (directory or outbox_dir()) / "new" / key
    try:
        return path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def trim_outbox() -> int:
    """Removes outbox messages older than KEEP_DAYS (a timed job of the worker); returns how many."""
    cutoff = time.time() - KEEP_DAYS * 86400
    removed = 0
    for entry in entries():
        if entry.written < cutoff:
            (outbox_dir() / "new" / entry.key).unlink(missing_ok=True)
            removed += 1
    return removed


_PEOPLE = ("Delivered-To", "From", "Sender", "Reply-To", "To", "Cc")


def remove_copies(*, message_id: str = "", address: str = "", of_list: str = "", directory: Path | None = None) -> int:
    """Deletes the outbox's copies of a purged message (its Message-ID, normalised) or every copy
    sent to or from an erased address; returns how many. Parses only each file's header.

    `of_list` (a list's posting address): only the copies that list sent, known by their return
    path (the list's own address or one of its role addresses, VERP included): an owner's erasure
    on their list reaches no other list's mail."""
    wanted = address.lower()
    folder = (directory or outbox_dir()) / "new"
    removed = 0
    for entry in entries(directory):
        path = folder / entry.key
        with open(path, "rb") as handle:
            headers = BytesHeaderParser().parse(handle)
        if of_list and not _sent_by(str(headers.get("Return-Path", "")), of_list):
            continue
        fields = [str(value) for name in _PEOPLE for value in headers.get_all(name, [])]
        people = {found.lower() for _, found in getaddresses(fields)}
        if (message_id and normalise_message_id(str(headers.get("Message-ID", ""))) == message_id) or (
            wanted and wanted in people
        ):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _sent_by(return_path: str, list_address: str) -> bool:
    """Whether a copy's return path is the list's: LIST@domain, LIST-bounces+VERP@domain, LIST-owner@…"""
    sender = getaddresses([return_path])[0][1].lower() if return_path else ""
    local, _, domain = list_address.lower().rpartition("@")
    found_local, _, found_domain = sender.rpartition("@")
    return found_domain == domain and (found_local == local or found_local.startswith(local + "-"))
