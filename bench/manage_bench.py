"""Server time of the owners' and moderators' pages with 100,000 members and 1,000 held posts on the
list (generated), in one process through Django's test client against a real SQLite store; and the
mass subscribe of 10,000 addresses through the members page.

    LISTHAVEN_DATA=/tmp/lh-manage .venv/bin/python bench/manage_bench.py [--members N] [--held N] [--requests N]

Members page (first page, a search, a filter), held queue, one held post, settings page GET, and the
token API's roster search, one member's change, waiting requests (100), bans (100) and held queue; p50/p95
in ms of wall time and of the process's CPU time (what the request cost, whatever else runs on the machine).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "listhaven.site.settings")
os.environ.setdefault("LISTHAVEN_DATA", "/tmp/listhaven-bench-manage")

from bench_store import list_with_members, open_store  # beside this script


def _setup(members: int, held: int):  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from django.utils import timezone

    from listhaven.archive.compression import compress
    from listhaven.lists.models import HeldMessage, Member

    mlist = list_with_members("bench-manage@lists.example.org", members,
                              lambda n: {"address": f"member{n}@example.org", "display_name": f"Member {n}"})  # fmt: skip
    Member.objects.get_or_create(mailing_list=mlist, address="owner@example.org", role="owner")
    waiting = HeldMessage.objects.filter(mailing_list=mlist).count()
    now = timezone.now()
    raw = b"From: someone@example.net\nSubject: held\nMessage-ID: <h@example.net>\n\nA held post.\n"
    HeldMessage.objects.bulk_create([HeldMessage(
        mailing_list=mlist, data=compress(raw), size=len(raw), sender=f"stranger{n}@example.net", subject=f"Held {n}",
        rule="nonmember", reason="not a member", held_at=now - timedelta(minutes=n), expires_at=now + timedelta(days=14))
        for n in range(waiting, held)], batch_size=1000)  # fmt: skip
    return mlist


def _api_calls(mlist, user):  # type: ignore[no-untyped-def]
    """The token API's roster, requests and bans endpoints: 100 waiting requests and 100 bans on the list."""
    from datetime import timedelta

    from django.utils import timezone

    from listhaven.lists.models import Ban, Member, Pending
    from listhaven.lists.subscriptions import token_hash

    later = timezone.now() + timedelta(days=3)
    if not Pending.objects.filter(mailing_list=mlist, purpose="approve_subscribe").exists():
        Pending.objects.bulk_create([Pending(mailing_list=mlist, purpose="approve_subscribe", address=f"asks{n}@example.net",
                                             token_hash=token_hash(f"bench-{mlist.pk}-{n}"), expires_at=later)
                                     for n in range(100)])  # fmt: skip
        Ban.objects.bulk_create([Ban(mailing_list=mlist, pattern=f"troll{n}@example.net") for n in range(100)])
    member = Member.objects.filter(mailing_list=mlist, address="member4242@example.org").values_list("pk", flat=True).first()
    base = "/api/manage/lists/bench-manage"
    return {
        "api members q": ("get", f"{base}/members?q=member4242", None),
        "api member PATCH": ("patch", f"{base}/members/{member}", {"moderated": True, "delivery_mode": "regular"}),
        "api requests": ("get", f"{base}/requests", None),
        "api bans": ("get", f"{base}/bans", None),
        "api held": ("get", f"{base}/held", None),
    }


def _time_api(method: str, url: str, body: object, requests: int, user) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
    import json

    from django.conf import settings
    from django.test import Client

    from listhaven.web.api.tokens import create_token

    settings.API_RATE = "1000000/m"  # the rate limit is not what is measured
    client = Client(HTTP_AUTHORIZATION=f"Bearer {create_token(user)}")
    walls, cpus = [], []
    for _ in range(requests):
        start, start_cpu = time.perf_counter(), time.process_time()
        if body is None:
            response = getattr(client, method)(url)
        else:
            response = getattr(client, method)(url, data=json.dumps(body), content_type="application/json")
        walls.append((time.perf_counter() - start) * 1000)
        cpus.append((time.process_time() - start_cpu) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.content[:200])
    return sorted(walls), sorted(cpus)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--held", type=int, default=1_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--mass", type=int, default=10_000)
    args = parser.parse_args()

    open_store()
    from django.contrib.auth.models import User
    from django.test import Client

    from listhaven.lists.models import HeldMessage, Member

    mlist = _setup(args.members, args.held)
    print(f"members: {Member.objects.filter(mailing_list=mlist).count()}, held: "
          f"{HeldMessage.objects.filter(mailing_list=mlist).count()}")  # fmt: skip
    user, _ = User.objects.get_or_create(username="owner@example.org", email="owner@example.org")
    client = Client()
    client.force_login(user)
    held_id = HeldMessage.objects.filter(mailing_list=mlist).order_by("-id").values_list("pk", flat=True).first()
    pages = {
        "members page": "/manage/bench-manage/members/",
        "members search": "/manage/bench-manage/members/?q=member4242",
        "members filter": "/manage/bench-manage/members/?role=member&moderated=no&page=40",
        "held queue": "/manage/bench-manage/held/",
        "held post": f"/manage/bench-manage/held/{held_id}/",
        "settings page": "/manage/bench-manage/settings/",
    }
    timings: dict[str, tuple[list[float], list[float]]] = {}
    for name, url in pages.items():
        walls, cpus = [], []
        for _ in range(args.requests):
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            walls.append((time.perf_counter() - start) * 1000)
            cpus.append((time.process_time() - start_cpu) * 1000)
            assert response.status_code == 200, (name, response.status_code)
        timings[name] = (sorted(walls), sorted(cpus))
    for name, (method, url, body) in _api_calls(mlist, user).items():
        timings[name] = _time_api(method, url, body, args.requests, user)
    addresses = "\n".join(f"mass{int(time.time())}-{n}@example.com" for n in range(args.mass))
    start = time.perf_counter()
    response = client.post("/manage/bench-manage/members/add/", {"addresses": addresses, "role": "member"})
    mass_seconds = time.perf_counter() - start
    assert response.status_code == 302
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'what':16} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'CPU p50':>8} {'CPU p95':>8}")
    for name, (walls, cpus) in timings.items():
        at95 = min(len(walls) - 1, int(len(walls) * 0.95))
        print(f"{name:16} {len(walls):5} {statistics.median(walls):8.2f} {walls[at95]:8.2f} "
              f"{statistics.median(cpus):8.2f} {cpus[at95]:8.2f}")
    print(f"mass subscribe of {args.mass} addresses: {mass_seconds:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
