"""Which of a list's addresses mail was sent to: the posting address, or one of its service
addresses (`LIST-owner@`, `LIST-bounces+VERP@`, `LIST-request@`, `LIST-join@`, `LIST-leave@`,
`LIST-confirm+TOKEN@`, and Mailman's `LIST-subscribe@` and `LIST-unsubscribe@` for join and leave). The LMTP server asks here, then hands the message to the service
function of that role (lists/posting.py, lists/incoming.py)."""

from __future__ import annotations

from dataclasses import dataclass

from listhaven.lists.directory import ListNotFound, find_list
from listhaven.lists.models import MailingList
from listhaven.lists.service_suffixes import SERVICE_SUFFIXES, WITH_DETAIL

POST = "post"


@dataclass(frozen=True)
class Destination:
    mailing_list: MailingList
    role: str  # POST, or a SERVICE_SUFFIXES role
    recipient: str  # as given in RCPT TO
    detail: str = ""  # after the '+': a VERP address, a confirmation token


def resolve(recipient: str) -> Destination:
    """The list and role `recipient` names. Raises ListNotFound for any other address."""
    address = recipient.strip().strip("<>")
    local, at, domain = address.rpartition("@")
    if not at or not local:
        raise ListNotFound(f"{recipient!r} is not an address")
    try:
        return Destination(find_list(address), POST, recipient)
    except ListNotFound:
        pass
    base, plus, detail = local.partition("+")
    for suffix, role in SERVICE_SUFFIXES.items():
        if base.lower().endswith(suffix) and len(base) > len(suffix):
            if plus and role not in WITH_DETAIL:
                break
            return Destination(find_list(f"{base[: -len(suffix)]}@{domain}"), role, recipient, detail)
    raise ListNotFound(f"no list at {recipient!r}")


def service_address(mlist: MailingList, role: str) -> str:
    """`garden-owner@lists.example.org` for role "owner" of `garden@lists.example.org`."""
    local, _, domain = mlist.address.rpartition("@")
    suffix = next(s for s, r in SERVICE_SUFFIXES.items() if r == role)
    return f"{local}{suffix}@{domain}"
