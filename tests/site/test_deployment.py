"""The services refuse the secret key written in the source on a site others reach: `serve`, `lmtp`,
`worker` and `run` started as an operator's unit does (LISTHAVEN_SITE_URL set, no LISTHAVEN_SECRET_KEY)
exit 1 naming the variable, before binding a port; with a key, or on this machine's own address as
`make run` uses, they start. `serve` leaves nothing in the user's home that another `serve` on the
host would share."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.ports import free_port

PUBLIC = "https://lists.example.org"


def listhaven(data: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("LISTHAVEN_SECRET_KEY", "LISTHAVEN_SITE_URL")}
    return subprocess.run([sys.executable, "-m", "listhaven", "--data-dir", str(data), *args],
                          env={**environ, **env}, capture_output=True, text=True, timeout=120)  # fmt: skip


def bound(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("command", ["serve", "lmtp", "run"])
def test_a_public_site_with_the_default_key_does_not_start(tmp_path, command):
    port = free_port()
    option = "--port" if command != "run" else "--lmtp-port"
    result = listhaven(tmp_path, command, option, str(port), LISTHAVEN_SITE_URL=PUBLIC)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "LISTHAVEN_SECRET_KEY is not set" in result.stderr and PUBLIC in result.stderr
    assert not bound(port)


def test_the_worker_starts_with_a_key_or_on_this_machine_only(tmp_path):
    refused = listhaven(tmp_path, "worker", "--until-idle", LISTHAVEN_SITE_URL=PUBLIC)
    assert refused.returncode == 1 and "LISTHAVEN_SECRET_KEY is not set" in refused.stderr
    keyed = listhaven(tmp_path, "worker", "--until-idle", LISTHAVEN_SITE_URL=PUBLIC,
                      LISTHAVEN_SECRET_KEY="a-key-only-this-site-knows-0123456789")  # fmt: skip
    assert keyed.returncode == 0, keyed.stderr
    for local in ("http://127.0.0.1:8000", "http://localhost:8000/", "http://[::1]:8000"):
        result = listhaven(tmp_path, "worker", "--until-idle", LISTHAVEN_SITE_URL=local)
        assert result.returncode == 0, (local, result.stderr)


def test_serve_opens_no_control_socket_another_web_process_would_take(tmp_path):
    # gunicorn's control socket defaults to one path per user (~/.gunicorn/gunicorn.ctl): a second
    # `listhaven serve` on the host took it over, stopping either removed it, and `gunicornc` steered
    # whichever started last. gunicorn opens it before it reads a signal, so after the stop is soon enough
    home, port = tmp_path / "home", free_port()
    home.mkdir()
    environ = {k: v for k, v in os.environ.items() if k not in ("LISTHAVEN_SITE_URL", "XDG_RUNTIME_DIR")}
    server = subprocess.Popen([sys.executable, "-m", "listhaven", "--data-dir", str(tmp_path / "data"), "serve",
                               "--port", str(port), "--workers", "1"], env={**environ, "HOME": str(home)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None and time.monotonic() < deadline, "listhaven serve did not answer"
            try:
                opener.open(f"http://127.0.0.1:{port}/", timeout=2).close()
                break
            except OSError:
                time.sleep(0.2)
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0
    assert not (home / ".gunicorn").exists()  # not even the folder the socket was made in
