"""CPU seconds of an import's writing process and of its parser processes, on the first N messages of a corpus.

    .venv/bin/python bench/writer_profile.py [N] [--corpus ltp.mbox.zst] [--workers 1] [--profile] [--runs 1]

The first N messages of the corpus are written once as a plain mbox (not counted). Each run makes a new
store (not counted), then `import_path` imports the file into a new list: the writer's CPU seconds are
this process's (`time.process_time`, its threads included: the pool's feeding and result threads
pickle and unpickle), the parsers' are its children's (`getrusage`). `--profile` runs cProfile on the
writer's main thread and prints the functions with the most own time and the most cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import zstandard

REPO = Path(__file__).resolve().parents[1]
CORPORA = (REPO / ".." / "shared" / "corpora").resolve()


def first_messages(corpus: Path, count: int, out: Path) -> Path:
    """The first `count` messages of a zstd mboxrd file, as an mbox (written once, then reused)."""
    if out.exists():
        return out
    seen, previous_blank = 0, True
    partial = out.with_suffix(".partial")
    with corpus.open("rb") as compressed, partial.open("wb") as target:
        reader = io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(compressed), 1 << 20)
        for line in reader:
            if previous_blank and line.startswith(b"From "):
                seen += 1
                if seen > count:
                    break
            target.write(line)
            previous_blank = line in (b"\n", b"\r\n")
    partial.rename(out)
    return out


def run_once(mbox: Path, address: str, workers: int, profile: bool) -> dict[str, float]:
    from listhaven.archive.importer import import_path
    from listhaven.lists.directory import create_list

    mlist = create_list(address)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu, wall = time.process_time(), time.monotonic()
    profiler = cProfile.Profile(time.process_time) if profile else None  # CPU, not wall
    if profiler:
        profiler.enable()
    summary = import_path(mlist, str(mbox), workers=workers)
    if profiler:
        profiler.disable()
    writer, elapsed = time.process_time() - cpu, time.monotonic() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    parsers = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    if profiler:
        for order in ("tottime", "cumulative"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(35)
            print(out.getvalue())
    return {"read": summary.read, "stored": summary.stored, "duplicates": summary.duplicates,
            "writer_cpu_s": round(writer, 2), "parser_cpu_s": round(parsers, 2), "wall_s": round(elapsed, 2),
            "load": float(Path("/proc/loadavg").read_text().split()[0])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("count", nargs="?", type=int, default=10_000)
    parser.add_argument("--corpus", default="ltp.mbox.zst")
    parser.add_argument("--address", default="ltp@lists.linux.it")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--dir", default=os.environ.get("BENCH_DIR", "/tmp/listhaven-bench"))
    args = parser.parse_args()
    work = Path(args.dir)
    work.mkdir(parents=True, exist_ok=True)
    mbox = first_messages(CORPORA / args.corpus, args.count, work / f"{args.corpus.split('.')[0]}-{args.count}.mbox")
    data = Path(tempfile.mkdtemp(prefix="writer-profile-", dir=work))
    sys.path.insert(0, str(REPO / "src"))
    from listhaven.cli import ensure_schema, setup_django

    try:
        setup_django(str(data))
        for n in range(args.runs):
            from django.db import connection

            connection.close()
            (data / "listhaven.sqlite3").unlink(missing_ok=True)
            for extra in ("-wal", "-shm"):
                (data / f"listhaven.sqlite3{extra}").unlink(missing_ok=True)
            ensure_schema()
            print(f"run {n + 1}: {run_once(mbox, args.address, args.workers, args.profile)}", flush=True)
    finally:
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
