"""Bounce spikes: many members bouncing the same day make a spike (not a few, not a small share, not
old bounces); the owners are mailed once a day at most while it lasts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from listhaven.lists.bounce_spikes import SPIKE_ADDRESSES, alert_owners, spikes
from listhaven.lists.directory import create_list
from listhaven.lists.members import add_member, add_members
from listhaven.lists.models import BounceEvent, MailingList, Outgoing


@pytest.fixture
def mlist(db):
    made = create_list("garden@lists.example.org")
    add_member(made, "owner@example.com", role="owner")
    add_members(made, [f"g{n}@example.com" for n in range(300)])
    return made


def bounce(mlist, addresses: range) -> None:
    BounceEvent.objects.bulk_create([BounceEvent(mailing_list=mlist, address=f"g{n}@example.com", source="smtp", code=550)
                                     for n in addresses])  # fmt: skip


def test_a_spike_needs_many_addresses_and_a_share_of_the_members(mlist):
    bounce(mlist, range(SPIKE_ADDRESSES - 1))
    bounce(mlist, range(3))  # the same addresses again count once
    assert spikes() == []
    bounce(mlist, range(SPIKE_ADDRESSES - 1, SPIKE_ADDRESSES))
    [spike] = spikes(mlist)
    assert (spike.list_name, spike.addresses, spike.members) == ("garden", SPIKE_ADDRESSES, 300)
    big = create_list("big@lists.example.org")
    add_members(big, [f"b{n}@example.com" for n in range(1000)])
    BounceEvent.objects.bulk_create([BounceEvent(mailing_list=big, address=f"b{n}@example.com", source="dsn")
                                     for n in range(15)])  # fmt: skip
    assert [s.list_name for s in spikes()] == ["garden"]  # 15 of 1,000 is under the share
    BounceEvent.objects.update(created_at=timezone.now() - timedelta(days=2))
    assert spikes() == []


def test_owners_are_told_once_a_day(mlist):
    bounce(mlist, range(20))
    assert alert_owners() == 1
    notices = Outgoing.objects.filter(kind="notice", recipients=["owner@example.com"])
    assert notices.count() == 1
    from listhaven.archive.compression import decompress

    assert b"Subject: Garden: mail to 20 members bounced in the last day" in decompress(bytes(notices.get().template))
    assert alert_owners() == 0 and notices.count() == 1  # still spiking, already told
    MailingList.objects.filter(pk=mlist.pk).update(bounce_spike_notified_at=timezone.now() - timedelta(days=1, minutes=1))
    assert alert_owners() == 1 and notices.count() == 2
