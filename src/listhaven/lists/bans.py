"""A list's bans: addresses, or regular expressions starting with ^, that may neither post nor
subscribe (lists/rules.py `matching_pattern` reads them). Added and lifted by moderators on
/manage/LIST/bans/ and through the API, with the same checks."""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction

from listhaven.lists.addresses import InvalidAddress, canonical_address
from listhaven.lists.models import Ban, MailingList

MAX_PATTERN = 320  # Ban.pattern's column
MAX_REASON = 300


class InvalidBan(ValueError):
    """Not an address, nor a regular expression that compiles; or too long to store."""


def ban_pattern(given: str) -> str:
    """The pattern stored for `given`: a ^regex as written (it must compile), else the canonical address."""
    pattern = given.strip()
    if len(pattern) > MAX_PATTERN:
        raise InvalidBan(f"a pattern of at most {MAX_PATTERN} characters")
    if pattern.startswith("^"):
        try:
            re.compile(pattern)
        except (re.error, RecursionError, OverflowError) as exc:
            raise InvalidBan(f"{pattern!r} is not a valid regular expression: {exc}") from None
        return pattern
    try:
        return canonical_address(pattern)
    except InvalidAddress as exc:
        raise InvalidBan(str(exc)) from None


def add_ban(mlist: MailingList, given: str, reason: str = "") -> tuple[Ban, bool]:
    """(the ban of `given` on `mlist`, whether it is new). An existing ban keeps its reason."""
    pattern = ban_pattern(given)
    defaults = {"reason": reason.strip()[:MAX_REASON]}
    try:
        with transaction.atomic():
            return Ban.objects.get_or_create(mailing_list=mlist, pattern=pattern, defaults=defaults)
    except IntegrityError:  # the same ban added meanwhile
        return Ban.objects.get(mailing_list=mlist, pattern=pattern), False


def lift_ban(mlist: MailingList, ban_id: int) -> Ban | None:
    """Deletes ban `ban_id` of `mlist` (never another list's or a site-wide one); None when there was none."""
    row = Ban.objects.filter(mailing_list=mlist, pk=ban_id).first()
    if row is not None:
        row.delete()
    return row
