"""A site at scale: N generated messages (default 1,000,000) in 10 lists, on SQLite and on PostgreSQL.

    .venv/bin/python bench/scale_bench.py [--messages N] [--dir DIR] [--database sqlite|postgres|both]
                                          [--step generate|import|measure|all]

Steps (default `all`, in this order; each can be run alone, on what an earlier run left in DIR):
  generate  the mail, once (listhaven.demo.messages, one mbox per list): DIR/mbox-N/; reused when present.
  import    a fresh store per database with `listhaven import` (messages/s, wall, the load average
            sampled every minute into DIR/load.log), then disk per message (the SQLite file with its
            WAL, or pg_database_size). SQLite store: DIR/sqlite-N/; PostgreSQL: DIR/postgres-N/ with
            its cluster in DIR/postgres-N/cluster (initdb once from the machine's binaries, fsync on,
            as SQLite commits with synchronous=FULL; started for the step and stopped after it).
  measure   on the stores the import step left: page server time (bench/pages_bench.py on the
            first list, no wrk; warm, then cold: Django's cache cleared before each request, by wall
            clock and by CPU), search latency (bench/search_bench.py over all lists, its
            --queries scale set), and the whole-list export of the first list (`listhaven export`).
            Short: run it on a quiet machine; redo it after a fix without importing.
Figures are merged into DIR/figures-N.json; the last line printed is the JSON of this run's figures.
Not part of `make test`: `make bench BENCH_ARGS="scale --messages N --step STEP"`.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
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
    done = directory / ".generated"
    paths = {s.address: directory / f"{s.name}.mbox" for s in specs}
    if not done.exists():
        started = time.monotonic()
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
        print(f"generated {count:,} messages in {time.monotonic() - started:.0f} s", flush=True)
    return [(a, p, _size(directory, p)) for a, p in paths.items()]


def _size(directory: Path, path: Path) -> int:
    """The mbox's size, or its parts' once split() has replaced it by them."""
    if path.exists():
        return path.stat().st_size
    return sum(part.stat().st_size for part in directory.glob(f"parts-*/{path.stem}.*.mbox"))


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


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


@contextmanager
def load_log(path: Path, label: str, every: float = 60.0) -> Iterator[list[float]]:
    """Appends `uptime` to `path` every `every` seconds while the block runs; yields the 1-minute
    load averages sampled, so the import rate can be read beside the load it ran under."""
    samples: list[float] = []
    stop = threading.Event()

    def sample() -> None:
        while True:
            line = uptime()
            samples.append(os.getloadavg()[0])
            with path.open("a") as log:
                log.write(f"{label}: {line}\n")
            if stop.wait(every):
                return

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield samples
    finally:
        stop.set()
        thread.join()


def split(directory: Path, mboxes: list[tuple[str, Path, int]], chunks: int) -> list[list[tuple[str, Path]]]:
    """Each list's mbox cut into `chunks` parts of about equal size at message boundaries (once; the
    whole files are then removed). Rounds: part i of every list. The generated dates rise steadily,
    so importing round by round keeps a store stopped at any point shaped like the site at an
    earlier date: every list present, each as far on in time."""
    parts = directory / f"parts-{chunks}"
    if not (parts / ".done").exists():
        shutil.rmtree(parts, ignore_errors=True)
        parts.mkdir()
        for _address, path, size in mboxes:
            with path.open("rb") as source:
                cuts = [0]
                for i in range(1, chunks):
                    source.seek(max(cuts[-1], size * i // chunks))
                    source.readline()
                    while (line := source.readline()) and not line.startswith(b"From "):
                        pass
                    cuts.append(source.tell() - len(line) if line else size)
                cuts.append(size)
                for i, (a, b) in enumerate(itertools.pairwise(cuts)):
                    source.seek(a)
                    with (parts / f"{path.stem}.{i}.mbox").open("wb") as out:
                        remaining = b - a
                        while remaining:
                            block = source.read(min(remaining, 1 << 22))
                            out.write(block)
                            remaining -= len(block)
        (parts / ".done").touch()
        for _, path, _ in mboxes:
            path.unlink()  # the parts hold every byte; disk is the constraint at this size
    return [[(address, parts / f"{path.stem}.{i}.mbox") for address, path, _ in mboxes] for i in range(chunks)]


def import_store(
    label: str, base: Path, data: Path, env: dict[str, str], rounds: list[list[tuple[str, Path]]], fresh: bool
) -> dict:
    """Imports round by round; a part done is noted in data/import.jsonl (stored, seconds, load), so
    a run stopped at any moment resumes (the importer itself resumes a part it was inside)."""
    store = data / "store"
    if fresh:
        shutil.rmtree(data / "store", ignore_errors=True)
        (data / "import.jsonl").unlink(missing_ok=True)
    journal = data / "import.jsonl"
    if not store.exists():
        store.mkdir(parents=True)
    env = {**env, "LISTHAVEN_DATA": str(store)}
    run(store, env, "migrate")
    done = {json.loads(line)["part"] for line in journal.open()} if journal.exists() else set()
    with load_log(base / "load.log", f"{label} import"):
        for parts in rounds:
            for address, path in parts:
                if path.name in done:
                    continue
                load, began, cpu = os.getloadavg()[0], time.monotonic(), cpu_seconds(data)
                summary = json.loads(run(store, env, "import", address, str(path), "--create", "--json").stdout)[0]
                took = time.monotonic() - began
                entry = {"part": path.name, "stored": summary["stored"], "duplicates": summary["duplicates"],
                         "quarantined": summary["quarantined"], "s": round(took, 2),
                         "load_1min": round((load + os.getloadavg()[0]) / 2, 2)}  # fmt: skip
                # CPU seconds of the import process with its parsers, and of the PostgreSQL cluster:
                # the work a part took whatever the load (the wall clock above waits for a core)
                after = cpu_seconds(data)
                entry["cpu_s"] = round(after[0] - cpu[0], 2)
                if after[1] is not None and cpu[1] is not None:
                    entry["server_cpu_s"] = round(after[1] - cpu[1], 2)
                with journal.open("a") as out:
                    out.write(json.dumps(entry) + "\n")
                print(f"{label}: {path.name} {summary['stored']:,} stored at {summary['stored'] / took:.0f}/s "
                      f"({uptime()})", flush=True)  # fmt: skip
    return import_figures(label, store, env, journal)


def cpu_seconds(data: Path) -> tuple[float, float | None]:
    """CPU seconds used so far by this process's finished children (each import with its parser
    processes), and by the PostgreSQL cluster kept in data/cluster when it runs (the postmaster, its
    live processes and those it has reaped); None without one (SQLite, or a DATABASE_URL given)."""
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    mine = children.ru_utime + children.ru_stime
    pidfile = data / "cluster" / "data" / "postmaster.pid"
    try:
        postmaster = int(pidfile.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return mine, None
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile: the postmaster has its time now
        pid, ppid = int(stat.parent.name), int(fields[1])
        if pid == postmaster:
            total += sum(int(f) for f in fields[11:15])  # utime, stime, and those of reaped children
        elif ppid == postmaster:
            total += int(fields[11]) + int(fields[12])
    return mine, total / tick


def import_figures(label: str, store: Path, env: dict[str, str], journal: Path) -> dict:
    entries = [json.loads(line) for line in journal.open()]
    stored = sum(e["stored"] for e in entries)
    seconds = sum(e["s"] for e in entries)
    figures: dict[str, object] = {
        "parts": len(entries), "stored": stored, "import_s": round(seconds, 1),
        "import_messages_per_s": round(stored / max(seconds, 0.001)),
        "quarantined": sum(e["quarantined"] for e in entries),
        "load_1min_mean": round(sum(e["load_1min"] * e["s"] for e in entries) / max(seconds, 0.001), 2),
    }  # fmt: skip
    timed = [e for e in entries if "cpu_s" in e]
    if timed:
        # parts imported since the CPU was noted: milliseconds of CPU per stored message
        stored_timed = max(1, sum(e["stored"] for e in timed))
        figures["cpu_parts"] = len(timed)
        figures["cpu_ms_per_message"] = round(1000 * sum(e["cpu_s"] for e in timed) / stored_timed, 3)
        if all("server_cpu_s" in e for e in timed):
            figures["server_cpu_ms_per_message"] = round(1000 * sum(e["server_cpu_s"] for e in timed) / stored_timed, 3)
    figures["disk_bytes"] = disk_bytes(store, env)
    figures["disk_bytes_per_message"] = round(figures["disk_bytes"] / max(1, stored))  # type: ignore[operator]
    print(f"{label}: {stored:,} messages imported in {seconds:.0f} s = {figures['import_messages_per_s']}/s "
          f"(load mean {figures['load_1min_mean']}); {figures['disk_bytes_per_message']:,} bytes of store per message",
          flush=True)  # fmt: skip
    if timed:
        print(f"{label}: CPU per message over {len(timed)} parts: {figures['cpu_ms_per_message']} ms importing"
              + (f", {figures['server_cpu_ms_per_message']} ms in PostgreSQL" if "server_cpu_ms_per_message" in figures
                 else ""), flush=True)  # fmt: skip
    return figures


def measure(label: str, data: Path, env: dict[str, str], first: str, runs: int) -> dict:
    store = data / "store"
    env = {**env, "LISTHAVEN_DATA": str(store)}
    figures: dict[str, object] = {"load_at_start": uptime()}
    for clock in ("wall", "cpu"):
        # wall: what a reader waits; cpu: this process's own work (on a loaded machine the wall clock
        # mostly measures the queue for a core; on PostgreSQL the server's work is not in it)
        flag = ("--cpu",) if clock == "cpu" else ()
        pages = script("pages_bench.py", env, "--list", first, "--runs", str(runs), "--no-wrk", *flag)
        figures[f"pages_{clock}"] = json.loads(pages.strip().splitlines()[-1]) if pages.strip() else None
        print(f"pages ({clock}):\n{pages}", end="", flush=True)
        search = script("search_bench.py", env, "--data-dir", str(store), "--runs", "20", "--queries", "scale", *flag)
        figures[f"search_{clock}"] = search
        print(f"search ({clock}):\n{search}", end="", flush=True)
    # as in a new process, or just after a new post: what Django's cache kept (a month's order) is made again
    for clock in ("wall", "cpu"):
        flag = ("--cpu",) if clock == "cpu" else ()
        pages = script("pages_bench.py", env, "--list", first, "--runs", str(max(5, runs // 4)), "--no-wrk", "--cold", *flag)
        figures[f"pages_cold_{clock}"] = json.loads(pages.strip().splitlines()[-1]) if pages.strip() else None
        print(f"pages ({clock}, Django's cache cleared before each request):\n{pages}", end="", flush=True)
    started = time.monotonic()
    out = store / "export.mbox"
    run(store, env, "export", first, "-o", str(out))
    took = time.monotonic() - started
    with out.open("rb") as handle:
        exported = sum(1 for line in handle if line.startswith(b"From "))
    figures["export"] = {"messages": exported, "s": round(took, 1), "messages_per_s": round(exported / took),
                         "bytes": out.stat().st_size}  # fmt: skip
    print(f"{label}: whole-list export of {first}: {exported:,} messages in {took:.1f} s", flush=True)
    out.unlink()
    figures["load_at_end"] = uptime()
    return figures


@contextmanager
def postgres(data: Path) -> Iterator[str]:
    """The benchmark's own cluster in data/cluster: made on first use, started here, stopped after."""
    url = os.environ.get("DATABASE_URL")
    if url:
        yield url
        return
    from tests.postgres.cluster import persistent_cluster

    # what an operator would set for a store of this size on a machine of a few GB: buffers for the
    # hot indexes, checkpoints spaced for a bulk import (docs/operations.md)
    settings = ("shared_buffers=512MB", "max_wal_size=4GB", "effective_cache_size=4GB")
    with persistent_cluster(data / "cluster", durable=True, settings=settings) as url:
        yield url


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--dir", default=os.environ.get("BENCH_DIR", "/tmp/listhaven-bench/scale"))
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--step", choices=("generate", "import", "measure", "all"), default="all")
    parser.add_argument("--runs", type=int, default=40, help="requests per page in the measure step")
    parser.add_argument(
        "--parts", type=int, default=5, help="each list's mbox imported in this many parts, round by round"
    )
    parser.add_argument("--fresh", action="store_true", help="import into a new store (default: resume the one in DIR)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO / "src"))
    sys.path.insert(0, str(REPO))
    base = Path(args.dir)
    base.mkdir(parents=True, exist_ok=True)
    mboxes = generate(base / f"mbox-{args.messages}", args.messages)
    print(f"{args.messages:,} messages in {LISTS} lists ({sum(s for *_, s in mboxes) / 1e6:.0f} MB of mbox)")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    results: dict[str, dict] = {}
    first = mboxes[0][0].split("@")[0]
    databases = ("sqlite", "postgres") if args.database == "both" else (args.database,)
    for db in databases if args.step != "generate" else ():
        data = base / f"{db}-{args.messages}"
        with postgres(data) if db == "postgres" else _no_url() as url:
            db_env = {**env, "DATABASE_URL": url} if url else env
            label = "SQLite" if db == "sqlite" else "PostgreSQL"
            if args.step in ("import", "all"):
                rounds = split(base / f"mbox-{args.messages}", mboxes, args.parts)
                results.setdefault(db, {})["import"] = import_store(label, base, data, db_env, rounds, args.fresh)
            if args.step in ("measure", "all"):
                results.setdefault(db, {})["measure"] = measure(label, data, db_env, first, args.runs)
    record = base / f"figures-{args.messages}.json"
    merged = json.loads(record.read_text()) if record.exists() else {}
    for db, parts in results.items():
        merged.setdefault(db, {}).update(parts)
    record.write_text(json.dumps(merged, indent=1))
    print(json.dumps(results))
    return results


@contextmanager
def _no_url() -> Iterator[None]:
    yield None


if __name__ == "__main__":
    main()
