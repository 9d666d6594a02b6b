"""Import speed of Listhaven beside mu, on the kernel list and on ltp, measured in the same run.

    .venv/bin/python bench/peers_import.py [--rounds 3] [--corpus linux-pm-10k.mbox.zst ...]
    # = make bench BENCH_ARGS=import-kernel

Each round runs, back to back on the same corpus:

- Listhaven: `/usr/bin/time -v listhaven --data-dir DIR import LIST CORPUS.mbox.zst --create --json`
  into a fresh store (reading the zstd-compressed mbox, parsing, threads, the search index).
- mu: `../shared/peers/native-peers.sh CORPUS.mbox TAG mu`, i.e. `mu init` + `mu index` timed by
  `/usr/bin/time -v` on a hard-linked copy of a Maildir made from the same mbox (the conversion,
  done once per corpus by the script's `convert` stage, is not counted for mu).

The machine has 2 cores shared with other work, so absolute times drift by tens of percent
between minutes; the ratio of two runs made one after the other drifts much less. The table gives,
per corpus, the median of each side's wall time, CPU seconds and peak RSS, and the median of the
per-round ratios mu wall / Listhaven wall, with the load average seen before each round.
mu missing: `../shared/peers/native-peers.sh FILE TAG install` (Debian, root) installs it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPORA = (REPO / ".." / "shared" / "corpora").resolve()
PEERS = (REPO / ".." / "shared" / "peers").resolve()
PY = sys.executable
# corpus file -> (list address, native-peers.sh tag)
CORPUS_LISTS = {
    "linux-pm-10k.mbox.zst": ("linux-pm@vger.kernel.org", "pm"),
    "ltp.mbox.zst": ("ltp@lists.linux.it", "full"),
}


def gnu_time(report: str) -> dict[str, float]:
    """wall_s, cpu_s and peak_rss_mb from a `/usr/bin/time -v` report."""
    def field(pattern: str) -> str:
        match = re.search(pattern, report)
        if match is None:
            raise ValueError(f"no {pattern!r} in the time report")
        return match.group(1)

    wall = [float(p) for p in field(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)").split(":")]
    return {
        "wall_s": round(sum(v * 60 ** i for i, v in enumerate(reversed(wall))), 2),
        "cpu_s": round(float(field(r"User time \(seconds\): ([\d.]+)")) + float(field(r"System time \(seconds\): ([\d.]+)")), 2),
        "peak_rss_mb": round(int(field(r"Maximum resident set size \(kbytes\): (\d+)")) / 1024, 1),
    }


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def warm_schema_cache(work: Path) -> None:
    """Not timed: one command on a throwaway store, so the schema cache holds this code version's
    snapshot and every timed round's new store is made as an operator's would be after the first
    (site/schema_snapshot.py); without it the first round alone would replay the migrations."""
    throwaway = work / "schema-warm-up"
    shutil.rmtree(throwaway, ignore_errors=True)
    subprocess.run([PY, "-m", "listhaven", "--data-dir", str(throwaway), "lists", "--json"],
                   capture_output=True, check=True)
    shutil.rmtree(throwaway, ignore_errors=True)


def run_listhaven(corpus: Path, address: str, work: Path, keep: bool = False) -> dict[str, object]:
    data = work / ("listhaven-" + corpus.name.split(".")[0])
    shutil.rmtree(data, ignore_errors=True)
    cmd = ["/usr/bin/time", "-v", PY, "-m", "listhaven", "--data-dir", str(data), "import", address, str(corpus),
           "--create", "--json"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    summary = json.loads(done.stdout)[0]
    if not keep:
        shutil.rmtree(data, ignore_errors=True)
    return {**gnu_time(done.stderr), "read": summary["read"], "stored": summary["stored"],
            "duplicates": summary["duplicates"], "quarantined": summary["quarantined"]}


def mbox_for(corpus: Path, work: Path) -> Path:
    """The plain mbox of a compressed corpus (native-peers.sh reads an uncompressed file)."""
    plain = work / corpus.name.removesuffix(".zst")
    if not plain.exists():
        with plain.open("wb") as out:
            subprocess.run(["zstd", "-q", "-d", "-c", str(corpus)], stdout=out, check=True)
    return plain


def run_mu(mbox: Path, tag: str, peerwork: Path, keep: bool = False) -> dict[str, object]:
    env = dict(os.environ, PEERWORK=str(peerwork))
    script = str(PEERS / "native-peers.sh")
    if not (peerwork / tag / "maildir").is_dir():
        subprocess.run([script, str(mbox), tag, "convert"], env=env, check=True, capture_output=True)
    subprocess.run([script, str(mbox), tag, "mu"], env=env, check=True, capture_output=True)
    figures: dict[str, object] = dict(gnu_time((peerwork / tag / "time-mu-index.txt").read_text()))
    last = (peerwork / tag / "results.tsv").read_text().splitlines()[-1].split("\t")
    figures["messages"] = int(last[7])
    if not keep:
        shutil.rmtree(peerwork / tag / "mu", ignore_errors=True)
        shutil.rmtree(peerwork / tag / "md-mu", ignore_errors=True)
    return figures


def bench_corpus(name: str, rounds: int, work: Path, keep: bool = False) -> dict[str, object]:
    corpus = CORPORA / name
    if not corpus.exists():
        return {"skipped": f"{corpus} not found"}
    address, tag = CORPUS_LISTS[name]
    with_mu = shutil.which("mu") is not None
    mbox = mbox_for(corpus, work) if with_mu else None
    rows = []
    warm_schema_cache(work)
    for n in range(rounds):
        last = keep and n == rounds - 1
        row: dict[str, object] = {"load": load_average(), "listhaven": run_listhaven(corpus, address, work, last)}
        if mbox is not None:
            row["mu"] = run_mu(mbox, tag, work / "peers", last)
            row["ratio"] = round(float(row["mu"]["wall_s"]) / float(row["listhaven"]["wall_s"]), 2)  # type: ignore[index]
        rows.append(row)
        print(f"  {name} round {n + 1}: {_describe(row)}", flush=True)
    return {"rounds": rows, "median": _medians(rows)}


def _describe(row: dict) -> str:
    lh = row["listhaven"]
    text = (f"load {row['load']:.1f}; Listhaven {lh['wall_s']:.1f} s wall, {lh['cpu_s']:.1f} CPU s, "
            f"{lh['peak_rss_mb']:.0f} MB, {lh['read']} read / {lh['stored']} stored")
    if "mu" in row:
        mu = row["mu"]
        text += (f"; mu {mu['wall_s']:.1f} s wall, {mu['cpu_s']:.1f} CPU s, {mu['peak_rss_mb']:.0f} MB, "
                 f"{mu['messages']} messages; mu/Listhaven {row['ratio']:.2f}x")
    return text


def _medians(rows: list[dict]) -> dict[str, object]:
    out: dict[str, object] = {}
    for side in ("listhaven", "mu"):
        if all(side in r for r in rows):
            out[side] = {k: statistics.median(r[side][k] for r in rows) for k in ("wall_s", "cpu_s", "peak_rss_mb")}
    if all("ratio" in r for r in rows):
        out["ratio"] = statistics.median(r["ratio"] for r in rows)
        out["ratio_range"] = [min(r["ratio"] for r in rows), max(r["ratio"] for r in rows)]
    return out


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--corpus", action="append", choices=sorted(CORPUS_LISTS), help="default: both")
    parser.add_argument("--dir", default=os.environ.get("BENCH_DIR", "/tmp/listhaven-bench"))
    parser.add_argument("--keep", action="store_true",
                        help="keep the last round's store (DIR/import-kernel/listhaven-CORPUS) and mu index "
                             "(DIR/import-kernel/peers/TAG/mu), for bench/cli_bench.py")
    args = parser.parse_args(argv)
    work = Path(args.dir) / "import-kernel"
    work.mkdir(parents=True, exist_ok=True)
    if shutil.which("mu") is None:
        print("mu is not installed: Listhaven alone is timed "
              f"(install it with {PEERS / 'native-peers.sh'} FILE TAG install)", file=sys.stderr)
    results: dict[str, object] = {"date": time.strftime("%Y-%m-%d %H:%M"), "cores": os.cpu_count()}
    for name in args.corpus or list(CORPUS_LISTS):
        results[name] = bench_corpus(name, args.rounds, work, args.keep)
        print(f"{name}: median {json.dumps(results[name].get('median', results[name]))}", flush=True)  # type: ignore[union-attr]
    return results


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
