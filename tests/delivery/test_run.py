"""`listhaven run`: web, LMTP and a worker start together; a post to the demo list over LMTP reaches
every member's copy in the outbox; SIGTERM stops all three."""

from __future__ import annotations

import os
import signal
import smtplib
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.ports import free_port, listening

POST = (b"From: Ann Archer <ann@example.org>\r\nTo: harbour-dev@lists.example.org\r\nSubject: Hello\r\n"
        b"Message-ID: <run-test@example.org>\r\n\r\nHello, list.\r\n")  # fmt: skip


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def wait_for(check, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.slow
def test_run_starts_web_lmtp_and_worker_and_stops_them_together(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "LISTHAVEN_SMTP_HOST"}
    env["LISTHAVEN_DATA"] = str(tmp_path)
    base = [sys.executable, "-m", "listhaven"]
    subprocess.run([*base, "demo-members"], env=env, check=True, timeout=120, capture_output=True)
    web, lmtp = free_port(), free_port()
    run = subprocess.Popen([*base, "run", "--port", str(web), "--lmtp-port", str(lmtp)], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        assert wait_for(lambda: listening(web) and listening(lmtp)), "web and LMTP did not come up"
        assert len(children_of(run.pid)) == 3
        with urllib.request.urlopen(f"http://127.0.0.1:{web}/", timeout=10) as page:
            assert page.status == 200
        client = smtplib.LMTP("127.0.0.1", lmtp, timeout=30)
        client.ehlo("mta.example.org")
        assert client.sendmail("ann@example.org", ["harbour-dev@lists.example.org"], POST) == {}
        client.quit()
        new = tmp_path / "outbox" / "new"
        assert wait_for(lambda: new.is_dir() and len(list(new.iterdir())) == 4), "the worker did not deliver"
        delivered = sorted(p.read_bytes().split(b"\n", 2)[1] for p in new.iterdir())
        assert delivered == [b"Delivered-To: ann@example.org", b"Delivered-To: bob@example.net",
                             b"Delivered-To: chen@example.com", b"Delivered-To: olive@lists.example.org"]  # fmt: skip
        children = children_of(run.pid)
        run.send_signal(signal.SIGTERM)
        assert run.wait(timeout=30) == 0
        assert all(not Path(f"/proc/{pid}").exists() for pid in children)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()


def test_the_children_link_to_the_web_server_they_start_unless_the_site_url_is_set():
    import argparse

    from listhaven.delivery.processes import own_site_url

    local = argparse.Namespace(host="127.0.0.1", port=8470)
    assert own_site_url(local, site_url_set=False) == "http://127.0.0.1:8470"
    assert own_site_url(local, site_url_set=True) is None
    assert own_site_url(argparse.Namespace(host="0.0.0.0", port=80), site_url_set=False) is None
    assert own_site_url(argparse.Namespace(host="::1", port=8000), site_url_set=False) == "http://[::1]:8000"
