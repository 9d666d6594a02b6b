"""A counting SMTP sink for the delivery benchmark, on asyncio's raw protocol (127.0.0.1 only).

The aiosmtpd sink (../shared/peers/sink.py) costs about as much CPU per transaction as the worker
that feeds it, so on a busy 2-core machine it measures itself; this one parses only what counting
needs (the session of tests/support/mta_sink.py: ESMTP with PIPELINING and 8BITMIME, every
recipient accepted, no message kept). It writes the same status file as sink.py (transactions, recipients, bytes, first, last) every 50 ms
and on SIGUSR1 (which also resets the counters). SIGTERM/SIGINT stop it.

    python bench/fast_sink.py --port 8025 --status /tmp/sink-status.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.mta_sink import SinkSession  # the SMTP side, shared with the tests' sink


class Counters:
    def __init__(self, path: str) -> None:
        self.path = path
        self.reset()

    def reset(self) -> None:
        self.transactions = self.recipients = self.bytes = 0
        self.first: float | None = None
        self.last: float | None = None
        self.write()

    def add(self, recipients: list[str], size: int, port: int) -> None:
        now = time.time()
        self.transactions += 1
        self.recipients += len(recipients)
        self.bytes += size
        self.first = self.first or now
        self.last = now

    def write(self) -> None:
        tmp = self.path + ".tmp"
        with open(tmp, "w") as handle:
            json.dump({"transactions": self.transactions, "recipients": self.recipients, "bytes": self.bytes,
                       "first": self.first, "last": self.last}, handle)  # fmt: skip
        os.replace(tmp, self.path)


async def serve(host: str, port: int, counters: Counters) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGUSR1, counters.reset)
    server = await loop.create_server(lambda: SinkSession(counters.add), host, port)
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
