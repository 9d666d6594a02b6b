"""A site at scale: N generated messages (default 1,000,000) in 10 lists, on SQLite and on PostgreSQL.

    .venv/bin/python bench/scale_bench.py [--messages N] [--dir DIR] [--database sqlite|postgres|both]

For each database: the mail is generated once (listhaven.demo.messages, one mbox per list), imported
with `listhaven import` (messages/s, wall), then measured: disk per message (the SQLite file with its
WAL, or pg_database_size), page server time (bench/pages_bench.py on the first list), search latency
(bench/search_bench.py over all lists), and a whole-list export of the first list (`listhaven export`,
messages/s). PostgreSQL is a throwaway cluster from the machine's binaries (tests/postgres/cluster.py, fsync
on, as SQLite commits with synchronous=FULL) unless DATABASE_URL names one. Not part of `make test`: `make bench BENCH_ARGS="scale --messages N"`.
The last line printed is the JSON of all figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable
LISTS = 10


def list_specs() -> list:
    from listhaven.demo.engine import ListSpec

    return [
        ListSpec(f"scale-{n:02d}", f"scale-{n:02d}@lists.example.org", f"Generated list {n} of the scale benchmark",
                 f"[Scale-{n:02d}]")
        for n in range(LISTS)
    ]  # fmt: skip


def generate(directory: Path, count: int) -> list[tuple[str, Path, int]]:
    """One mbox per list; reused when a previous run wrote the same count."""
    from listhaven.demo.messages import generate_messages
    from listhaven.mail.mboxwrite import write_mboxrd

    specs = list_specs()
    done = directory / f".generated-{count}"
    paths = {s.address: directory / f"{s.name}.mbox" for s in specs}
    if not done.exists():
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        handles = {a: p.open("wb") for a, p in paths.items()}
        try:
            for spec, raw in generate_messages(specs, count, seed=1_000_000):
                write_mboxrd([(raw, None)], handles[spec.address])
        finally:
            for handle in handles.values():
                handle.close()
        done.touch()
    return [(a, p, p.stat().st_size) for a, p in paths.items()]


def run(data: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PY, "-m", "listhaven", "--data-dir", str(data), *args], env=env, capture_output=True,
                          text=True, check=True)  # fmt: skip


def disk_bytes(data: Path, env: dict[str, str]) -> int:
    if "DATABASE_URL" not in env:
        return sum(p.stat().st_size for p in data.glob("listhaven.sqlite3*"))
    import psycopg

    with psycopg.connect(env["DATABASE_URL"]) as db:
        return int(db.execute("SELECT pg_database_size(current_database())").fetchone()[0])


def script(name: str, env: dict[str, str], *args: str) -> str:
    out = subprocess.run([PY, str(REPO / "bench" / name), *args], env=env, capture_output=True, text=True, check=False)
    if out.returncode:
        print(out.stderr[-2000:], file=sys.stderr)
    return out.stdout


def measure(label: str, data: Path, env: dict[str, str], mboxes: list[tuple[str, Path, int]]) -> dict:
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    env = {**env, "LISTHAVEN_DATA": str(data)}
    run(data, env, "migrate")
    started, stored = time.monotonic(), 0
    for address, path, _ in mboxes:
        summary = json.loads(run(data, env, "import", address, str(path), "--create", "--json").stdout)[0]
        stored += summary["stored"]
    wall = time.monotonic() - started
    figures: dict[str, object] = {"stored": stored, "import_s": round(wall, 1),
                                  "import_messages_per_s": round(stored / wall)}  # fmt: skip
    figures["disk_bytes_per_message"] = round(disk_bytes(data, env) / max(1, stored))
    print(f"{label}: {stored:,} messages imported in {wall:.0f} s = {figures['import_messages_per_s']}/s; "
          f"{figures['disk_bytes_per_message']:,} bytes of store per message", flush=True)
    first = mboxes[0][0].split("@")[0]
    pages = script("pages_bench.py", env, "--list", first, "--runs", "30")
    figures["pages"] = json.loads(pages.strip().splitlines()[-1]) if pages.strip() else None
    print(pages, end="", flush=True)
    figures["search"] = script("search_bench.py", env, "--data-dir", str(data), "--runs", "20")
    print(figures["search"], end="", flush=True)
    started = time.monotonic()
    run(data, env, "export", first, "-o", str(data / "export.mbox"))
    exported = sum(1 for line in (data / "export.mbox").open("rb") if line.startswith(b"From "))
    took = time.monotonic() - started
    figures["export"] = {"messages": exported, "s": round(took, 1), "messages_per_s": round(exported / took)}
    print(f"{label}: whole-list export of {first}: {exported:,} messages in {took:.1f} s", flush=True)
    (data / "export.mbox").unlink()
    return figures


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--dir", default=os.environ.get("BENCH_DIR", "/tmp/listhaven-bench"))
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO / "src"))
    sys.path.insert(0, str(REPO))
    base = Path(args.dir) / "scale"
    mboxes = generate(base / f"mbox-{args.messages}", args.messages)
    print(f"generated {args.messages:,} messages in {LISTS} lists ({sum(s for *_, s in mboxes) / 1e6:.0f} MB of mbox)")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    results: dict[str, object] = {"messages": args.messages, "lists": LISTS}
    if args.database in ("sqlite", "both"):
        results["sqlite"] = measure("SQLite", base / "sqlite", env, mboxes)
    if args.database in ("postgres", "both"):
        with ExitStack() as stack:
            url = os.environ.get("DATABASE_URL")
            if not url:
                from tests.postgres.cluster import running_cluster

                url = stack.enter_context(running_cluster(durable=True))
            results["postgres"] = measure("PostgreSQL", base / "postgres", {**env, "DATABASE_URL": url}, mboxes)
    print(json.dumps(results))
    return results


if __name__ == "__main__":
    main()
