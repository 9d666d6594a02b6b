"""Server time of the member pages with 100,000 members on the list (generated), in one process through
Django's test client against a real SQLite store (no network; what the server spends per request).

    LISTHAVEN_DATA=/tmp/lh-members .venv/bin/python bench/members_bench.py [--members N] [--requests N]

listinfo GET, subscribe POST (a new address each, rate limits raised so every one is taken and queues
its confirmation), confirm GET and POST, options GET and POST (a signed-in member), one-click
unsubscribe POST (RFC 8058); and the front page (an archive page) beside them for scale. p50/p95 in ms of wall time, and of
the process's CPU time (what the request cost, whatever else runs on the machine).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "listhaven.site.settings")
os.environ.setdefault("LISTHAVEN_DATA", "/tmp/listhaven-bench-members")
os.environ["LISTHAVEN_SUBSCRIBE_FORM_MIN_SECONDS"] = "0"
os.environ["LISTHAVEN_SUBSCRIBE_RATE_ADDRESS"] = "1000000/h"
os.environ["LISTHAVEN_SUBSCRIBE_RATE_CLIENT"] = "1000000/h"

from bench_store import list_with_members, open_store  # beside this script


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    open_store()
    from django.contrib.auth.models import User
    from django.test import Client

    from listhaven.archive.compression import decompress
    from listhaven.lists.models import Member, Outgoing
    from listhaven.lists.unsubscribe import unsubscribe_token
    from listhaven.web.views.members import guard

    mlist = list_with_members("bench-members@lists.example.org", args.members)
    print(f"members on the list: {Member.objects.filter(mailing_list=mlist).count()}")
    client = Client()
    run = f"{int(time.time())}"
    timings: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}

    def timed(name: str, call) -> object:  # type: ignore[no-untyped-def]
        start, start_cpu = time.perf_counter(), time.process_time()
        response = call()
        timings.setdefault(name, []).append((time.perf_counter() - start) * 1000)
        cpu.setdefault(name, []).append((time.process_time() - start_cpu) * 1000)
        assert response.status_code in (200, 302), (name, response.status_code)
        return response

    tokens = []
    for _ in range(args.requests):  # for scale: an archive page with its own budget, on the same machine now
        timed("front page GET", lambda: client.get("/"))
    for n in range(args.requests):
        timed("listinfo GET", lambda: client.get("/listinfo/bench-members"))
        data = {"address": f"new{run}-{n}@example.net", "shown": guard.form_stamp()}
        timed("subscribe POST", lambda data=data: client.post("/listinfo/bench-members", data))
        body = decompress(bytes(Outgoing.objects.order_by("-id").first().template)).decode()
        tokens.append(re.search(r"/confirm/([0-9a-f]+)", body).group(1))
    for token in tokens:
        timed("confirm GET", lambda token=token: client.get(f"/confirm/{token}"))
        timed("confirm POST", lambda token=token: client.post(f"/confirm/{token}"))
    user, _ = User.objects.get_or_create(username="member7@example.org", email="member7@example.org")
    client.force_login(user)
    for n in range(args.requests):
        timed("options GET", lambda: client.get("/bench-members/options/"))
        form = {"delivery_mode": "regular" if n % 2 else "mime_digest", "display_name": f"M {n}"}
        timed("options POST", lambda form=form: client.post("/bench-members/options/", form))
    for n in range(args.requests):
        path = f"/bench-members/unsubscribe/{unsubscribe_token(mlist.address, f'member{1000 + n}@example.org', int(time.time()))}"
        timed("one-click POST", lambda path=path: client.post(path, {"List-Unsubscribe": "One-Click"}))
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'what':16} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'CPU p50':>8} {'CPU p95':>8}")
    for name, values in timings.items():
        walls, cpus = sorted(values), sorted(cpu[name])
        at95 = min(len(walls) - 1, int(len(walls) * 0.95))
        print(f"{name:16} {len(walls):5} {statistics.median(walls):8.2f} {walls[at95]:8.2f} "
              f"{statistics.median(cpus):8.2f} {cpus[at95]:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
