"""A counting SMTP sink that takes a message the moment its final dot arrives, as an MTA does.

Postfix commits a message when it reads the "." that ends DATA, whatever becomes of the connection
afterwards (a client that vanishes then still has its message delivered: "lost connection after
END-OF-MESSAGE"). aiosmtpd does not: when the connection closes it cancels the session, dropping a
message whose dot it had received but not yet read from its buffer. A test about a killed client
(tests/delivery/test_worker_kill.py) needs the MTA's behaviour, so this sink parses each chunk as it
arrives (asyncio's raw protocol: every byte received before the close is seen). 127.0.0.1 only,
port 0; PIPELINING offered; every recipient accepted unless `Counts.refuse` answers it otherwise (a test
sets it: address -> an RCPT reply such as b"550 5.1.1 no such user", or None); counts per recipient and
per session. The
delivery benchmark's sink (bench/fast_sink.py) is the same session with counters of its own.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class Counts:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.per_recipient: Counter[str] = Counter()
        self.per_session: Counter[int] = Counter()  # client port -> messages
        self.refuse: Callable[[str], bytes | None] | None = None  # address -> RCPT reply, None to accept

    def add(self, recipients: list[str], size: int, port: int) -> None:
        with self.lock:
            self.per_recipient.update(recipients)
            self.per_session[port] += 1


class SinkSession(asyncio.Protocol):
    """One client's SMTP session: ESMTP with PIPELINING and 8BITMIME, every recipient accepted, a
    message taken the moment its final dot arrives: `taken(recipients, size in bytes, client port)`.
    The message's bytes are not kept (while in DATA only what may still begin the final dot is
    buffered), so a benchmark's sink (bench/fast_sink.py) costs little CPU per message."""

    def __init__(self, taken: Callable[[list[str], int, int], None],
                 refuse: Callable[[], Callable[[str], bytes | None] | None] = lambda: None) -> None:  # fmt: skip
        self.taken, self.refuse = taken, refuse
        self.buffer = b""
        self.in_data = False
        self.recipients: list[str] = []
        self.size = 0
        self.port = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        self.port = transport.get_extra_info("peername")[1]
        self.transport.write(b"220 sink ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        replies = []
        while True:
            if self.in_data:
                end = self.buffer.find(b"\r\n.\r\n")
                if end < 0:
                    keep = max(0, len(self.buffer) - 4)
                    self.size += keep
                    self.buffer = self.buffer[keep:]
                    break
                self.size += end + 2
                self.buffer, self.in_data = self.buffer[end + 5 :], False
                self.taken(self.recipients, self.size, self.port)
                self.recipients = []
                replies.append(b"250 2.0.0 accepted\r\n")
                continue
            line, sep, rest = self.buffer.partition(b"\r\n")
            if not sep:
                break
            self.buffer = rest
            reply = self.command(line)
            if reply is None:  # QUIT: the replies so far, then goodbye
                self.transport.write(b"".join(replies) + b"221 2.0.0 bye\r\n")
                self.transport.close()
                return
            replies.append(reply)
        if replies and not self.transport.is_closing():
            self.transport.write(b"".join(replies))

    def command(self, line: bytes) -> bytes | None:
        verb = line[:4].upper()
        if verb in (b"EHLO", b"HELO"):
            return b"250-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 67108864\r\n"
        if verb in (b"MAIL", b"RSET"):
            self.recipients = []
            return b"250 2.1.0 OK\r\n"
        if verb == b"RCPT":
            address = line.partition(b":")[2].strip().strip(b"<>").decode()
            refuse = self.refuse()
            refusal = refuse(address) if refuse is not None else None
            if refusal is not None:
                return refusal + b"\r\n"
            self.recipients.append(address)
            return b"250 2.1.5 OK\r\n"
        if verb == b"DATA":
            if not self.recipients:
                return b"503 5.5.1 no valid recipients\r\n"
            self.in_data = True
            self.buffer = b"\r\n" + self.buffer  # a message that is only "." still ends at CRLF.CRLF
            self.size = -2
            return b"354 go ahead\r\n"
        if verb == b"QUIT":
            return None
        return b"250 OK\r\n"  # NOOP


@contextmanager
def mta_sink() -> Iterator[tuple[int, Counts]]:
    """(port, counts) of a sink running in a thread until the block ends."""
    counts = Counts()
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(loop.create_server(lambda: SinkSession(counts.add, lambda: counts.refuse), "127.0.0.1", 0))
    thread = threading.Thread(target=loop.run_forever, daemon=True, name="mta-sink")
    thread.start()
    try:
        yield server.sockets[0].getsockname()[1], counts
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        server.close()
        loop.run_until_complete(server.wait_closed())
        loop.close()
