"""The directory of lists: find a list by its address or, when unique, its short name; create one."""

from __future__ import annotations

import re

from django.db.models import Q

from listhaven.lists.lookup import ListNotFound, list_key, pick_list
from listhaven.lists.models import MailingList
from listhaven.lists.postfix_maps import write_maps_after_commit

__all__ = ["ListNotFound", "create_list", "find_list"]

_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def find_list(name_or_address: str) -> MailingList:
    """The list with this address, or this short name; a clear error otherwise (lookup.py)."""
    key = list_key(name_or_address)
    return pick_list(
        name_or_address,
        MailingList.objects.filter(Q(address=key) | Q(name=key))[:2],
        lambda key: MailingList.objects.filter(address__startswith=key + "@")[:2],
    )


def create_list(
    address: str,
    description: str = "",
    display_name: str = "",
    subject_tag: str | None = None,
    private: bool = False,
    archive_policy: str | None = None,
) -> MailingList:
    """A new list. Its short name is the address's local part, made unique with the domain if needed.
    Its archive is `archive_policy` (public, members, owners); `private` means members. Postfix's
    tables are written again once it commits (postfix_maps.py)."""
    address = address.strip().lower()
    if not _ADDRESS.match(address):
        raise ValueError(f"{address!r} is not a list address like name@example.org")
    if MailingList.objects.filter(address=address).exists():
        raise ValueError(f"list {address} exists already")
    local, domain = address.split("@", 1)
    name = _slug(local)
    if MailingList.objects.filter(name=name).exists():
        name = _slug(f"{local}-{domain}")
    tag = subject_tag if subject_tag is not None else f"[{display_name or local.capitalize()}]"
    mlist = MailingList.objects.create(
        name=name,
        address=address,
        description=description,
        display_name=display_name or local.capitalize(),
        subject_tag=tag,
        archive_policy=archive_policy or ("members" if private else "public"),
    )
    write_maps_after_commit()
    return mlist


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-") or "list"
