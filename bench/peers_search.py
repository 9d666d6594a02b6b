"""Search latency of Listhaven beside notmuch: same corpus, same queries, same machine.

    PEERWORK=/tmp/listhaven-peers LISTHAVEN_DATA=/tmp/ltp1 .venv/bin/python bench/peers_search.py [--runs 5]

The queries are those of bench/search_bench.py, each written in notmuch's syntax as well (a query
notmuch cannot express is marked and only Listhaven is timed). Each command gets one untimed
warm-up run, then --runs timed runs; the table gives the median and the nearest-rank p95 of the
wall time in milliseconds (with 5 runs, p95 is the slowest run).

- notmuch: `notmuch count QUERY` and `notmuch search --output=messages --limit=20 QUERY` (the
  first page of message ids; for the grouped query, `--output=summary`, i.e. threads), each a
  whole process. Its index is the one native-peers.sh builds: NOTMUCH_CONFIG defaults to
  $PEERWORK/full/notmuch/config.
- Listhaven CLI: `listhaven --data-dir DIR search LIST QUERY --json --limit 20`, a whole process
  like the notmuch CLI (interpreter and Django start-up included); one call both counts and
  returns the first page, with highlighted subjects and snippets.
- Listhaven service: `listhaven.archive.search.search(...)` in this process, as search_bench.py
  times it (the server's share of a search page).

Hit counts are printed for both sides so that differences of meaning show: tokenisation (notmuch
keeps `safe_fanotify_init` as one word), phrase and prefix rules, Listhaven's count cap of 10,000.
notmuch sorts by date only; Listhaven's relevance queries are ranked. Both run with TZ=UTC, so a
date range means the same days on each side.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

from search_bench import QUERIES, percentile  # noqa: E402

T = TypeVar("T")

# Listhaven query text -> the same question for notmuch. Free words are ANDed by both; notmuch
# wants AND NOT where Listhaven takes `-word`. notmuch rounds the end of a range up to the whole
# period it names (as Listhaven does), but the day forms leave no doubt. None: cannot be said.
NOTMUCH_QUERIES: dict[str, str | None] = {
    "test": "test",
    "fanotify": "fanotify",
    '"memory leak"': '"memory leak"',
    "from:cyril": "from:cyril",
    "subject:mmap": "subject:mmap",
    "date:2019-01..2019-06": "date:2019-01-01..2019-06-30",
    "patch date:2019-01..2019-06": "patch AND date:2019-01-01..2019-06-30",
    "fano*": "fano*",
    "(mmap OR munmap) -hugepage": "(mmap OR munmap) AND NOT hugepage",
    'from:cyril subject:"fix" date:2019..2020': "from:cyril AND subject:fix AND date:2019-01-01..2020-12-31",
    "mmap": "mmap",
}


@dataclass
class Timing:
    """Wall times of one command in milliseconds (warm-up excluded)."""

    times: list[float] = field(default_factory=list)

    def cell(self) -> str:
        if not self.times:
            return "–"
        return f"{percentile(self.times, 50):.1f} / {percentile(self.times, 95):.1f}"


@dataclass
class Row:
    label: str
    listhaven_query: str
    notmuch_query: str | None
    listhaven_hits: str = ""
    listhaven_total: int = 0
    notmuch_hits: str = ""
    nm_count: Timing = field(default_factory=Timing)
    nm_search: Timing = field(default_factory=Timing)
    lh_cli: Timing = field(default_factory=Timing)
    lh_service: Timing = field(default_factory=Timing)


def timed(fn: Callable[[], T], runs: int) -> tuple[Timing, T]:
    """One warm-up call (its result is returned), then `runs` timed calls."""
    first = fn()
    timing = Timing()
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        timing.times.append((time.perf_counter() - start) * 1000)
    return timing, first


def run_process(argv: list[str], env: dict[str, str], capture: bool = False) -> str:
    out = subprocess.PIPE if capture else subprocess.DEVNULL
    done = subprocess.run(argv, env=env, stdout=out, stderr=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout if capture else ""


def notmuch_argvs(query: str, grouped: bool) -> tuple[list[str], list[str]]:
    """The count and the first-page commands; a grouped query counts and lists threads."""
    if grouped:
        return (
            ["notmuch", "count", "--output=threads", query],
            ["notmuch", "search", "--output=summary", "--limit=20", query],
        )
    return (["notmuch", "count", query], ["notmuch", "search", "--output=messages", "--limit=20", query])


def listhaven_argv(cli: str, data_dir: str, list_name: str, text: str, sort: str, grouped: bool) -> list[str]:
    argv = [cli, "--data-dir", data_dir, "search", list_name, text, "--json", "--limit", "20", "--sort", sort]
    return argv + ["--threads"] if grouped else argv


def time_notmuch(row: Row, grouped: bool, env: dict[str, str], runs: int) -> None:
    if row.notmuch_query is None:
        row.notmuch_hits = "cannot express"
        return
    count_argv, search_argv = notmuch_argvs(row.notmuch_query, grouped)
    row.nm_count, counted = timed(lambda: run_process(count_argv, env, capture=True), runs)
    row.nm_search, _ = timed(lambda: run_process(search_argv, env), runs)
    row.notmuch_hits = f"{int(counted.strip()):,}" + (" thr" if grouped else "")


def time_listhaven_cli(row: Row, argv: list[str], env: dict[str, str], runs: int) -> None:
    row.lh_cli, output = timed(lambda: run_process(argv, env, capture=True), runs)
    answer = json.loads(output)
    if answer["total"] != row.listhaven_total:  # the CLI and the service must agree
        row.listhaven_hits += f" (CLI: {answer['total']:,})"


def time_listhaven_service(row: Row, lists: list[Any], sort: str, group: str | None, runs: int) -> None:
    from listhaven.archive.search import search

    def once() -> Any:
        return search(lists, row.listhaven_query, sort=sort, group=group)  # type: ignore[arg-type]

    row.lh_service, results = timed(once, runs)
    row.listhaven_total = results.total
    row.listhaven_hits = results.total_label + (" thr" if group else "")


def listhaven_cli() -> str:
    beside = Path(sys.executable).with_name("listhaven")
    found = str(beside) if beside.exists() else shutil.which("listhaven")
    if not found:
        raise SystemExit("listhaven is not installed beside this python nor on PATH")
    return found


def startup(args: argparse.Namespace, env: dict[str, str]) -> Timing:
    """The CLI's cost before any search: interpreter, Django, opening the store, one small query."""
    argv = [listhaven_cli(), "--data-dir", args.data_dir, "lists"]
    return timed(lambda: run_process(argv, env), args.runs)[0]


