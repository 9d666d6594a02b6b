"""Services started together on a new store (systemd starts web, LMTP and worker at once) each bring
the schema up to date: one migrates while the others wait for it, and every one of them answers,
instead of all but one dying with "table ... already exists". Real processes on a real store."""

from __future__ import annotations

import subprocess
import sys

from tests.support.databases import store_env, store_rows


def test_three_processes_starting_at_once_on_a_new_store_all_succeed(tmp_path):
    data = tmp_path / "data"
    env = store_env(data, LISTHAVEN_SCHEMA_CACHE="off")  # every one of them would migrate
    commands = [["status"], ["lists"], ["migrate"]]
    processes = [subprocess.Popen([sys.executable, "-m", "listhaven", *argv], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for argv in commands]  # fmt: skip
    outputs = [process.communicate(timeout=300) for process in processes]
    results = [(process.returncode, *output) for process, output in zip(processes, outputs, strict=True)]
    for argv, (code, out, err) in zip(commands, results, strict=True):
        assert code == 0, (argv, out, err)
        assert "already exists" not in err
    assert results[0][1].rstrip().endswith("ok")
    assert store_rows(data, "SELECT count(*) FROM django_migrations")[0][0] > 0
