"""A sender domain's DMARC policy (RFC 7489), looked up in DNS with dnspython and cached.

Which record applies: ``_dmarc.<domain>`` first; when it has none, its parent domains are asked in turn,
nearest first, stopping before the top-level domain and after at most 8 lookups (the DNS tree walk of
DMARCbis, which replaces RFC 7489's Public Suffix List: no list to ship and keep current). A record found at
a parent applies its ``sp=`` (subdomain policy) when it has one, else its ``p=``.

A TXT answer is a DMARC record when it starts with ``v=DMARC1``; a name with two such records has none
(RFC 7489 §6.6.3). A record without a valid ``p=`` counts as ``none``.

Failures: a timeout or SERVFAIL gives None (no policy known) and is cached only for `error_ttl` seconds, so
one slow resolver does not decide an hour of posts. Answers (a policy, or none found) are cached for
`ttl` seconds whatever the record's own TTL: list traffic needs a bound, not precision.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Literal

import dns.exception
import dns.resolver

Policy = Literal["none", "quarantine", "reject"]
POLICIES: tuple[Policy, ...] = ("none", "quarantine", "reject")
MAX_LOOKUPS = 8
_BY_NAME: dict[str, Policy] = {name: name for name in POLICIES}


class _LookupFailed(Exception):
    pass


class DmarcLookup:
    """Policy lookups through one resolver, with a bounded cache; safe to share between threads.

    `nameservers`/`port` point the resolver somewhere (tests: a server on 127.0.0.1); None uses the
    system's resolv.conf. `clock` is injectable so cache expiry can be tested without sleeping.
    """

    def __init__(self, nameservers: Sequence[str] | None = None, port: int = 53, *, ttl: float = 3600.0,
                 error_ttl: float = 60.0, timeout: float = 3.0, max_entries: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.resolver = dns.resolver.Resolver(configure=nameservers is None)
        if nameservers is not None:
            self.resolver.nameservers = list(nameservers)
        self.resolver.port = port
        self.resolver.timeout = self.resolver.lifetime = timeout
        self.ttl, self.error_ttl, self.max_entries, self.clock = ttl, error_ttl, max_entries, clock
        self._cache: OrderedDict[str, tuple[float, Policy | None]] = OrderedDict()
        self._lock = threading.Lock()

    def policy(self, domain: str) -> Policy | None:
        """The policy that applies to mail From `domain`, or None when no DMARC record covers it."""
        key = domain.strip().rstrip(".").lower()
        if not key or "." not in key:
            return None
        now = self.clock()
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None and cached[0] > now:
                return cached[1]
        try:
            result, lifetime = self._walk(key), self.ttl
        except _LookupFailed:
            result, lifetime = None, self.error_ttl
        with self._lock:
            self._cache[key] = (now + lifetime, result)
            self._cache.move_to_end(key)
            while len(self._cache) > self.max_entries:
                self._cache.popitem(last=False)
        return result

    def _walk(self, domain: str) -> Policy | None:
        labels = domain.split(".")
        for depth in range(min(len(labels) - 1, MAX_LOOKUPS)):
            record = self._record("_dmarc." + ".".join(labels[depth:]))
            if record is not None:
                return record_policy(record, subdomain=depth > 0)
        return None

    def _record(self, name: str) -> str | None:
        try:
            answer = self.resolver.resolve(name, "TXT", raise_on_no_answer=False)
        except dns.resolver.NXDOMAIN:
            return None
        except (dns.exception.Timeout, dns.resolver.NoNameservers, dns.resolver.LifetimeTimeout) as error:
            raise _LookupFailed(str(error)) from error
        records = []
        for rdata in answer:
            text = b"".join(rdata.strings).decode("ascii", "replace")
            if text.replace(" ", "").upper().startswith("V=DMARC1"):
                records.append(text)
        return records[0] if len(records) == 1 else None


def record_policy(record: str, subdomain: bool = False) -> Policy:
    """The policy of one DMARC record: ``sp=`` for a subdomain when present, else ``p=``; ``none`` when invalid."""
    tags: dict[str, str] = {}
    for part in record.split(";"):
        name, equals, value = part.partition("=")
        if equals:
            tags.setdefault(name.strip().lower(), value.strip().lower())
    chosen = _BY_NAME.get(tags.get("sp", "")) if subdomain else None
    return chosen or _BY_NAME.get(tags.get("p", ""), "none")


def needs_mitigation(policy: Policy | None) -> bool:
    """True for the policies under which a decorated post from that domain would be refused or filed as spam."""
    return policy in ("quarantine", "reject")


_default: DmarcLookup | None = None


def dmarc_policy(domain: str, lookup: DmarcLookup | None = None) -> Policy | None:
    """The DMARC policy for `domain` via `lookup`, or a process-wide lookup using the system resolver."""
    global _default
    if lookup is None:
        if _default is None:
            _default = DmarcLookup()
        lookup = _default
    return lookup.policy(domain)
