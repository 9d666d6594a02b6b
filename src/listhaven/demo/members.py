"""The demo list's people: an owner and a few members on harbour-dev, so `make run` shows a list that
works (post to it, and every member's copy appears in the outbox at /manage/outbox/)."""

from __future__ import annotations

from listhaven.lists.directory import create_list
from listhaven.lists.members import add_members
from listhaven.lists.models import MailingList
from listhaven.lists.post import Role

DEMO_LIST = "harbour-dev@lists.example.org"
OWNERS = ["Olive Owner <olive@lists.example.org>"]
MEMBERS = ["Ann Archer <ann@example.org>", "Bob Baker <bob@example.net>", "Chen Carter <chen@example.com>",
           "Olive Owner <olive@lists.example.org>"]  # fmt: skip
POSTER = "ann@example.org"


def add_demo_members() -> MailingList:
    """The owner and members of the demo list (created when missing); adding them twice changes nothing."""
    mlist = MailingList.objects.filter(address=DEMO_LIST).first() or create_list(DEMO_LIST)
    add_members(mlist, OWNERS, role=Role.OWNER)
    add_members(mlist, MEMBERS, role=Role.MEMBER)
    return mlist
