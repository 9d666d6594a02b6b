"""The post command `make run` prints, pasted into another shell in another directory while `make run`
serves on another port: it reaches `make run`'s store, and the copies it queues link to `make run`'s
site, not to the default http://127.0.0.1:8000. `make -n` gives the recipe's lines without running them;
the printf line among them is run through bash to get the text `make run` prints."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LISTHAVEN = REPO / ".venv" / "bin" / "listhaven"
PORT = "8123"

pytestmark = [
    pytest.mark.skipif(shutil.which("make") is None or not LISTHAVEN.exists(), reason="needs make and .venv"),
    pytest.mark.sqlite_only(reason="make run's own store is SQLite; the test's commands run on it whatever DATABASE_URL says"),
]


def clean_env() -> dict[str, str]:
    """The environment of a newcomer's shell: no Listhaven setting, no Django settings module."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("LISTHAVEN_", "DJANGO_", "DATABASE_URL"))}


def printed_post_command(store: Path) -> str:
    recipe = subprocess.run(
        ["make", "-n", "-C", str(REPO), "run", f"PORT={PORT}", f"LISTHAVEN_DATA={store}"],
        capture_output=True, text=True, check=True, timeout=60, env=clean_env(),
    ).stdout  # fmt: skip
    printing = re.search(r"^printf '%s\\n' .*?[^\\]\n", recipe, re.MULTILINE | re.DOTALL)
    assert printing, recipe
    shown = subprocess.run(["bash", "-c", printing.group(0)], capture_output=True, text=True, check=True).stdout
    return shown.strip().splitlines()[-1]


def test_the_printed_post_command_reaches_make_runs_store_and_links_to_its_site(tmp_path):
    store = tmp_path / "store"
    env = {**clean_env(), "LISTHAVEN_DATA": str(store)}
    for argv in (["migrate"], ["demo-members"]):  # what make run does first (the demo archive aside)
        subprocess.run([str(LISTHAVEN), *argv], env=env, check=True, capture_output=True, timeout=120)
    command = printed_post_command(store)
    assert command.startswith("printf 'From: Ann Archer <ann@example.org>")

    elsewhere = tmp_path / "another-directory"
    elsewhere.mkdir()
    posted = subprocess.run(["bash", "-c", command], cwd=elsewhere, env=clean_env(), capture_output=True, text=True, timeout=120)
    assert posted.returncode == 0, posted.stderr
    assert "queued for 4" in posted.stdout + posted.stderr

    # make run's worker (its site in the environment) writes the copies. The list's headers and footer
    # were written when the post was queued, by the pasted command; each member's unsubscribe link now.
    site = {**env, "LISTHAVEN_SITE_URL": f"http://127.0.0.1:{PORT}"}
    subprocess.run([str(LISTHAVEN), "worker", "--until-idle"], env=site, check=True, capture_output=True, timeout=120)
    copies = [path.read_bytes() for path in (store / "outbox" / "new").iterdir()]
    assert len(copies) == 4
    for copy in copies:
        assert f"List-Archive: <http://127.0.0.1:{PORT}/harbour-dev/>".encode() in copy
        assert f"\nhttp://127.0.0.1:{PORT}/listinfo/harbour-dev\n".encode() in copy  # the footer's
        assert f"/127.0.0.1:{PORT}/harbour-dev/unsubscribe/".encode() in copy
        assert b"127.0.0.1:8000" not in copy