def measure(args: argparse.Namespace, env: dict[str, str], lists: list[Any]) -> list[Row]:
    cli = listhaven_cli()
    rows = []
    for label, text, *options in QUERIES:
        sort = options[0] if options else "relevance"
        group = options[1] if len(options) > 1 else None
        row = Row(label, text, NOTMUCH_QUERIES.get(text))
        print(f"  {label}: {text}", file=sys.stderr)
        time_notmuch(row, group == "thread", env, args.runs)
        time_listhaven_service(row, lists, sort, group, args.runs)
        time_listhaven_cli(
            row, listhaven_argv(cli, args.data_dir, args.list, text, sort, group == "thread"), env, args.runs
        )
        rows.append(row)
    return rows


def md(text: str) -> str:
    return "`" + text.replace("|", "\\|") + "`"


def table(rows: list[Row]) -> str:
    head = (
        "| query | Listhaven query | notmuch query | hits Listhaven | hits notmuch "
        "| notmuch count | notmuch search (20) | Listhaven CLI (20) | Listhaven service |"
    )
    lines = [head, "|" + "---|" * 4 + "---:|" * 5]
    for r in rows:
        nm = md(r.notmuch_query) if r.notmuch_query else "–"
        lines.append(
            f"| {r.label} | {md(r.listhaven_query)} | {nm} | {r.listhaven_hits} | {r.notmuch_hits} "
            f"| {r.nm_count.cell()} | {r.nm_search.cell()} | {r.lh_cli.cell()} | {r.lh_service.cell()} |"
        )
    every = {
        name: [t for r in rows for t in getattr(r, name).times]
        for name in ("nm_count", "nm_search", "lh_cli", "lh_service")
    }
    lines.append("| **all queries** | | | | | " + " | ".join(Timing(v).cell() for v in every.values()) + " |")
    return "\n".join(lines)


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("LISTHAVEN_DATA"))
    parser.add_argument("--list", default="ltp", help="the Listhaven list searched (short name)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--peerwork", default=os.environ.get("PEERWORK", "/tmp/listhaven-peers"))
    parser.add_argument("--tag", default="full", help="the corpus tag given to native-peers.sh")
    args = parser.parse_args()
    if not args.data_dir:
        parser.error("give --data-dir or set LISTHAVEN_DATA")
    args.data_dir = str(Path(args.data_dir).resolve())
    return args


def main() -> int:
    args = arguments()
    config = Path(os.environ.get("NOTMUCH_CONFIG") or Path(args.peerwork) / args.tag / "notmuch" / "config")
    if not config.exists():
        raise SystemExit(f"no notmuch config at {config}: run native-peers.sh MBOX {args.tag} convert notmuch")
    env = dict(os.environ, NOTMUCH_CONFIG=str(config), TZ="UTC")
    from listhaven.cli import setup_django

    setup_django(args.data_dir)
    from listhaven.archive.models import Message
    from listhaven.lists.models import MailingList

    lists = [MailingList.objects.get(name=args.list)]
    nm_total = run_process(["notmuch", "count", "*"], env, capture=True).strip()
    nm_version = run_process(["notmuch", "--version"], env, capture=True).strip()
    before = load()
    rows = measure(args, env, lists)
    idle_cli = startup(args, env)
    print(
        f"Listhaven: {Message.objects.filter(mailing_list__in=lists).count():,} messages in {args.list} "
        f"({args.data_dir}); {nm_version}: {int(nm_total):,} messages ({config})"
    )
    print(
        f"{args.runs} timed runs after 1 warm-up; cells: median / p95 wall ms; "
        f"load average before {before}, after {load()}\n"
    )
    print(table(rows))
    print(f"\nListhaven CLI start-up alone (`listhaven --data-dir DIR lists`): {idle_cli.cell()} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
