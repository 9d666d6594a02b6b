"""What importing an archive into a list would do, told without storing anything: the dry run of
``import-list``. The source is read and every message parsed as the import would, and each one is
sorted as the ingest would sort it: new, already in the list (an exact copy: same Message-ID and
content), a second copy within the source, or unparseable (quarantined). For a Mailman 2 mbox
(`numbered`), the Pipermail numbers are given as `import_numbered` gives them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from listhaven.archive.importer import id_domain, parse_one
from listhaven.archive.ingest import Unparsed
from listhaven.archive.models import Message
from listhaven.archive.numbered_import import Numbering
from listhaven.mail.sources import open_source

if TYPE_CHECKING:
    from listhaven.lists.models import MailingList


@dataclass
class Survey:
    read: int = 0
    new: int = 0
    already: int = 0  # exact copies of messages the list has
    duplicates: list[int] = field(default_factory=list)  # numbers (or places, from 0) of second copies
    quarantined: int = 0
    derived_ids: int = 0  # new messages without a usable Message-ID: one is derived from their bytes
    undated: int = 0  # new messages without a readable Date (dated from Received or the From_ line)
    renumbered: int = 0  # numbered: messages whose number was taken, given the next free one
    from_pages: int = 0
    first: int | None = None  # lowest and highest number of the new messages (numbered)
    last: int | None = None
    years: tuple[int, int] | None = None  # of the new messages' dates


def survey_archive(mlist: MailingList | None, path: str | Path, known: dict[str, int] | None = None,
                   numbered: bool = False) -> Survey:  # fmt: skip
    """What importing `path` into `mlist` (None: a list still to be made) would do. `numbered`: a
    Mailman 2 archive mbox, numbered as `import_numbered` numbers it (`known`: from the pages)."""
    survey = Survey()
    messages = Message.objects.filter(mailing_list=mlist) if mlist is not None else Message.objects.none()
    stored = set(messages.values_list("message_id", "content_hash"))
    numbering = None
    if numbered:
        numbering = Numbering(known or {}, dict(messages.values_list("archive_number", "message_id")))
    seen: set[tuple[str, str]] = set()
    domain = id_domain()
    for source in open_source(path, archive_mbox=numbered):
        item = parse_one(source, None, domain, compressed=False)
        place = survey.read
        survey.read += 1
        parsed = not isinstance(item, Unparsed)
        number = numbering.next_for(item.message.message_id if parsed else None) if numbering else place
        if isinstance(item, Unparsed):
            survey.quarantined += 1
            continue
        message = item.message
        key = (message.message_id, message.content_hash)
        if key in seen:
            survey.duplicates.append(number)
            continue
        seen.add(key)
        if key in stored:
            survey.already += 1
            continue
        survey.new += 1
        survey.derived_ids += message.message_id_derived
        survey.undated += message.date_source != "date"
        if numbering and number != place and not known:
            survey.renumbered += 1
        survey.first = number if survey.first is None else min(survey.first, number)
        survey.last = number if survey.last is None else max(survey.last, number)
        year = message.date.year
        survey.years = (min(survey.years[0], year), max(survey.years[1], year)) if survey.years else (year, year)
    if numbering:
        survey.from_pages = numbering.from_pages
    return survey
