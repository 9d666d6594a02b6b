"""`listhaven run`: web, LMTP and a worker start together; a post to the demo list over LMTP reaches
every member's copy in the outbox; SIGTERM stops all three."""

from __future__ import annotations

import argparse
import os
import signal
import smtplib
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.databases import store_env, store_rows
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


def worker_pids(pid: int) -> set[int]:
    """The `listhaven worker` children of `pid`."""
    return {child for child in children_of(pid)
            if b"\0worker" in Path(f"/proc/{child}/cmdline").read_bytes()}  # fmt: skip


@pytest.mark.slow
def test_run_starts_the_workers_asked_for_and_they_deliver_each_copy_once(tmp_path):
    """`listhaven run --workers 3`, as an operator used to Mailman's several runners sets it: three worker
    processes, each with its own journal, sharing a post's four batches of one member each."""
    env = store_env(tmp_path, {k: v for k, v in os.environ.items() if k != "LISTHAVEN_SMTP_HOST"},
                    LISTHAVEN_DELIVERY_BATCH="1", LISTHAVEN_DELIVERY_CONNECTIONS="1")
    base = [sys.executable, "-m", "listhaven"]
    subprocess.run([*base, "demo-members"], env=env, check=True, timeout=120, capture_output=True)
    web, lmtp = free_port(), free_port()
    run = subprocess.Popen([*base, "run", "--port", str(web), "--lmtp-port", str(lmtp), "--workers", "3"], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        assert wait_for(lambda: listening(web) and listening(lmtp)), "web and LMTP did not come up"
        assert len(children_of(run.pid)) == 5
        workers = worker_pids(run.pid)
        assert len(workers) == 3
        journals = tmp_path / "run"
        # each worker's sender thread opens its journal, named after its process, when it starts
        assert wait_for(lambda: {int(p.name.split("-")[1]) for p in journals.glob("journal-*")} == workers)
        client = smtplib.LMTP("127.0.0.1", lmtp, timeout=30)
        client.ehlo("mta.example.org")
        assert client.sendmail("ann@example.org", ["harbour-dev@lists.example.org"], POST) == {}
        client.quit()
        new = tmp_path / "outbox" / "new"
        unsent = "SELECT count(*) FROM lists_deliverybatch WHERE state <> 'sent'"
        assert wait_for(lambda: new.is_dir() and store_rows(tmp_path, unsent) == [(0,)]), "the workers did not deliver"
        assert len(store_rows(tmp_path, "SELECT id FROM lists_deliverybatch")) == 4
        delivered = sorted(p.read_bytes().split(b"\n", 2)[1] for p in new.iterdir())
        assert delivered == [b"Delivered-To: ann@example.org", b"Delivered-To: bob@example.net",
                             b"Delivered-To: chen@example.com", b"Delivered-To: olive@lists.example.org"]  # fmt: skip
        run.send_signal(signal.SIGTERM)
        assert run.wait(timeout=30) == 0
        assert all(not Path(f"/proc/{pid}").exists() for pid in workers)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    done = subprocess.run([*base, "run", "--workers", "0"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "0 is not a count of at least 1" in done.stderr


def test_a_count_of_workers_below_one_is_refused_from_the_environment_as_from_the_command_line(monkeypatch):
    """`--workers 0` is refused; LISTHAVEN_RUN_WORKERS=0 (or -1), the default of that option, started web
    and LMTP with no worker at all: mail taken over LMTP and never sent. It is refused the same way."""
    from listhaven.delivery.commands import register
    from listhaven.delivery.processes import commands

    def parsed(*argv: str) -> argparse.Namespace:
        parser = argparse.ArgumentParser()
        register(parser.add_subparsers())
        return parser.parse_args(["run", *argv])

    for value in ("0", "-1"):
        monkeypatch.setenv("LISTHAVEN_RUN_WORKERS", value)
        with pytest.raises(ValueError, match=f"LISTHAVEN_RUN_WORKERS='{value}': {value} is below 1"):
            parsed()
    monkeypatch.setenv("LISTHAVEN_RUN_WORKERS", "2")
    assert list(commands(parsed())) == ["web", "lmtp", "worker 1", "worker 2"]
