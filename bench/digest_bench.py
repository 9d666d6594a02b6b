"""A digest issue for 10,000 digest members (half MIME, half plain) on a real SQLite store: the time to
send one issue (each format built once, queued once with its delivery batches), and how many times each
builder ran, which must be once per format whatever the number of members.

    LISTHAVEN_DATA=/tmp/lh-digests .venv/bin/python bench/digest_bench.py [--members N] [--posts N] [--rounds N]
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
os.environ.setdefault("LISTHAVEN_DATA", "/tmp/listhaven-bench-digests")

from bench_store import list_with_members, open_store  # beside this script


def post(n: int) -> bytes:
    body = f"Post {n}: the harvest, the weather and the tools we share.\n" * 16
    return (f"From: Member {n} <m{n}@example.org>\r\nTo: bench-digests@lists.example.org\r\n"
            f"Subject: [Bench] topic {n}\r\nDate: Mon, 30 Nov 2026 12:00:00 +0000\r\n"
            f"Message-ID: <digest-bench-{n}@example.org>\r\n\r\n{body}").replace("\n", "\r\n").encode()  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--posts", type=int, default=30, help="posts per issue (~1 KB each)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    open_store()
    from listhaven.lists import digests
    from listhaven.lists.models import DeliveryBatch, MailingList, Outgoing

    mlist = list_with_members("bench-digests@lists.example.org", args.members, lambda n: {
        "address": f"reader{n}@example.org", "delivery_mode": "mime_digest" if n % 2 else "plain_digest"})  # fmt: skip
    MailingList.objects.filter(pk=mlist.pk).update(digest_size_kb=0)  # issues sent here only
    mlist.refresh_from_db()
    calls = {"mime": 0, "plain": 0}
    for kind, real in list(digests.BUILDERS.items()):
        def counted(*a, _kind=kind, _real=real):  # type: ignore[no-untyped-def]
            calls[_kind] += 1
            return _real(*a)

        digests.BUILDERS[kind] = counted
    timings = []
    for round_ in range(args.rounds):
        for n in range(args.posts):
            digests.collect(mlist, post(round_ * 1000 + n))
        before = dict(calls)
        start = time.perf_counter()
        issue = digests.send_issue(mlist, "forced")
        timings.append((time.perf_counter() - start) * 1000)
        assert issue is not None
        assert {k: calls[k] - before[k] for k in calls} == {"mime": 1, "plain": 1}, calls
    outgoing = Outgoing.objects.filter(mailing_list=mlist, kind="digest").order_by("-id")[:2]
    batches = DeliveryBatch.objects.filter(outgoing__in=list(outgoing)).count()
    print(f"{args.members} digest members, {args.posts} posts an issue, {args.rounds} issues")
    print(f"builder calls: {calls} (one per format per issue)")
    print(f"send one issue (build both formats, queue {batches} delivery batches): "
          f"median {statistics.median(timings):.0f} ms, max {max(timings):.0f} ms")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
