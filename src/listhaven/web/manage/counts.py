"""What waits on a list for its moderators and owners (held posts; requests to join or leave),
counted once a page: the header's badge, the tabs and the page itself all show them. The counts are
kept on the request (never on the list object, which a cache could keep beyond it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from listhaven.lists.models import HeldMessage, MailingList


def _once(request: Any, key: tuple[str, int], count: Callable[[], int]) -> int:
    if request is None:
        return count()
    memo: dict[tuple[str, int], int] = request.__dict__.setdefault("listhaven_waiting", {})
    if key not in memo:
        memo[key] = count()
    return memo[key]


def held_waiting(request: Any, mlist: MailingList) -> int:
    return _once(request, ("held", mlist.pk), HeldMessage.objects.filter(mailing_list=mlist).count)


def requests_waiting(request: Any, mlist: MailingList) -> int:
    from listhaven.lists.subscriptions import waiting_approval

    return _once(request, ("requests", mlist.pk), lambda: waiting_approval(mlist).count())
