"""DKIM keys for the demo's list domains, so that the copies `make run` puts in the outbox are signed
as a real site's are (`listhaven dkim generate DOMAIN` is the same step for one domain). A domain that
has a key keeps it: `make run` asks every time, and only the first time makes the keys."""

from __future__ import annotations

from dataclasses import dataclass

from listhaven.delivery.dkim_keys import DkimKeyExists, generate_key, txt_record
from listhaven.demo.members import DEMO_LIST
from listhaven.demo.messages import DEMO_LISTS
from listhaven.lists.models import DkimKey


@dataclass(frozen=True)
class DemoKey:
    key: DkimKey
    made: bool  # made now (False: the domain had one)

    def dns_record(self) -> str:
        """The TXT record a site would publish for it, as `listhaven dkim show` prints it."""
        name, value = txt_record(self.key)
        return f"{name} IN TXT {value}"


def demo_domains() -> list[str]:
    return sorted({address.rpartition("@")[2] for address in [DEMO_LIST, *(spec.address for spec in DEMO_LISTS)]})


def ensure_demo_keys() -> list[DemoKey]:
    """Each demo domain's key: the one it has, or a new one (2048 bits, selector `listhaven`)."""
    keys = []
    for domain in demo_domains():
        existing = DkimKey.objects.filter(domain=domain).first()
        if existing is not None:
            keys.append(DemoKey(existing, made=False))
            continue
        try:
            keys.append(DemoKey(generate_key(domain), made=True))
        except DkimKeyExists:  # another process made it meanwhile
            keys.append(DemoKey(DkimKey.objects.get(domain=domain), made=False))
    return keys
