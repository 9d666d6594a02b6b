"""The whole test suite a second time, on a throwaway PostgreSQL cluster: `python -m tests.postgres.suite
[pytest arguments]` (the second half of `make test`).

It starts a cluster from the machine's PostgreSQL binaries (tests/postgres/cluster.py), runs pytest with
DATABASE_URL pointing at it, and stops the cluster. Tests marked `sqlite_only(reason=...)` and the browser
tests are skipped there (tests/conftest.py). Without PostgreSQL binaries it says so and fails, unless
LISTHAVEN_TEST_POSTGRES=skip asks to leave this run out.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.postgres.cluster import find_binary, running_cluster

REPO = Path(__file__).resolve().parents[2]


def main(argv: list[str]) -> int:
    if os.environ.get("LISTHAVEN_TEST_POSTGRES") == "skip":
        print("PostgreSQL run left out (LISTHAVEN_TEST_POSTGRES=skip)")
        return 0
    if not find_binary("initdb"):
        print("!!! no PostgreSQL server installed (initdb not found): the PostgreSQL run cannot start", file=sys.stderr)
        return 2
    with running_cluster() as url:
        print(f"Running the suite again on PostgreSQL ({url})", flush=True)
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *argv]
        return subprocess.run(command, cwd=REPO, env=dict(os.environ, DATABASE_URL=url), check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
