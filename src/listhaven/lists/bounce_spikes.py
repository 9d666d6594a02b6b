"""Bounce spikes: a day in which many of a list's members bounce at once. One dead mailbox is the
members' business (lists/bounces.py scores it); a tenth of the roster bouncing the same day is
usually the list's own mail being refused (a DKIM or DMARC change, the list's IP on a blocklist),
and the owners and the site's operators must look before bounce scoring disables everybody.

`spikes()` answers the /manage/ pages; `alert_owners` (a timed job of the worker) mails the owners
once a day at most per list while the spike lasts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Min, Q
from django.utils import timezone

from listhaven.lists.models import BounceEvent, MailingList, Member
from listhaven.lists.notices import register_notice, send_notice
from listhaven.lists.post import Role

SPIKE_ADDRESSES = 10  # at least this many distinct addresses in a day...
SPIKE_SHARE = 0.02  # ...and at least this share of the members
WINDOW = timedelta(days=1)

register_notice(
    "bounce_spike", "{list_title}: mail to {addresses} members bounced in the last day",
    "Mail from {list_address} to {addresses} of its {members} members bounced in the last day\n"
    "(the first at {first}). When many addresses bounce at once, the list's own mail is usually being\n"
    "refused: a DKIM or DMARC change, the sending address or IP on a blocklist. The MTA's log says why.\n\n"
    "Until it is fixed, bounce scoring keeps counting: members may have their delivery disabled.\n"
    "The members page: {members_url}\n",
    "to the owners, at most once a day, while mail to many members bounces the same day",
    ("addresses", "members", "first", "members_url"),
)


@dataclass(frozen=True)
class Spike:
    list_id: int
    list_name: str
    addresses: int
    members: int
    first: datetime


def spikes(mlist: MailingList | None = None) -> list[Spike]:
    """The lists (or `mlist`) whose bounces in the last day make a spike."""
    events = BounceEvent.objects.filter(created_at__gte=timezone.now() - WINDOW)
    if mlist is not None:
        events = events.filter(mailing_list=mlist)
    rows = events.values("mailing_list", "mailing_list__name").annotate(
        n=Count("address", distinct=True), first=Min("created_at"))  # fmt: skip
    found = []
    for row in rows:
        if row["n"] < SPIKE_ADDRESSES:
            continue
        members = Member.objects.filter(mailing_list=row["mailing_list"], role=Role.MEMBER).count()
        if row["n"] >= SPIKE_SHARE * members:
            found.append(Spike(row["mailing_list"], row["mailing_list__name"], row["n"], members, row["first"]))
    return found


def alert_owners() -> int:
    """Mails the owners of each list with a spike, unless they were told in the last day; returns how
    many lists were alerted. Two workers at once: the update that moves the list's mark is the one
    that sends."""
    from listhaven.lists.subscriptions import owners
    from listhaven.site.public_urls import site_url

    now, sent = timezone.now(), 0
    for spike in spikes():
        with transaction.atomic():
            due = Q(bounce_spike_notified_at__isnull=True) | Q(bounce_spike_notified_at__lt=now - WINDOW)
            if not MailingList.objects.filter(due, pk=spike.list_id).update(bounce_spike_notified_at=now):
                continue
            mlist = MailingList.objects.get(pk=spike.list_id)
            send_notice(mlist, "bounce_spike", owners(mlist), addresses=spike.addresses, members=spike.members,
                        first=f"{spike.first:%Y-%m-%d %H:%M} UTC",
                        members_url=site_url(f"/manage/{mlist.name}/members/?disabled=bounces"))  # fmt: skip
            sent += 1
    return sent
