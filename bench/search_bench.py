"""Search latency: a fixed set of queries, each run 20 times against the store in $LISTHAVEN_DATA
(or --data-dir), through the same `search(...)` the web pages call (count + one page of hits with
snippets), after one warm-up run each. Prints p50/p95 per query and overall, in milliseconds.

    LISTHAVEN_DATA=/path/to/store .venv/bin/python bench/search_bench.py [--runs 20] [--list all]

The budget (DESIGN.md): p95 < 50 ms per query on 200,000 messages.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

QUERIES = [
    ("common word", "test"),
    ("rare word", "fanotify"),
    ("phrase", '"memory leak"'),
    ("from:", "from:cyril"),
    ("subject:", "subject:mmap"),
    ("date range", "date:2019-01..2019-06"),
    ("word + date range", "patch date:2019-01..2019-06"),
    ("prefix*", "fano*"),
    ("boolean", "(mmap OR munmap) -hugepage"),
    ("from: + subject: + date", 'from:cyril subject:"fix" date:2019..2020'),
    ("common word by date", "test", "date"),
    ("threads matching", "mmap", "relevance", "thread"),
]
# For the generated mail of bench/scale_bench.py (listhaven.demo.words: a small vocabulary, so a word
# matches a large part of the archive, the hard case for ranking).
SCALE_QUERIES = [
    ("common word", "parser"),
    ("subject word", "subject:musl"),
    ("phrase", '"test suite"'),
    ("from:", "from:okonkwo"),
    ("date range", "date:2019-03..2019-04"),
    ("word + date range", "compost date:2019-03..2019-04"),
    ("prefix*", "rhubar*"),
    ("boolean", "(slugs OR blight) -rhubarb"),
    ("from: + subject: + date", "from:yilmaz subject:release date:2019..2020"),
    ("common word by date", "parser", "date"),
    ("threads matching", "segfault", "relevance", "thread"),
]


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def server_cpu() -> Callable[[], float] | None:
    """Seconds of CPU used so far by this connection's PostgreSQL server process, where that process
    runs on this machine and its /proc entry can be read; None otherwise (SQLite runs in-process)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    stat = Path(f"/proc/{pid}/schedstat")
    try:
        if Path(f"/proc/{pid}/comm").read_text().strip() != "postgres":
            return None  # a server elsewhere: that pid here is another process, or none
        stat.read_text()
    except OSError:
        return None
    return lambda: int(stat.read_text().split()[0]) / 1e9


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("LISTHAVEN_DATA"))
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--list", default="all", help="a list name, or 'all'")
    parser.add_argument("--queries", choices=("ltp", "scale"), default="ltp",
                        help="the query set: for ltp-like mail, or for scale_bench.py's generated mail")
    parser.add_argument("--cpu", action="store_true",
                        help="time CPU, not the wall clock: this process's (time.process_time) and, on a PostgreSQL "
                             "server on this machine, its server process's (/proc/PID/schedstat); on a loaded machine "
                             "the work itself is what compares")
    args = parser.parse_args()
    if not args.data_dir:
        parser.error("give --data-dir or set LISTHAVEN_DATA")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from listhaven.cli import setup_django

    setup_django(args.data_dir)
    from listhaven.archive.models import Message
    from listhaven.archive.search import search
    from listhaven.lists.models import MailingList

    clock = time.perf_counter
    if args.cpu:
        server = server_cpu()
        clock = (lambda: time.process_time() + server()) if server else time.process_time
        print("CPU time of this process" + (" and of its PostgreSQL server process" if server else ""))
    lists = list(MailingList.objects.all()) if args.list == "all" else [MailingList.objects.get(name=args.list)]
    print(f"{Message.objects.count():,} messages in {len(lists)} list(s); {args.runs} runs per query")
    print(f"{'query':<28} {'hits':>10} {'p50 ms':>8} {'p95 ms':>8}  text")
    everything: list[float] = []
    for label, text, *options in SCALE_QUERIES if args.queries == "scale" else QUERIES:
        sort = options[0] if options else "relevance"
        group = options[1] if len(options) > 1 else None
        times = []
        results = search(lists, text, sort=sort, group=group)  # type: ignore[arg-type]  # warm-up, not counted
        for _ in range(args.runs):
            start = clock()
            results = search(lists, text, sort=sort, group=group)  # type: ignore[arg-type]
            times.append((clock() - start) * 1000)
        everything.extend(times)
        assert results is not None
        print(f"{label:<28} {results.total_label:>10} {percentile(times, 50):8.1f} {percentile(times, 95):8.1f}  {text}")
    print(f"{'overall':<28} {'':>10} {percentile(everything, 50):8.1f} {percentile(everything, 95):8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
