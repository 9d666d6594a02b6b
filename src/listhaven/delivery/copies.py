"""The copies of one `Outgoing` row: for each recipient, the envelope sender and the bytes sent.

Personalised: the decorated template filled with the member's own unsubscribe URL (an HMAC token),
options URL and address, sent from ``LIST-bounces+member=domain@DOMAIN`` (VERP), so a bounce names
the member. Otherwise: the template's bytes as they are, from ``LIST-bounces@DOMAIN`` (the site's
own mail, which has no list: from the site's address).
When the list's domain has a DKIM key, every copy is signed (listhaven.mail.dkim).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from listhaven.archive.compression import decompress
from listhaven.lists.models import DkimKey, Outgoing
from listhaven.lists.unsubscribe import token_keys, unsubscribe_token, unsubscribe_url
from listhaven.mail import dkim
from listhaven.mail.personalise import MemberValues, Template, personalise
from listhaven.mail.verp import verp_encode
from listhaven.site.public_urls import site_address, site_url


class CopyMaker:
    """Everything per `Outgoing` decided once; `copy(address)` is the per-recipient work."""

    def __init__(self, outgoing: Outgoing) -> None:
        mlist = outgoing.mailing_list
        if mlist is None:  # the site's own mail (enqueue keeps it bulk): from and back to the site's address
            self.list_address, self.list_name, self.bounces = "", "", site_address()
            domain = self.bounces.rpartition("@")[2]
        else:
            local, _, domain = mlist.address.rpartition("@")
            self.list_address, self.list_name = mlist.address, mlist.name
            self.bounces = f"{local}-bounces@{domain}"
        self.personalised = outgoing.personalised and mlist is not None
        data = decompress(outgoing.template)
        self.template = Template.from_bytes(data) if self.personalised else Template(data)
        self.options_url = site_url(f"/{self.list_name}/options/") if mlist is not None else ""
        self.keys = token_keys()
        self.sign = dkim_signer(domain)
        self._bulk: bytes | None = None

    def copy(self, address: str) -> tuple[str, bytes]:
        """(envelope sender, message) for one member. ValueError when the address cannot be used."""
        token = unsubscribe_token(self.list_address, address, int(time.time()), self.keys)
        values = MemberValues(unsubscribe_url(self.list_name, token), self.options_url, address)
        data = personalise(self.template, values)
        return verp_encode(self.bounces, address), self.sign(data) if self.sign else data

    def bulk(self) -> tuple[str, bytes]:
        """(envelope sender, message) shared by every recipient (signed once)."""
        if self._bulk is None:
            data = self.template.data
            self._bulk = self.sign(data) if self.sign else data
        return self.bounces, self._bulk


def dkim_signer(domain: str) -> Callable[[bytes], bytes] | None:
    key = DkimKey.objects.filter(domain=domain.lower()).first()
    if key is None:
        return None
    return dkim.signer(key.domain, key.selector, key.private_key.encode("ascii"))
