"""`listhaven demo-data` as a user runs it: a process that writes one mbox per demo list."""

from __future__ import annotations

import mailbox
import subprocess
import sys

from listhaven.demo.messages import DEMO_LISTS


def test_demo_data_writes_one_mbox_per_list_holding_every_message(tmp_path):
    out = tmp_path / "demo"
    result = subprocess.run(
        [sys.executable, "-m", "listhaven", "--data-dir", str(tmp_path / "store"), "demo-data", str(out),
         "--messages", "40"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    counts = {path.stem: len(mailbox.mbox(str(path))) for path in out.glob("*.mbox")}
    assert set(counts) == {spec.name for spec in DEMO_LISTS}
    assert sum(counts.values()) == 41  # the 40 asked for and the one shaped like the reference page
    for spec in DEMO_LISTS:
        assert f"{spec.name}.mbox: {counts[spec.name]} messages" in result.stdout
