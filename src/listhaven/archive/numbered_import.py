"""Importing a Mailman 2 list's archive mbox so that its Pipermail numbers stay what they were.

Pipermail gave each message it archived the next number from 0, in the order of the list's mbox
(``bin/arch`` rebuilds the pages from the mbox in that order, duplicates and all), and its page is
``YYYY-Month/NNNNNN.html``. Here the message at position N of the mbox keeps number N, so the
Pipermail redirect (web/views/pipermail.py) finds it. An exact duplicate is stored once: its
number is reported (that page's link has no message of its own). When the Pipermail HTML
directory is given, the numbers its pages show win (a message removed from the mbox after it was
archived leaves a gap there, not here); messages the pages do not show get numbers after them.

The mbox is split as ``bin/cleanarch`` reads it: only a ``From `` line followed by a header line
starts a message, so a body's unescaped "From what I saw" line (archives from before
Mailman 2.1 have them) neither cuts its message in two nor shifts the numbers after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from listhaven.archive.importer import id_domain, parse_one
from listhaven.archive.ingest import Parsed, Unparsed, lock_list, store_batch
from listhaven.archive.models import Message
from listhaven.mail.sources import SourceError, open_source

if TYPE_CHECKING:
    from listhaven.lists.models import MailingList


@dataclass
class NumberedImport:
    read: int = 0
    stored: int = 0
    duplicates: list[int] = field(default_factory=list)  # archive numbers of copies stored once already
    quarantined: int = 0
    from_pages: int = 0  # numbers taken from the Pipermail HTML pages
    renumbered: int = 0  # numbers a post received here took while the import ran: given the next free one
    first: int | None = None
    last: int | None = None


def import_numbered(mlist: MailingList, path: str | Path, known: dict[str, int] | None = None) -> NumberedImport:
    """Imports the mbox at `path` into `mlist`, numbering by mbox position, or by `known`
    (Message-ID -> number, from the Pipermail pages) where it says. Importing the same mbox again
    (or a longer one: the old list kept archiving) stores only the messages not stored yet, each
    at its own number; a number already taken by another message (a post received here since)
    leaves its message a number after the highest, also when that post arrives while the import runs
    (the numbers are checked again under the list's lock as each batch is stored: ingest._free_numbers)."""
    summary = NumberedImport()
    taken = dict(Message.objects.filter(mailing_list=mlist).values_list("archive_number", "message_id"))
    numbering = Numbering(known or {}, taken)
    batch: list[Parsed | Unparsed] = []
    numbers: list[int] = []
    domain = id_domain()
    for item in (parse_one(source, None, domain) for source in open_source(path, archive_mbox=True)):
        summary.read += 1
        number = numbering.next_for(item.message.message_id if isinstance(item, Parsed) else None)
        batch.append(item)
        numbers.append(number)
        if len(batch) >= settings.IMPORT_BATCH_SIZE:
            _store(mlist, batch, numbers, summary)
            batch, numbers = [], []
    if batch:
        _store(mlist, batch, numbers, summary)
    summary.from_pages = numbering.from_pages
    return summary


class Numbering:
    """Gives each message of the mbox, in order, its Pipermail number: its place, or the pages'
    number (`known`), unless another message has that number already (`taken`: number ->
    Message-ID, in the list; or earlier in this mbox): then the number the list has it at already
    (moved before and given a free number then), else the next number after the highest."""

    def __init__(self, known: dict[str, int], taken: dict[int, str]) -> None:
        self.position = 0
        self.known = known
        self.taken = taken  # numbers the list's messages have already -> their Message-IDs
        self.stored_at: dict[str, list[int]] = {}
        for number, message_id in sorted(taken.items()):
            self.stored_at.setdefault(message_id, []).append(number)
        self.used: set[int] = set()
        self.after = max([*known.values(), *taken], default=-1) + 1
        self.from_pages = 0

    def next_for(self, message_id: str | None) -> int:
        if self.known:
            number = self.known.get(message_id or "")
            from_pages = number is not None
        else:
            number, from_pages = self.position, False
            self.position += 1
        if number is None or number in self.used or self.taken.get(number, message_id) != message_id:
            here = [n for n in self.stored_at.get(message_id or "", ()) if n not in self.used]
            number, from_pages = (here[0] if here else self.after), False
            if not here:
                self.after += 1
        self.from_pages += from_pages
        self.used.add(number)
        return number


def _store(mlist: MailingList, batch: list[Parsed | Unparsed], numbers: list[int], summary: NumberedImport) -> None:
    result = store_batch(mlist, batch, numbers=numbers)
    stored = set(result.stored)
    summary.stored += len(stored)
    summary.quarantined += result.quarantined
    summary.renumbered += len(result.renumbered)
    kept = {result.renumbered.get(n, n) for item, n in zip(batch, numbers) if isinstance(item, Parsed)}
    present = set(Message.objects.filter(mailing_list=mlist, archive_number__in=kept)
                  .values_list("archive_number", flat=True))  # fmt: skip
    summary.duplicates.extend(sorted(kept - present))
    for n in present:
        summary.first = n if summary.first is None else min(summary.first, n)
        summary.last = n if summary.last is None else max(summary.last, n)



def import_page_gaps(mlist: MailingList, directory: str | Path, known: dict[str, int]) -> list[int]:
    """Messages the Pipermail pages number (`known`) that the list lacks (deleted from the mbox after
    Pipermail archived them), taken from Pipermail's monthly text archives in `directory`, each at
    its page's number: a copy (addresses obfuscated, attachments scrubbed), but the old link lands.
    A number another message has here already is left to it, also one a post received here takes while
    this runs: the list's numbers and Message-IDs are read again, and the copies chosen, in each batch's
    transaction under the list's lock (ingest.lock_list), the lock a post's store takes. The numbers stored."""
    copies_before = timezone.now()  # the mbox's messages, stored before: originals of these copies
    wanted = _gaps(mlist, known)
    if not wanted:
        return []
    try:
        sources = open_source(directory)
    except SourceError:
        return []  # no text archives beside the pages
    batch: list[Parsed] = []
    domain = id_domain()
    for source in sources:
        item = parse_one(source, None, domain)
        if isinstance(item, Parsed) and wanted.pop(item.message.message_id, None) is not None:
            batch.append(item)
    stored: list[int] = []
    for start in range(0, len(batch), settings.IMPORT_BATCH_SIZE):
        stored += _store_gaps(mlist, batch[start : start + settings.IMPORT_BATCH_SIZE], known, copies_before)
    return sorted(stored)


def _gaps(mlist: MailingList, known: dict[str, int]) -> dict[str, int]:
    """The Message-IDs of `known` the list lacks whose numbers no message of the list has."""
    here = set(Message.objects.filter(mailing_list=mlist).values_list("message_id", flat=True))
    taken = set(Message.objects.filter(mailing_list=mlist).values_list("archive_number", flat=True))
    return {i: n for i, n in known.items() if i not in here and n not in taken}


def _store_gaps(mlist: MailingList, batch: list[Parsed], known: dict[str, int], copies_before: datetime) -> list[int]:
    """Stores the copies of `batch` whose gaps are still gaps once the list is locked; their numbers."""
    with transaction.atomic():
        lock_list(mlist)
        wanted = _gaps(mlist, {p.message.message_id: known[p.message.message_id] for p in batch})
        chosen = [p for p in batch if p.message.message_id in wanted]
        if not chosen:
            return []
        items: list[Parsed | Unparsed] = list(chosen)
        numbers = [wanted[p.message.message_id] for p in chosen]
        result = store_batch(mlist, items, numbers=numbers, copies_before=copies_before)
        return list(Message.objects.filter(pk__in=result.stored).values_list("archive_number", flat=True))
