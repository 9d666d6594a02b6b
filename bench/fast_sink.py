"""A counting SMTP sink for the delivery benchmark, on asyncio's raw protocol (127.0.0.1 only).

The aiosmtpd sink (../shared/peers/sink.py) costs about as much CPU per transaction as the worker
that feeds it, so on a busy 2-core machine it measures itself; this one parses only what counting
needs. It speaks ESMTP with PIPELINING and 8BITMIME, accepts every recipient, keeps no message, and
writes the same status file as sink.py (transactions, recipients, bytes, first, last) every 50 ms
and on SIGUSR1 (which also resets the counters). SIGTERM/SIGINT stop it.

    python bench/fast_sink.py --port 8025 --status /tmp/sink-status.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import time


class Counters:
    def __init__(self, path: str) -> None:
        self.path = path
        self.reset()

    def reset(self) -> None:
        self.transactions = self.recipients = self.bytes = 0
        self.first: float | None = None
        self.last: float | None = None
        self.write()

    def write(self) -> None:
        tmp = self.path + ".tmp"
        with open(tmp, "w") as handle:
            json.dump({"transactions": self.transactions, "recipients": self.recipients, "bytes": self.bytes,
                       "first": self.first, "last": self.last}, handle)  # fmt: skip
        os.replace(tmp, self.path)


class Session(asyncio.Protocol):
    def __init__(self, counters: Counters) -> None:
        self.counters = counters
        self.buffer = b""
        self.in_data = False
        self.rcpts = 0
        self.size = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.transport.write(b"220 fast-sink ESMTP\r\n")  # type: ignore[attr-defined]

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
                self.buffer = self.buffer[end + 5 :]
                self.in_data = False
                replies.append(self.delivered())
                continue
            line, sep, rest = self.buffer.partition(b"\r\n")
            if not sep:
                break
            self.buffer = rest
            replies.append(self.command(line))
            if replies[-1] is None:
                replies.pop()
                self.transport.write(b"".join(replies) + b"221 bye\r\n")  # type: ignore[attr-defined]
                self.transport.close()
                return
        if replies:
            self.transport.write(b"".join(replies))  # type: ignore[attr-defined]

    def command(self, line: bytes) -> bytes | None:
        verb = line[:4].upper()
        if verb in (b"EHLO", b"HELO"):
            return b"250-fast-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 67108864\r\n"
        if verb == b"MAIL":
            self.rcpts = self.size = 0
            return b"250 2.1.0 OK\r\n"
        if verb == b"RCPT":
            self.rcpts += 1
            return b"250 2.1.5 OK\r\n"
        if verb == b"DATA":
            if not self.rcpts:
                return b"503 5.5.1 no valid recipients\r\n"
            self.in_data = True
            self.buffer = b"\r\n" + self.buffer  # so a message that is only "." still ends at CRLF.CRLF
            self.size = -2
            return b"354 go ahead\r\n"
        if verb == b"QUIT":
            return None
        return b"250 OK\r\n"  # RSET, NOOP

    def delivered(self) -> bytes:
        now = time.time()
        counters = self.counters
        counters.transactions += 1
        counters.recipients += self.rcpts
        counters.bytes += self.size
        counters.first = counters.first or now
        counters.last = now
        self.rcpts = 0
        return b"250 2.0.0 accepted\r\n"


async def serve(host: str, port: int, counters: Counters) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGUSR1, counters.reset)
    server = await loop.create_server(lambda: Session(counters), host, port)
    print(f"fast sink listening on {host}:{port}, status {counters.path}", flush=True)
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), 0.05)
        except TimeoutError:
            pass
        counters.write()
    server.close()
    counters.write()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--status", default="/tmp/sink-status.json")
    args = parser.parse_args()
    assert args.host.startswith("127."), "the sink binds to loopback only"
    asyncio.run(serve(args.host, args.port, Counters(args.status)))


if __name__ == "__main__":
    main()
