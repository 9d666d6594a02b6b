"""Loopback ports for the servers tests and benchmarks start: one free port, and waiting until one listens."""

from __future__ import annotations

import socket
import time

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """An ephemeral port the kernel just gave out, for a server that needs its number up front
    (aiosmtpd's controller, Postfix's master.cf, a child process told --port N)."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def listening(port: int) -> bool:
    try:
        socket.create_connection((LOOPBACK, port), timeout=1).close()
        return True
    except OSError:
        return False


def wait_for_port(port: int, timeout: float = 30, what: str = "nothing") -> None:
    """Return once something accepts connections on 127.0.0.1:`port`; raise after `timeout` seconds,
    naming `what` was expected to listen there."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if listening(port):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {LOOPBACK}:{port} within {timeout:g} s")
