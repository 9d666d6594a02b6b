"""The services refuse the secret key written in the source on a site others reach: `serve`, `lmtp`,
`worker` and `run` started as an operator's unit does (LISTHAVEN_SITE_URL set, no LISTHAVEN_SECRET_KEY)
exit 1 naming the variable, before binding a port; with a key, or on this machine's own address as
`make run` uses, they start."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
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
