"""`make bench`: every benchmark in one run, figures printed and written to bench/results/.

    .venv/bin/python bench/run.py [import|import-kernel|cli|store|pages|search|export|compose|members|manage|delivery|digests|erasure|scale|all] [--dir DIR] [--extra N] [--messages N]

import  imports ../shared/corpora/ltp.mbox.zst into a fresh store under /usr/bin/time -v:
        messages/s (wall, including the search index), CPU seconds, peak RSS.
import-kernel  bench/peers_import.py: the kernel list (linux-pm-10k.mbox.zst) and ltp imported by
        Listhaven and indexed by mu, back to back, 3 rounds each; medians and the mu/Listhaven ratio.
        --corpus ltp.mbox.zst: one corpus only; --rounds N.
cli     bench/cli_bench.py: whole-process times of `listhaven lists|stats|threads|search` and --help
        beside `mu find`, on the ltp store and mu index that import-kernel keeps.
store   builds the large store: the ltp corpus plus N generated messages (default 165,000) in the
        demo lists, >= 200,000 messages in all (reused when it exists).
pages   server time of the message page, a ~200-message thread, a month index and the list
        overview on the large store (Django's test client in-process, so it is the server's time
        only), and requests/s with wrk on 127.0.0.1 when wrk is installed (apt-get install wrk),
        rendered and from the page cache.
pages-peer  bench/peer_pages.py: the first 5,000 messages of ltp in HyperKitty (../shared/peers/hyperkitty-*.sh)
        and in Listhaven, wrk -t2 -c8 on the same message page (cached, rendered, 304), thread, month, overview.
search  bench/search_bench.py on the large store.
export  bench/export_bench.py on the large store (whole-list mbox export, API latency).
members bench/members_bench.py: member pages' server time with 100,000 members.
erasure bench/erasure_bench.py: erase-address (hide, anonymise, purge) on a list of 100,000 members and 20,000 messages
manage  bench/manage_bench.py: owners' pages (members, held queue, settings) with 100,000 members and 1,000 held
        posts; mass subscribe of 10,000 addresses.
digests bench/digest_bench.py: one digest issue for 10,000 digest members, each format built once.
compose bench/compose_bench.py: decoration, personalisation, DKIM signing and digests per CPU second.
scale   bench/scale_bench.py (not in `all`): --messages N (default 1,000,000) generated in 10 lists, on
        SQLite and PostgreSQL (--database sqlite|postgres|both): import rate, disk per message, page and
        search latency, whole-list export; --step generate|import|measure|all to build once and measure
        again (the stores stay in DIR/scale).
delivery bench/delivery_bench.py: 1,000 members x 20 posts in over LMTP, personalised and bulk, out to a
        counting SMTP sink on loopback (deliveries/s, LMTP 250 -> first/last copy, worker CPU and RSS),
        and the first copy of a post to 10,000 members. Mailman 3 beside it: BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = (REPO / ".." / "shared" / "corpora" / "ltp.mbox.zst").resolve()
PY = sys.executable
RESULTS = REPO / "bench" / "results"
LTP = "ltp@lists.linux.it"


def listhaven(data: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([PY, "-m", "listhaven", "--data-dir", str(data), *args], check=True, **kwargs)


def timed(cmd: list[str]) -> tuple[str, dict[str, float]]:
    """Runs cmd under GNU time -v; returns its stdout and the figures time printed."""
    result = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True, check=True)
    figures = {}
    for key, pattern in (
        ("user_s", r"User time \(seconds\): ([\d.]+)"),
        ("sys_s", r"System time \(seconds\): ([\d.]+)"),
        ("peak_rss_mb", r"Maximum resident set size \(kbytes\): (\d+)"),
        ("wall", r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)"),
    ):
        match = re.search(pattern, result.stderr)
        if match:
            figures[key] = match.group(1)
    figures["peak_rss_mb"] = round(int(figures["peak_rss_mb"]) / 1024, 1)
    parts = [float(p) for p in str(figures["wall"]).split(":")]
    figures["wall_s"] = sum(v * 60 ** i for i, v in enumerate(reversed(parts)))
    del figures["wall"]
    return result.stdout, figures


def bench_import(base: Path) -> dict:
    if not CORPUS.exists():
        return {"skipped": f"{CORPUS} not found"}
    data = base / "import"
    shutil.rmtree(data, ignore_errors=True)
    cmd = [PY, "-m", "listhaven", "--data-dir", str(data), "import", LTP, str(CORPUS), "--create", "--json"]
    stdout, figures = timed(cmd)
    summary = json.loads(stdout)[0]
    result = {
        "command": "/usr/bin/time -v " + " ".join(["listhaven", "--data-dir", "DIR", "import", LTP, "ltp.mbox.zst", "--create"]),
        "read": summary["read"], "stored": summary["stored"], "duplicates": summary["duplicates"],
        "quarantined": summary["quarantined"],
        "messages_per_s_wall": round(summary["read"] / figures["wall_s"]),
        "cpu_s": round(float(figures["user_s"]) + float(figures["sys_s"]), 1),
        **figures,
    }
    print(f"import: {result['read']} messages in {figures['wall_s']:.1f} s = {result['messages_per_s_wall']}/s wall, "
          f"{result['cpu_s']} CPU s, peak RSS {figures['peak_rss_mb']} MB")
    return result


def build_store(base: Path, extra: int) -> Path:
    data = base / "large"
    marker = data / f".built-{extra}"
    if marker.exists():
        return data
    shutil.rmtree(data, ignore_errors=True)
    started = time.monotonic()
    if CORPUS.exists():
        listhaven(data, "import", LTP, str(CORPUS), "--create", "--json", stdout=subprocess.DEVNULL)
    demo = base / "demo-mbox"
    shutil.rmtree(demo, ignore_errors=True)
    listhaven(data, "demo-data", str(demo), "--messages", str(extra), stdout=subprocess.DEVNULL)
    from listhaven.demo.messages import DEMO_LISTS

    for mbox in sorted(demo.glob("*.mbox")):
        address = _demo_address(mbox.stem)
        listhaven(data, "import", address, str(mbox), "--create", "--json", stdout=subprocess.DEVNULL)
    shutil.rmtree(demo, ignore_errors=True)
    big = base / "big-thread.mbox"
    write_big_thread(big, 200)
    listhaven(data, "import", DEMO_LISTS[0].address, str(big), "--json", stdout=subprocess.DEVNULL)
    marker.touch()
    print(f"store: built in {time.monotonic() - started:.0f} s at {data}")
    return data


def write_big_thread(path: Path, size: int) -> None:
    """One thread of `size` messages (the generated lists hold none that long), each quoting its
    parent, replies spread over several branches and depths."""
    import random
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    from listhaven.mail.mboxwrite import write_mboxrd

    rng = random.Random(200)
    start = datetime(2020, 6, 1, 9, 0, tzinfo=UTC)
    ids: list[str] = []
    refs: dict[str, list[str]] = {}
    messages = []
    for n in range(size):
        msgid = f"big-thread-{n}@bench.example.org"
        parent = ids[max(0, len(ids) - 1 - int(rng.expovariate(0.3)))] if ids else None
        chain = [*refs[parent], parent] if parent else []
        refs[msgid] = chain
        ids.append(msgid)
        body = "".join(f"> line {i} of the message this one answers\n" for i in range(6)) if parent else ""
        body += "".join(f"Paragraph {p} of reply {n}: the queue drains in order, the test agrees.\n" for p in range(12))
        headers = [
            f"From: Poster {n % 17} <poster{n % 17}@bench.example.org>",
            f"Subject: {'Re: ' if parent else ''}[Harbour-dev] The long benchmark thread",
            f"Date: {format_datetime(start + timedelta(minutes=7 * n))}",
            f"Message-ID: <{msgid}>",
        ]
        if parent:
            headers += [f"In-Reply-To: <{parent}>", "References: " + " ".join(f"<{r}>" for r in chain)]
        messages.append(("\n".join(headers) + "\n\n" + body).encode())
    with path.open("wb") as out:
        write_mboxrd(((raw, None) for raw in messages), out)


def _demo_address(name: str) -> str:
    sys.path.insert(0, str(REPO / "src"))
    from listhaven.demo.messages import DEMO_LISTS

    return next(spec.address for spec in DEMO_LISTS if spec.name == name)


def bench_pages(data: Path) -> dict:
    out = subprocess.run(
        [PY, str(REPO / "bench" / "pages_bench.py")],
        env=dict(os.environ, LISTHAVEN_DATA=str(data)), capture_output=True, text=True, check=True,
    )
    print(out.stdout, end="")
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_script(script: str, data: Path, *args: str) -> dict:
    out = subprocess.run(
        [PY, str(REPO / "bench" / script), *args],
        env=dict(os.environ, LISTHAVEN_DATA=str(data)), capture_output=True, text=True, check=False,
    )
    print(out.stdout, end="")
    if out.returncode:
        print(out.stderr[-2000:], file=sys.stderr)
    return {"output": out.stdout, "returncode": out.returncode}


def bench_script_argv(script: str, *args: str) -> dict:
    out = subprocess.run([PY, str(REPO / "bench" / script), *args], capture_output=True, text=True, check=False)
    print(out.stdout, end="")
    if out.returncode:
        print(out.stderr[-2000:], file=sys.stderr)
    return {"output": out.stdout, "returncode": out.returncode}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", nargs="?", default="all",
                        choices=["import", "import-kernel", "cli", "store", "pages", "pages-peer", "search", "export", "compose", "members", "manage",
                                 "delivery", "digests", "erasure", "scale", "all"])
    parser.add_argument("--dir", default=os.environ.get("BENCH_DIR", "/tmp/listhaven-bench"))
    parser.add_argument("--extra", type=int, default=165_000, help="generated messages added to the large store")
    parser.add_argument("--messages", type=int, default=1_000_000, help="scale: generated messages in 10 lists")
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both", help="scale: which")
    parser.add_argument("--corpus", action="append", default=[],
                        help="import-kernel: only this corpus (linux-pm-10k.mbox.zst or ltp.mbox.zst; repeatable)")
    parser.add_argument("--rounds", type=int, default=3, help="import-kernel: rounds per corpus")
    parser.add_argument("--step", choices=("generate", "import", "measure", "all"), default="all",
                        help="scale: one step on what an earlier run left in DIR/scale (see bench/scale_bench.py)")
    args = parser.parse_args()
    base = Path(args.dir)
    base.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    results: dict[str, object] = {"date": time.strftime("%Y-%m-%d %H:%M"), "cores": os.cpu_count()}
    if args.what in ("import", "all"):
        results["import"] = bench_import(base)
    if args.what in ("import-kernel", "all"):
        sys.path.insert(0, str(REPO / "bench"))
        import peers_import

        chosen = [arg for name in args.corpus for arg in ("--corpus", name)]
        results["import-kernel"] = peers_import.main(["--dir", str(base), "--keep", "--rounds", str(args.rounds), *chosen])
    if args.what in ("cli", "all"):
        kept = base / "import-kernel"
        results["cli"] = bench_script_argv(
            "cli_bench.py", "--data-dir", str(kept / "listhaven-ltp"), "--muhome", str(kept / "peers" / "full" / "mu"))
    if args.what in ("store", "pages", "search", "export", "all"):
        data = build_store(base, args.extra)
        if args.what in ("pages", "all"):
            results["pages"] = bench_pages(data)
        if args.what in ("search", "all"):
            results["search"] = bench_script("search_bench.py", data)
        if args.what in ("export", "all"):
            results["export"] = bench_script("export_bench.py", data, "ltp", "--api", "200")
    if args.what in ("pages-peer", "all"):
        sys.path.insert(0, str(REPO / "bench"))
        import peer_pages

        results["pages-peer"] = peer_pages.main(["--dir", str(base / "peer-pages")])
    if args.what in ("compose", "all"):
        results["compose"] = bench_script("compose_bench.py", base)
    if args.what in ("delivery", "all"):
        results["delivery"] = bench_script_argv("delivery_bench.py")
    if args.what in ("manage", "all"):
        results["manage"] = bench_script("manage_bench.py", base / "manage")
    if args.what in ("members", "all"):
        results["members"] = bench_script("members_bench.py", base / "members")
    if args.what in ("digests", "all"):
        results["digests"] = bench_script("digest_bench.py", base / "digests")
    if args.what in ("erasure", "all"):
        (base / "erasure").mkdir(parents=True, exist_ok=True)
        results["erasure"] = bench_script("erasure_bench.py", base / "erasure")
    if args.what == "scale":  # not in "all": hours at the full size
        sys.path.insert(0, str(REPO / "bench"))
        import scale_bench

        results["scale"] = scale_bench.main(
            ["--messages", str(args.messages), "--dir", str(base / "scale"), "--database", args.database,
             "--step", args.step])
    target = RESULTS / f"{args.what}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    target.write_text(json.dumps(results, indent=2))
    print(f"results written to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
