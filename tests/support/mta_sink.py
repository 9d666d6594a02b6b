"""A counting SMTP sink that takes a message the moment its final dot arrives, as an MTA does.

Postfix commits a message when it reads the "." that ends DATA, whatever becomes of the connection
afterwards (a client that vanishes then still has its message delivered: "lost connection after
END-OF-MESSAGE"). aiosmtpd does not: when the connection closes it cancels the session, dropping a
message whose dot it had received but not yet read from its buffer. A test about a killed client
(tests/delivery/test_worker_kill.py) needs the MTA's behaviour, so this sink parses each chunk as it
arrives (asyncio's raw protocol: every byte received before the close is seen). 127.0.0.1 only,
port 0; PIPELINING offered; every recipient accepted; counts per recipient and per session.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager


class Counts:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.per_recipient: Counter[str] = Counter()
        self.per_session: Counter[int] = Counter()  # client port -> messages


class Session(asyncio.Protocol):
    def __init__(self, counts: Counts) -> None:
        self.counts = counts
        self.buffer = b""
        self.in_data = False
        self.recipients: list[str] = []
        self.port = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        self.port = transport.get_extra_info("peername")[1]
        self.transport.write(b"220 mta-sink ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        replies = []
        while True:
            if self.in_data:
                end = self.buffer.find(b"\r\n.\r\n")
                if end < 0:
                    break
                self.buffer, self.in_data = self.buffer[end + 5 :], False
                replies.append(self.delivered())
                continue
            line, sep, rest = self.buffer.partition(b"\r\n")
            if not sep:
                break
            self.buffer = rest
            replies.append(self.command(line))
        if replies and not self.transport.is_closing():
            self.transport.write(b"".join(replies))

    def command(self, line: bytes) -> bytes:
        verb = line[:4].upper()
        if verb in (b"EHLO", b"HELO"):
            return b"250-mta-sink\r\n250-PIPELINING\r\n250 8BITMIME\r\n"
        if verb == b"MAIL":
            self.recipients = []
            return b"250 OK\r\n"
        if verb == b"RCPT":
            self.recipients.append(line.partition(b":")[2].strip().strip(b"<>").decode())
            return b"250 OK\r\n"
        if verb == b"DATA":
            if not self.recipients:
                return b"503 no valid recipients\r\n"
            self.in_data = True
            self.buffer = b"\r\n" + self.buffer  # a message that is only "." still ends at CRLF.CRLF
            return b"354 go ahead\r\n"
        if verb == b"RSET":
            self.recipients = []
        if verb == b"QUIT":
            self.transport.close()
            return b"221 bye\r\n"
        return b"250 OK\r\n"

    def delivered(self) -> bytes:
        with self.counts.lock:
            self.counts.per_recipient.update(self.recipients)
            self.counts.per_session[self.port] += 1
        self.recipients = []
        return b"250 accepted\r\n"


@contextmanager
def mta_sink() -> Iterator[tuple[int, Counts]]:
    """(port, counts) of a sink running in a thread until the block ends."""
    counts = Counts()
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(loop.create_server(lambda: Session(counts), "127.0.0.1", 0))
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
