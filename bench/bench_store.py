"""What the benchmarks that run Django in their own process share: the store they open (a real
SQLite store in LISTHAVEN_DATA, migrated) and a generated list with N members on it, kept between
runs (a second run adds only the members that are missing).

The script sets DJANGO_SETTINGS_MODULE and its own LISTHAVEN_DATA default before calling these."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any


def open_store() -> None:
    """Django set up on the store in LISTHAVEN_DATA, its schema migrated; any host name answered (the test client's)."""
    import django

    Path(os.environ["LISTHAVEN_DATA"]).mkdir(parents=True, exist_ok=True)
    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", interactive=False, verbosity=0)


def list_with_members(address: str, count: int, fields: Callable[[int], dict[str, Any]] | None = None) -> Any:
    """The list at `address` (created the first time) with at least `count` members, member n's row
    made of `fields(n)` (default: the address member{n}@example.org)."""
    from listhaven.lists.directory import create_list
    from listhaven.lists.models import MailingList, Member

    make = fields or (lambda n: {"address": f"member{n}@example.org"})
    mlist = MailingList.objects.filter(address=address).first() or create_list(address)
    have = Member.objects.filter(mailing_list=mlist).count()
    if have < count:
        Member.objects.bulk_create((Member(mailing_list=mlist, **make(n)) for n in range(have, count)), batch_size=5000)
    return mlist
