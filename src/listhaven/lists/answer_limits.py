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
transaction that rolls back is undone with it.
"""

from __future__ import annotations

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
