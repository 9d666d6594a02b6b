"""Two worker hosts that share a host name (two machines, or two containers, named alike) on one store: a
batch one of them holds while it sends is not taken by the other as a dead process's, whatever the
claimant's process id means on the other host; only a lapsed lease is taken over, and a worker of the
claimant's own host still takes over at once a batch whose claimant has died (delivery/batches.py, `_alive`).

The second host is a `listhaven worker` in a PID namespace of its own (`unshare --pid`), with the same host
name: a container beside the first, as `docker run --hostname` makes one."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.databases import store_env, store_rows

MEMBERS = [f"m{n}@example.net" for n in range(4)]
SETUP = """
from listhaven.cli import setup_django, ensure_schema
setup_django(None); ensure_schema()
from listhaven.lists.directory import create_list
from listhaven.lists.queue import enqueue
mlist = create_list("crowd@lists.example.org")
members = [f"m{n}@example.net" for n in range(4)]
enqueue(mlist, b"Subject: hi\\r\\nMessage-ID: <same-host@example.org>\\r\\n\\r\\nhi\\r\\n", members, kind="post",
        personalised=False)
"""
# A worker of the first host, in the middle of sending its batch: it has claimed it and sends nothing.
CLAIMANT = """
import sys
from listhaven.cli import setup_django
setup_django(None)
from listhaven.delivery.batches import claim, worker_name
[batch] = claim(worker_name())
print(batch.claimed_by, flush=True)
sys.stdin.readline()
"""
REPO = Path(__file__).resolve().parents[2]
OTHER_HOST = ["unshare", "--pid", "--fork", "--mount-proc"]


def _namespaces_allowed() -> str:
    if shutil.which("unshare") is None:
        return "unshare(1) is not installed"
    probe = subprocess.run([*OTHER_HOST, "true"], capture_output=True, text=True, timeout=30)
    return "" if probe.returncode == 0 else f"a PID namespace cannot be made here: {probe.stderr.strip()}"


def worker(env: dict[str, str], *, other_host: bool) -> None:
    argv = [*(OTHER_HOST if other_host else []), sys.executable, "-m", "listhaven", "worker", "--until-idle"]
    done = subprocess.run(argv, env=env, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def copies(data: Path) -> list[str]:
    """The recipient of each copy in the outbox (no MTA set: the workers write there)."""
    found = []
    for path in sorted((data / "outbox" / "new").glob("*")):
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("Delivered-To:"):
                found.append(line.split(":", 1)[1].strip())
    return sorted(found)


def start_claimant(tmp_path: Path) -> tuple[dict[str, str], subprocess.Popen[str]]:
    """A store with one post's batch, and a process that has claimed it and holds it (it prints its claim's
    name); skips where this machine cannot make a PID namespace."""
    reason = _namespaces_allowed()
    if reason:
        pytest.skip(reason)
    env = store_env(tmp_path)
    subprocess.run([sys.executable, "-c", SETUP], env=env, cwd=REPO, check=True, timeout=300)
    claimant = subprocess.Popen([sys.executable, "-c", CLAIMANT], env=env, cwd=REPO, text=True,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE)  # fmt: skip
    return env, claimant


def test_a_host_of_the_same_name_takes_no_live_batch_and_the_claimants_host_takes_a_dead_ones(tmp_path):
    env, claimant = start_claimant(tmp_path)
    try:
        assert claimant.stdout is not None
        name = claimant.stdout.readline().strip()
        assert name.count(":") == 3, name
        # Before: the claim named the host and a process id, and a worker of a host of that name took the
        # batch at once when no process had that id there: every copy sent by both hosts.
        worker(env, other_host=True)
        assert copies(tmp_path) == []
        assert store_rows(tmp_path, "SELECT claimed_by, done FROM lists_deliverybatch") == [(name, 0)]
    finally:
        claimant.kill()
        claimant.wait()
    # The claimant is dead. The other host cannot tell that from here: it waits for the lease.
    worker(env, other_host=True)
    assert copies(tmp_path) == []
    # A worker of the claimant's own host can, and takes the batch over at once.
    worker(env, other_host=False)
    assert copies(tmp_path) == MEMBERS
    assert store_rows(tmp_path, "SELECT state, claimed_by FROM lists_deliverybatch") == [("sent", "")]


def test_a_lapsed_lease_is_taken_over_by_a_host_of_the_same_name(tmp_path):
    env, claimant = start_claimant(tmp_path)
    try:
        assert claimant.stdout is not None and claimant.stdout.readline().strip()
        lapse = ("from listhaven.cli import setup_django\nsetup_django(None)\n"
                 "from datetime import timedelta\nfrom django.utils import timezone\n"
                 "from listhaven.lists.models import DeliveryBatch\n"
                 "DeliveryBatch.objects.update(lease_until=timezone.now() - timedelta(seconds=1))\n")  # fmt: skip
        subprocess.run([sys.executable, "-c", lapse], env=env, cwd=REPO, check=True, timeout=300)
        worker(env, other_host=True)
        assert copies(tmp_path) == MEMBERS
    finally:
        claimant.kill()
        claimant.wait()
