"""Pages beside HyperKitty: the same 5,000 messages of ltp in both, the same message, wrk -t2 -c8.

    .venv/bin/python bench/peer_pages.py [--dir DIR] [--messages 5000] [--duration 15s] [--no-peer]

1. Writes the first N messages of ../shared/corpora/ltp.mbox.zst to DIR/ltp-N.mbox (mboxrd).
2. HyperKitty (unless --no-peer): ../shared/peers/hyperkitty-setup.sh (a fresh project),
   hyperkitty-import.sh DIR/ltp-N.mbox, then hyperkitty-bench.sh (gunicorn -w 2; sequential
   latency, then wrk -t2 -c8 on its message, thread and full-thread pages). Its output is kept in
   DIR/hyperkitty-bench.txt and its wrk rows are read from it.
3. Listhaven: the same mbox imported into DIR/listhaven, `listhaven serve` (gunicorn, 2 workers x
   4 threads) on 127.0.0.1, then wrk -t2 -c8 on the message page HyperKitty measured (same hash:
   both use the base32 SHA-1 of the Message-ID), on the thread page, the list overview and a month:
   first with the page cache (after one request has filled it), then with LISTHAVEN_PAGE_CACHE_SECONDS=0
   (every request rendered), and a 304 answered to If-None-Match.

The last line printed is the JSON of all figures, with `uptime`'s load before and after each part.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = (REPO / ".." / "shared").resolve()
CORPUS = SHARED / "corpora" / "ltp.mbox.zst"
PEERS = SHARED / "peers"
PY = sys.executable
LIST_ADDRESS = "ltp@lists.linux.it"
HK_LIST = "ltp@lists.example.org"


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def write_subset(target: Path, count: int) -> int:
    sys.path.insert(0, str(REPO / "src"))
    from listhaven.mail.mboxwrite import write_mboxrd
    from listhaven.mail.sources.detect import open_source

    def first() -> object:
        for n, message in enumerate(open_source(CORPUS)):
            if n >= count:
                return
            yield message.raw, message.from_line

    with target.open("wb") as out:
        return write_mboxrd(first(), out)


def run_hyperkitty(mbox: Path, out: Path, duration: str) -> dict[str, object]:
    env = dict(os.environ, WRK_DURATION=duration, HK_LIST=HK_LIST)
    log = []
    for script, args in (("hyperkitty-setup.sh", []), ("hyperkitty-import.sh", [str(mbox), HK_LIST])):
        done = subprocess.run(["bash", str(PEERS / script), *args], env=env, capture_output=True, text=True)
        log.append(done.stdout + done.stderr)
        if done.returncode:
            raise SystemExit(f"{script} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    before = load()
    bench = subprocess.run(["bash", str(PEERS / "hyperkitty-bench.sh")], env=env, capture_output=True, text=True)
    out.write_text(bench.stdout + bench.stderr)
    rates = {}
    for name, body in re.findall(r"^-- (\S+) \S+\n(.*?)(?=^-- |^machine load after)", bench.stdout, re.M | re.S):
        found = re.search(r"Requests/sec:\s+([\d.]+)", body)
        rates[name] = float(found.group(1)) if found else None
    urls = dict(re.findall(r"^(message|thread)\t(\S+)", bench.stdout, re.M))
    return {"requests_per_s": rates, "urls": urls, "load_before": before, "load_after": load(),
            "output": str(out)}  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wrk(url: str, duration: str, *headers: str) -> float:
    cmd = ["wrk", "-t2", "-c8", f"-d{duration}", *[a for h in headers for a in ("-H", h)], url]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx and not headers:
        raise SystemExit(f"{url}: {non2xx.group(1)} error responses\n{out}")
    return float(match.group(1)) if match else 0.0


def serve(data: Path, env_extra: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(os.environ, LISTHAVEN_DATA=str(data), **env_extra)
    server = subprocess.Popen([PY, "-m", "listhaven", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(base + "/", timeout=1).read()
            return server, base
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("listhaven serve did not answer")


def listhaven_pages(data: Path, paths: dict[str, str], duration: str) -> dict[str, object]:
    figures: dict[str, object] = {}
    for label, extra in (("cached", {}), ("rendered", {"LISTHAVEN_PAGE_CACHE_SECONDS": "0"})):
        server, base = serve(data, extra)
        try:
            rows: dict[str, object] = {"load_before": load()}
            for name, path in paths.items():
                with urllib.request.urlopen(base + path) as first:  # fills the cache
                    etag = first.headers.get("ETag")
                    state = first.headers.get("X-Listhaven-Cache")
                rows[name] = wrk(base + path, duration)
                rows[f"{name} cache on first request"] = state
                if name == "message" and label == "cached":
                    rows["message 304 (If-None-Match)"] = wrk(base + path, duration, f"If-None-Match: {etag}")
            rows["load_after"] = load()
            figures[label] = rows
        finally:
            server.terminate()
            server.wait(timeout=30)
    return figures


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", default="/tmp/listhaven-bench/peer-pages")
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--duration", default="15s")
    parser.add_argument("--no-peer", action="store_true", help="Listhaven only (no HyperKitty)")
    args = parser.parse_args(argv)
    if not CORPUS.exists() or not shutil.which("wrk"):
        print(f"skipped: needs {CORPUS} and wrk (apt-get install wrk)")
        return {"skipped": "corpus or wrk missing"}
    base = Path(args.dir)
    base.mkdir(parents=True, exist_ok=True)
    mbox = base / f"ltp-{args.messages}.mbox"
    if not mbox.exists():
        print(f"subset: {write_subset(mbox, args.messages)} messages -> {mbox}", flush=True)
    results: dict[str, object] = {"messages": args.messages, "wrk": f"wrk -t2 -c8 -d{args.duration}"}
    paths = {"message": "", "thread": "", "overview": "/ltp/", "month": ""}
    if not args.no_peer:
        hk = run_hyperkitty(mbox, base / "hyperkitty-bench.txt", args.duration)
        results["hyperkitty"] = hk
        print(f"HyperKitty: {hk['requests_per_s']} (load {hk['load_before']} -> {hk['load_after']})", flush=True)
    data = base / "listhaven"
    shutil.rmtree(data, ignore_errors=True)
    subprocess.run([PY, "-m", "listhaven", "--data-dir", str(data), "import", LIST_ADDRESS, str(mbox), "--create", "--json"],
                   check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    paths.update(_listhaven_paths(data, results.get("hyperkitty")))
    results["paths"] = paths
    results["listhaven"] = listhaven_pages(data, paths, args.duration)
    print(json.dumps(results["listhaven"], indent=1), flush=True)
    hk_rates = results.get("hyperkitty", {}).get("requests_per_s", {})  # type: ignore[union-attr]
    if hk_rates.get("message"):
        cached = results["listhaven"]["cached"]["message"]  # type: ignore[index]
        rendered = results["listhaven"]["rendered"]["message"]  # type: ignore[index]
        results["ratio message cached / HyperKitty"] = round(cached / hk_rates["message"], 1)
        results["ratio message rendered / HyperKitty"] = round(rendered / hk_rates["message"], 1)
    print(json.dumps(results))
    return results


def _listhaven_paths(data: Path, hyperkitty: object) -> dict[str, str]:
    """The message HyperKitty measured (same hash), else the median-length message of the busiest
    thread; that thread and the busiest month."""
    code = (
        "import os, json, django; os.environ['DJANGO_SETTINGS_MODULE']='listhaven.site.settings'; django.setup()\n"
        "from django.db.models import Count\nfrom django.db.models.functions import TruncMonth\n"
        "from listhaven.archive.models import Message, Thread\n"
        "t = Thread.objects.order_by('-message_count', 'public_id').first()\n"
        "ms = sorted(Message.objects.filter(thread=t), key=lambda m: (len(m.body_text), m.public_id))\n"
        "mo = Message.objects.annotate(m=TruncMonth('date')).values('m').annotate(n=Count('id')).order_by('-n').first()\n"
        "print(json.dumps({'thread': f'/ltp/thread/{t.public_id}/', 'message': f'/ltp/message/{ms[len(ms)//2].public_id}/',"
        " 'month': f\"/ltp/{mo['m']:%Y-%m}/\"}))\n"
    )
    out = subprocess.run([PY, "-c", code], env=dict(os.environ, LISTHAVEN_DATA=str(data)), capture_output=True, text=True, check=True)
    paths = json.loads(out.stdout.strip().splitlines()[-1])
    urls = hyperkitty.get("urls", {}) if isinstance(hyperkitty, dict) else {}
    found = re.search(r"/message/([A-Z2-7]{32})/", urls.get("message", ""))
    if found:
        paths["message"] = f"/ltp/message/{found.group(1)}/"
    return paths


if __name__ == "__main__":
    main()
