"""Whole-list mbox export speed and memory, and the API's thread/message latency.

    LISTHAVEN_DATA=DIR .venv/bin/python bench/export_bench.py LIST [--output FILE] [--plain] [--api N]

Exports every message of LIST (short name or address) from the store in DIR as gzip mboxrd, the
way `/LIST/all.mbox.gz` and `listhaven export` do, and prints messages/s, MB/s of mbox and the
process's peak RSS. The output goes to /dev/null unless --output names a file; --plain skips gzip.
With --api N it then requests N random threads and N random messages through the JSON API
(in-process, Django's test client) and prints server-side p50/p95 per endpoint.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import time


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def rss_parts_mb() -> dict[str, float]:
    """Current RssAnon (heap) and RssFile (mapped files: SQLite's mmap of the store) in MB."""
    parts = {}
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(("RssAnon:", "RssFile:")):
                name, value, _ = line.split()
                parts[name.rstrip(":")] = int(value) / 1024
    return parts


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "listhaven.site.settings")
    if "LISTHAVEN_DATA" not in os.environ:
        sys.exit("set LISTHAVEN_DATA to the store's directory")
    import django

    django.setup()


class _Meter:
    """Counts messages and bytes on their way to the writer."""

    def __init__(self, items):
        self.items = items
        self.messages = 0
        self.bytes = 0

    def __iter__(self):
        for raw, line in self.items:
            self.messages += 1
            self.bytes += len(raw)
            yield raw, line


def bench_export(mlist, output: str, gzip: bool) -> None:
    from listhaven.archive.export import iter_list_raw, mbox_chunks

    rss_before = peak_rss_mb()
    meter = _Meter(iter_list_raw(mlist))
    started, cpu_started = time.perf_counter(), time.process_time()
    written = 0
    peak_anon = 0.0
    with open(output, "wb") as out:
        for n, chunk in enumerate(mbox_chunks(meter, gzip=gzip)):
            out.write(chunk)
            written += len(chunk)
            if n % 16 == 0:
                peak_anon = max(peak_anon, rss_parts_mb().get("RssAnon", 0))
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    print(f"list            {mlist.name}: {meter.messages:,} messages, {meter.bytes / 1e6:,.1f} MB of mail")
    print(f"export          {seconds:.2f} s, {meter.messages / seconds:,.0f} messages/s, "
          f"{meter.bytes / 1e6 / seconds:,.1f} MB/s, {written / 1e6:,.1f} MB written ({'gzip' if gzip else 'plain'})")
    # CPU time of all threads: on a busy machine, wall time says more about the neighbours.
    print(f"cpu             {cpu:.2f} s ({os.getloadavg()[0]:.1f} load), {meter.messages / cpu:,.0f} messages per CPU-second")
    parts = rss_parts_mb()
    print(f"peak RSS        {peak_rss_mb():,.0f} MB (before export {rss_before:,.0f} MB); "
          f"anonymous peak {peak_anon:,.0f} MB, file-backed now {parts.get('RssFile', 0):,.0f} MB (SQLite mmap)")


def _time(client, urls: list[str]) -> list[float]:
    timings = []
    for url in urls:
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return sorted(timings)


def bench_api(mlist, count: int) -> None:
    from django.test import Client

    from listhaven.archive.models import Message, Thread

    rng = random.Random(1)
    thread_ids = list(Thread.objects.filter(mailing_list=mlist, message_count__lte=200).values_list("public_id", flat=True))
    message_ids = list(Message.objects.filter(mailing_list=mlist, redacted=False).values_list("public_id", flat=True))
    client = Client(HTTP_HOST="localhost")  # a host the site answers to when LISTHAVEN_ALLOWED_HOSTS is unset
    base = f"/api/lists/{mlist.name}"
    for label, urls in (
        ("thread", [f"{base}/threads/{t}" for t in rng.sample(thread_ids, min(count, len(thread_ids)))]),
        ("message", [f"{base}/messages/{m}" for m in rng.sample(message_ids, min(count, len(message_ids)))]),
        ("threads page", [f"{base}/threads?page={rng.randint(1, 20)}" for _ in range(count)]),
    ):
        _time(client, urls[:5])  # warm caches
        timings = _time(client, urls)
        p95 = timings[int(len(timings) * 0.95) - 1]
        print(f"API {label:<12} n={len(timings)} p50 {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms, "
              f"max {timings[-1]:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("list")
    parser.add_argument("--output", default=os.devnull)
    parser.add_argument("--plain", action="store_true", help="write mbox without gzip")
    parser.add_argument("--api", type=int, default=0, metavar="N", help="also time N API thread/message requests")
    args = parser.parse_args()
    setup()
    from listhaven.lists.directory import find_list

    mlist = find_list(args.list)
    bench_export(mlist, args.output, gzip=not args.plain)
    if args.api:
        bench_api(mlist, args.api)


if __name__ == "__main__":
    main()
