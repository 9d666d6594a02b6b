"""The list server's DNS questions (a sender domain's DMARC policy), asked through the resolver the
DNS_RESOLVER setting names, or the system's. One cached lookup per resolver setting, shared by threads."""

from __future__ import annotations

import threading

from django.conf import settings

from listhaven.mail.dmarc import DmarcLookup, dmarc_policy, needs_mitigation

_lookups: dict[str, DmarcLookup] = {}
_lock = threading.Lock()


def dmarc_lookup() -> DmarcLookup:
    key = settings.DNS_RESOLVER
    with _lock:
        if key not in _lookups:
            _lookups[key] = _make_lookup(key)
        return _lookups[key]


def _make_lookup(spec: str) -> DmarcLookup:
    if not spec.strip():
        return DmarcLookup()
    hosts, port = [], 53
    for item in spec.split(","):
        host, _, given_port = item.strip().rpartition(":") if item.count(":") == 1 else (item.strip(), "", "")
        hosts.append(host)
        port = int(given_port) if given_port else port
    return DmarcLookup(hosts, port)


def author_needs_mitigation(domain: str) -> bool:
    """True when `domain` publishes DMARC p=quarantine or p=reject (a failed lookup counts as no policy)."""
    return needs_mitigation(dmarc_policy(domain, dmarc_lookup()))
