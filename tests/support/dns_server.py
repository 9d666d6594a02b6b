"""A real DNS server on 127.0.0.1 for the tests (dnslib), answering from a dict that a test may change.

    with LocalDNS({"_dmarc.example.org": ["v=DMARC1; p=reject"]}) as dns:
        resolver = dns.resolver()           # a dnspython Resolver that asks only this server
        dns.set("_dmarc.example.net", ["v=DMARC1; p=none"])

Records are TXT by default; other types with ``("A", "192.0.2.1")`` tuples. A name not in the dict answers
NXDOMAIN; ``dns.fail(name)`` makes a name answer SERVFAIL. UDP and TCP listen on the same ephemeral port,
so a truncated UDP answer (``udp_limit``) is fetched again over TCP as real resolvers do. `queries` counts
the questions asked, for caching tests.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import dns.resolver
from dnslib import QTYPE, RCODE, RR, TXT, A, DNSRecord
from dnslib.server import BaseResolver, DNSHandler, DNSServer

Record = str | tuple[str, str]


def txt_chunks(value: str) -> list[bytes]:
    """A TXT value as character-strings of at most 255 bytes (a DKIM key is longer than one)."""
    data = value.encode("ascii")
    return [data[i : i + 255] for i in range(0, len(data), 255)] or [b""]


class _Answers(BaseResolver):  # type: ignore[misc]
    def __init__(self, owner: LocalDNS) -> None:
        self.owner = owner

    def resolve(self, request: Any, handler: Any) -> Any:
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        qtype = QTYPE[request.q.qtype]
        with self.owner.lock:
            self.owner.queries[(name, qtype)] += 1
            if name in self.owner.failing:
                reply.header.rcode = RCODE.SERVFAIL
                return reply
            records = self.owner.records.get(name)
        if records is None:
            reply.header.rcode = RCODE.NXDOMAIN
            return reply
        for record in records:
            rtype, value = ("TXT", record) if isinstance(record, str) else record
            if rtype != qtype:
                continue
            rdata = TXT(txt_chunks(value)) if rtype == "TXT" else A(value)
            reply.add_answer(RR(request.q.qname, QTYPE.reverse[rtype], rdata=rdata, ttl=self.owner.ttl))
        return reply


class _Handler(DNSHandler):  # type: ignore[misc]
    """Truncates as a real server does: TC set, the question kept (dnslib's own truncate() drops it, and
    dnspython rightly refuses an answer that does not repeat the question)."""

    udplen = 0

    def get_reply(self, data: bytes) -> bytes:
        request = DNSRecord.parse(data)
        reply = self.server.resolver.resolve(request, self)
        packed: bytes = reply.pack()
        if self.protocol == "udp" and self.udplen and len(packed) > self.udplen:
            short = request.reply()
            short.header.tc = 1
            packed = short.pack()
        return packed


class _QuietLogger:
    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


class LocalDNS:
    """The server; a context manager that starts UDP and TCP threads and stops them."""

    def __init__(self, records: Mapping[str, Iterable[Record]] | None = None, *, ttl: int = 300,
                 udp_limit: int = 0) -> None:
        self.records: dict[str, list[Record]] = {}
        self.failing: set[str] = set()
        self.queries: Counter[tuple[str, str]] = Counter()
        self.lock = threading.Lock()
        self.ttl = ttl
        self.udp_limit = udp_limit
        for name, values in (records or {}).items():
            self.set(name, values)
        self.port = 0
        self._servers: list[DNSServer] = []

    def set(self, name: str, values: Iterable[Record]) -> None:
        with self.lock:
            self.records[name.rstrip(".").lower()] = list(values)

    def remove(self, name: str) -> None:
        with self.lock:
            self.records.pop(name.rstrip(".").lower(), None)

    def fail(self, name: str) -> None:
        with self.lock:
            self.failing.add(name.rstrip(".").lower())

    def resolver(self, timeout: float = 2.0) -> dns.resolver.Resolver:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = ["127.0.0.1"]
        resolver.port = self.port
        resolver.timeout = resolver.lifetime = timeout
        return resolver

    def __enter__(self) -> LocalDNS:
        handler = type("LimitedHandler", (_Handler,), {"udplen": self.udp_limit})
        answers = _Answers(self)
        for attempt in range(20):  # the UDP port may be taken for TCP by someone else: try another
            udp = DNSServer(answers, port=0, address="127.0.0.1", handler=handler, logger=_QuietLogger())
            port = udp.server.server_address[1]
            try:
                tcp = DNSServer(answers, port=port, address="127.0.0.1", tcp=True, handler=handler,
                                logger=_QuietLogger())
            except OSError:
                udp.server.server_close()
                if attempt == 19:
                    raise
                continue
            break
        self.port = port
        self._servers = [udp, tcp]
        for server in self._servers:
            # A short poll interval: shutdown() waits for the loop to notice, twice per test otherwise 0.5 s.
            thread = threading.Thread(target=server.server.serve_forever, kwargs={"poll_interval": 0.02},
                                      daemon=True)
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for server in self._servers:
            server.server.shutdown()
            server.server.server_close()
        self._servers = []
