"""Server time of the archive's main pages on a large store.

    LISTHAVEN_DATA=DIR .venv/bin/python bench/pages_bench.py [--list ltp] [--runs 50]

Requests go through Django's test client in this process, so the figures are the server's own
time (routing, queries, templates), without network or HTTP parsing; the page cache is off for
them (LISTHAVEN_PAGE_CACHE_SECONDS=0). With wrk installed, it then starts `listhaven serve` on
127.0.0.1 and prints requests/s for the message page (wrk -t2 -c8 -d10s), rendered for every
request and then from the page cache.
The last line printed is the JSON of all figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "listhaven.site.settings")
    os.environ["LISTHAVEN_PAGE_CACHE_SECONDS"] = "0"  # server time of rendering; wrk_rate measures the cache
    import django

    django.setup()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure(client, urls: list[str], runs: int, clock=time.perf_counter, cold: bool = False) -> dict[str, float]:
    from django.core.cache import cache

    for url in urls[:3]:
        client.get(url)  # warm-up: templates compiled, caches filled
    times = []
    for i in range(runs):
        url = urls[i % len(urls)]
        if cold:
            cache.clear()  # as after a new post: the month counts and list figures are counted again
        started = clock()
        response = client.get(url)
        times.append((clock() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    return {"p50_ms": round(statistics.median(times), 2), "p95_ms": round(percentile(times, 0.95), 2), "runs": runs}


def pick_urls(list_name: str, rng: random.Random) -> dict[str, list[str]]:
    from django.db.models import Count
    from django.db.models.functions import TruncMonth

    from listhaven.archive.models import Message, Thread
    from listhaven.lists.models import MailingList

    mlist = MailingList.objects.get(name=list_name)
    pks = list(Message.objects.filter(mailing_list=mlist).values_list("public_id", flat=True))
    messages = [f"/{list_name}/message/{pid}/" for pid in rng.sample(pks, min(200, len(pks)))]
    # the thread closest to 200 messages in any list of the store
    thread = min(
        Thread.objects.filter(message_count__gte=100, message_count__lte=400).select_related("mailing_list"),
        key=lambda t: abs(t.message_count - 200),
        default=Thread.objects.select_related("mailing_list").order_by("-message_count").first(),
    )
    busiest = (
        Message.objects.filter(mailing_list=mlist).annotate(m=TruncMonth("date")).values("m")
        .annotate(n=Count("id")).order_by("-n").first()
    )
    month = busiest["m"].strftime("%Y-%m")
    return {
        "message page": messages,
        f"thread page ({thread.message_count} messages)": [f"/{thread.mailing_list.name}/thread/{thread.public_id}/"],
        f"month index ({busiest['n']} messages)": [f"/{list_name}/{month}/"],
        "list overview": [f"/{list_name}/"],
        "lists index": ["/"],
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wrk_rate(url_path: str, cached: bool) -> float | None:
    """Requests/s of one page; `cached`: with the page cache (the first request fills it), else
    every request rendered (LISTHAVEN_PAGE_CACHE_SECONDS=0)."""
    if not shutil.which("wrk"):
        return None
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "LISTHAVEN_PAGE_CACHE_SECONDS"}
    if not cached:
        env["LISTHAVEN_PAGE_CACHE_SECONDS"] = "0"
    server = subprocess.Popen(
        [sys.executable, "-m", "listhaven", "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        url = f"http://127.0.0.1:{port}{url_path}"
        subprocess.run(["wrk", "-t2", "-c8", "-d3s", url], capture_output=True, check=True)  # warm-up
        out = subprocess.run(
            ["wrk", "-t2", "-c8", "-d10s", url],
            capture_output=True, text=True, check=True,
        ).stdout
        match = re.search(r"Requests/sec:\s+([\d.]+)", out)
        return float(match.group(1)) if match else None
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--list", default="ltp")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--cpu", action="store_true",
                        help="time each request's CPU (time.process_time), not the wall clock; no wrk: on a loaded "
                             "machine the server's own work is what compares")  # fmt: skip
    parser.add_argument("--no-wrk", action="store_true", help="server time only, no requests/s")
    parser.add_argument("--cold", action="store_true",
                        help="clear Django's cache before each request: a page's cost just after a new post")
    args = parser.parse_args()
    clock = time.process_time if args.cpu else time.perf_counter
    setup()
    from django.db import connection
    from django.test import Client

    from listhaven.archive.models import Message

    rng = random.Random(1)
    print(f"store: {Message.objects.count():,} messages")
    client = Client(HTTP_HOST="localhost")  # a host the site answers to when LISTHAVEN_ALLOWED_HOSTS is unset
    figures = {}
    urls = pick_urls(args.list, rng)
    for label, page_urls in urls.items():
        figures[label] = measure(client, page_urls, args.runs, clock, args.cold)
        print(f"{label:<36} p50 {figures[label]['p50_ms']:7.2f} ms   p95 {figures[label]['p95_ms']:7.2f} ms")
    connection.close()
    for cached in () if args.cpu or args.no_wrk else (False, True):
        rate = wrk_rate(urls["message page"][0], cached)
        if rate is not None:
            kind = "cached" if cached else "rendered"
            figures[f"message page {kind}, requests/s (wrk -t2 -c8, gunicorn 2 workers)"] = rate
            print(f"message page {kind}, with wrk: {rate:.0f} requests/s")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
