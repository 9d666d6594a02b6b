"""How often a list mails one address of its own accord: bounds that keep it from being used to
mail-bomb a stranger whose address a spammer or a joker put in From:.

- Confirmation requests (a confirmation mail to the address to join or leave): counted per address
  against ``SUBSCRIBE_RATE_ADDRESS``, the same count the web forms use (web/views/members/guard.py),
  so one address gets at most that many whether asked for by the form, by ``-join``/``-leave`` or
  by ``subscribe address=…`` lines to ``-request``. Over it, nothing is sent and the answer reads the
  same (what an answer says never depends on who is on the list).
- Automatic answers to a sender (the results of command mail, "your post waits for a moderator", a
  rule's rejection): counted per list and address against ``AUTORESPONSE_RATE``, Mailman's
  ``max_autoresponses_per_day`` (10). Over it, the sender is not answered; the mail itself is still
  acted on, and a moderator's own decision to reject is always told.

Counted in django-ratelimit's cache (the database), shared by every process. A count made inside a
transaction that rolls back is undone with it, and takes its key's row until that transaction ends. So a
transaction that counts several keys takes them in one order, sorted (`confirmations_within`): two command
mails naming the same two addresses in opposite orders, on two hosts at once, would each take one row and
wait for the other's (PostgreSQL ends one of them, and its count was lost).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django_ratelimit.core import get_usage

from listhaven.lists.models import MailingList

CONFIRMATION_GROUP = "subscribe:address"  # the web form's group (guard.over_limit): one budget for both


def _within(group: str, key: str, rate: str) -> bool:
    """Counts one more against `key` in `group`; False when that goes over `rate`."""
    usage = get_usage(None, group=group, key=lambda _group, _request: key, rate=rate, increment=True)
    return usage is None or not usage["should_limit"]


def may_ask_confirmation(address: str) -> bool:
    """True when one more confirmation mail to `address` is within its limit (and counts it)."""
    return _within(CONFIRMATION_GROUP, address.lower(), settings.SUBSCRIBE_RATE_ADDRESS)


def may_answer(mlist: MailingList, address: str) -> bool:
    """True when one more automatic answer from `mlist` to `address` is within its limit (and counts it)."""
    return _within("autoresponse:address", f"{mlist.address} {address.lower()}", settings.AUTORESPONSE_RATE)


def confirmations_within(addresses: Sequence[str]) -> list[bool]:
    """For each of `addresses`, whether one more confirmation mail to it is within its limit, each counted
    as `may_ask_confirmation` counts it; the counts are made in the addresses' sorted order, whatever the
    order given (the module's docstring says why). An address given twice is counted twice."""
    within = [False] * len(addresses)
    for i in sorted(range(len(addresses)), key=lambda i: (addresses[i].lower(), i)):
        within[i] = may_ask_confirmation(addresses[i])
    return within
