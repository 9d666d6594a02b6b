"""The DKIM keys of the list domains, kept in the database (every worker, on any machine, signs
with the same key)."""

from __future__ import annotations

from django.db import transaction

from listhaven.lists.models import DkimKey
from listhaven.mail import dkim


class DkimKeyExists(Exception):
    pass


def generate_key(domain: str, selector: str = "listhaven", *, bits: int = 2048, replace: bool = False) -> DkimKey:
    """A new key for `domain` (refused when it has one, unless `replace`)."""
    private_pem, _ = dkim.generate_key(bits)
    with transaction.atomic():
        existing = DkimKey.objects.select_for_update().filter(domain=domain).first()
        if existing and not replace:
            raise DkimKeyExists(f"{domain} has a key already (selector {existing.selector}); "
                                "--replace makes a new one (publish its record first)")  # fmt: skip
        DkimKey.objects.filter(domain=domain).delete()
        return DkimKey.objects.create(domain=domain, selector=selector, private_key=private_pem.decode("ascii"))


def txt_record(key: DkimKey) -> tuple[str, str]:
    """(record name, quoted TXT value split in strings of at most 255 characters)."""
    value = dkim.dns_txt_value(key.private_key.encode("ascii"))
    pieces = " ".join(f'"{value[i : i + 255]}"' for i in range(0, len(value), 255))
    return f"{key.selector}._domainkey.{key.domain}.", f"( {pieces} )"
