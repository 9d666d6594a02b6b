"""Whole-process times of the `listhaven` query commands beside `mu find` and `notmuch search`.

    .venv/bin/python bench/cli_bench.py --data-dir DIR_WITH_LTP [--muhome DIR] [--runs 15]
    # = make bench BENCH_ARGS=cli (the ltp store of the `store` part, mu's index of import-kernel)

Each round runs every command once, in the same order, so a busy minute slows them all alike;
after one untimed round (caches warm), --runs rounds are timed. For each command: the median and
p90 wall time in ms, the median CPU time (user + system) of the process, and the median of the
per-round ratio to `mu find` (wall). Commands:

    listhaven --help
    listhaven --data-dir DIR lists | stats ltp | threads ltp
    listhaven --data-dir DIR search ltp fanotify          (a table, as a person reads it)
    listhaven --data-dir DIR search ltp fanotify --json   (with URLs: loads the URL map)
    mu find --muhome MUHOME fanotify                      (when mu and its index are there)
    notmuch search fanotify                               (NOTMUCH_CONFIG, when set up)

The package's bytecode is compiled first (`python -m compileall`), as an installed package has it:
with PYTHONDONTWRITEBYTECODE set and no .pyc, every run would compile each module it imports.

mu's index: `../shared/peers/native-peers.sh ltp.mbox full convert mu` (PEERWORK=...), muhome
$PEERWORK/full/mu. Budgets (issue 14): the four query commands < 150 ms, --help < 100 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

PY = sys.executable
QUERY = "fanotify"


def commands(data_dir: str, muhome: str | None) -> dict[str, list[str]]:
    listhaven = [PY, "-m", "listhaven"]
    found = {
        "listhaven --help": [*listhaven, "--help"],
        "listhaven lists": [*listhaven, "--data-dir", data_dir, "lists"],
        "listhaven stats ltp": [*listhaven, "--data-dir", data_dir, "stats", "ltp"],
        "listhaven threads ltp": [*listhaven, "--data-dir", data_dir, "threads", "ltp"],
        f"listhaven search ltp {QUERY}": [*listhaven, "--data-dir", data_dir, "search", "ltp", QUERY],
        f"listhaven search ltp {QUERY} --json": [*listhaven, "--data-dir", data_dir, "search", "ltp", QUERY, "--json"],
    }
    if muhome and shutil.which("mu") and Path(muhome).is_dir():
        found[f"mu find {QUERY}"] = ["mu", "find", f"--muhome={muhome}", QUERY]
    if shutil.which("notmuch") and os.environ.get("NOTMUCH_CONFIG"):
        found[f"notmuch search {QUERY}"] = ["notmuch", "search", QUERY]
    return found


def run_once(argv: list[str]) -> tuple[float, float]:
    """(wall ms, CPU ms of the child) of one whole process; output discarded."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = (time.perf_counter() - started) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", required=True, help="a Listhaven store holding the ltp list")
    parser.add_argument("--muhome", default=None, help="mu's index of the same corpus")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    table = commands(args.data_dir, args.muhome)
    package = Path(__file__).resolve().parents[1] / "src" / "listhaven"
    subprocess.run([PY, "-m", "compileall", "-q", str(package)], check=True, stdout=subprocess.DEVNULL)
    timings: dict[str, list[tuple[float, float]]] = {name: [] for name in table}
    load = []
    for round_number in range(args.runs + 1):
        load.append(float(Path("/proc/loadavg").read_text().split()[0]))
        for name, argv in table.items():
            measured = run_once(argv)
            if round_number:  # the first round warms the page cache and .pyc files
                timings[name].append(measured)
    mu = next((name for name in table if name.startswith("mu ")), None)
    results = {}
    print(f"{args.runs} rounds, load average {min(load):.1f}-{max(load):.1f}")
    print(f"{'command':<40} {'wall ms':>8} {'p90':>7} {'CPU ms':>7} {'x mu':>6}")
    for name, runs in timings.items():
        walls = sorted(w for w, _ in runs)
        ratio = statistics.median(w / m for (w, _), (m, _) in zip(runs, timings[mu])) if mu else None
        results[name] = {
            "wall_ms_median": round(statistics.median(walls), 1),
            "wall_ms_p90": round(walls[max(0, int(len(walls) * 0.9) - 1)], 1),
            "cpu_ms_median": round(statistics.median(c for _, c in runs), 1),
            "ratio_to_mu": round(ratio, 2) if ratio else None,
        }
        r = results[name]
        print(f"{name:<40} {r['wall_ms_median']:>8} {r['wall_ms_p90']:>7} {r['cpu_ms_median']:>7} "
              f"{r['ratio_to_mu'] if r['ratio_to_mu'] else '':>6}")
    print(json.dumps({"load": [min(load), max(load)], "commands": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
