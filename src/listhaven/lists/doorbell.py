"""The outgoing queue's doorbell: `ring()` after a commit that queued mail wakes the delivery workers
of this machine at once, instead of at their next poll (every 0.2 s).

Each worker process binds a Unix datagram socket ``DATA_DIR/run/worker-PID.sock`` (`Doorbell`); `ring`
sends one byte to every such socket, never blocking and ignoring every error: a worker that is gone
(its socket refuses) has its file removed; a worker whose socket is full is awake already. Workers on
other machines (PostgreSQL) are not rung and keep polling; nothing depends on the bell but latency.
"""

from __future__ import annotations

import os
import select
import socket
from pathlib import Path

from django.conf import settings

MAX_PATH = 100  # sockaddr_un holds 108 bytes; a longer path means no bell, only polling


def bell_dir() -> Path:
    return Path(settings.DATA_DIR) / "run"


def ring() -> None:
    """Wakes every worker of this machine (call after the commit, e.g. `transaction.on_commit(ring)`)."""
    try:
        paths = list(bell_dir().glob("worker-*.sock"))
    except OSError:
        return
    if not paths:
        return
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
        sender.setblocking(False)
        for path in paths:
            try:
                sender.sendto(b"!", str(path))
            except (ConnectionRefusedError, FileNotFoundError):
                path.unlink(missing_ok=True)  # its worker is gone
            except OSError:
                pass  # full (the worker is awake anyway), or anything else: it will poll


class Doorbell:
    """A worker process's end: `wait(timeout)` returns when rung or after `timeout` seconds."""

    def __init__(self) -> None:
        self.path = bell_dir() / f"worker-{os.getpid()}.sock"
        self.socket: socket.socket | None = None
        if len(str(self.path)) > MAX_PATH:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.unlink(missing_ok=True)  # a process of the same pid before us
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            sock.bind(str(self.path))
            sock.setblocking(False)
        except OSError:
            return
        self.socket = sock

    def wait(self, timeout: float) -> None:
        if self.socket is None:
            select.select([], [], [], timeout)
            return
        readable, _, _ = select.select([self.socket], [], [], timeout)
        if readable:
            try:
                while self.socket.recv(64):
                    pass
            except OSError:
                pass

    def close(self) -> None:
        if self.socket is not None:
            self.socket.close()
            self.socket = None
            self.path.unlink(missing_ok=True)
