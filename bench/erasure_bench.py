"""What erasing an address costs on a large list: `erase_address` with --posts hide, anonymise and
purge, each for an address that posted `--posts-each` of the archive's messages, is quoted in as
many others, is a member of a list of `--members` members and a recipient of `--queued` queued
posts (batches of 500). Real SQLite store, generated data; wall and CPU time of each call.

    LISTHAVEN_DATA=/tmp/lh-erasure .venv/bin/python bench/erasure_bench.py [--messages N] [--members N]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "listhaven.site.settings")
os.environ.setdefault("LISTHAVEN_DATA", "/tmp/listhaven-bench-erasure")

from bench_store import open_store  # beside this script

MODES = ("hide", "anonymise", "purge")
LIST = "bench-erasure@lists.example.org"


def _mbox(messages: int, posts_each: int) -> bytes:
    """`messages` posts from 500 people; each erased address posts `posts_each` and is quoted in as many."""
    out = []
    for n in range(messages):
        sender, quoted = f"person{n % 500}@example.org", ""
        for k, mode in enumerate(MODES):
            if n % (messages // posts_each) == k:
                sender = f"{mode}@erase.example"
            elif n % (messages // posts_each) == k + 3:
                quoted = f"On Monday, {mode}@erase.example wrote:\n> something\n"
        out.append(f"From {sender} Mon Mar  4 10:00:00 2019\nFrom: P <{sender}>\nTo: {LIST}\nSubject: Topic {n % 997}\n"
                   f"Date: Mon, 04 Mar 2019 10:{n % 60:02d}:00 +0000\nMessage-ID: <m{n}@bench.example>\n\n"
                   f"{quoted}Words of message {n} about plots and seeds.\n\n")  # fmt: skip
    return "".join(out).encode()


def _setup(messages: int, members: int, posts_each: int, queued: int):  # type: ignore[no-untyped-def]
    from listhaven.archive.compression import compress
    from listhaven.archive.importer import import_path
    from listhaven.lists.directory import create_list
    from listhaven.lists.models import DeliveryBatch, MailingList, Member, Outgoing

    MailingList.objects.filter(address=LIST).delete()
    mlist = create_list(LIST)
    with tempfile.NamedTemporaryFile(suffix=".mbox") as mbox:
        mbox.write(_mbox(messages, posts_each))
        mbox.flush()
        import_path(mlist, mbox.name)
    addresses = [f"member{n}@example.org" for n in range(members)] + [f"{m}@erase.example" for m in MODES]
    Member.objects.bulk_create([Member(mailing_list=mlist, address=a) for a in addresses], batch_size=5000)
    from django.utils import timezone

    for n in range(queued):
        row = Outgoing.objects.create(mailing_list=mlist, kind="post", template=compress(b"Subject: x\n\nx\n"),
                                      recipients=addresses)  # fmt: skip
        DeliveryBatch.objects.bulk_create([DeliveryBatch(outgoing=row, recipients=addresses[i : i + 500],
                                                         next_attempt_at=timezone.now())
                                           for i in range(0, len(addresses), 500)], batch_size=1000)  # fmt: skip
    return mlist


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--posts-each", type=int, default=100)
    parser.add_argument("--queued", type=int, default=5)
    args = parser.parse_args()
    open_store()
    from listhaven.lists.erasure import erase_address

    started = time.perf_counter()
    mlist = _setup(args.messages, args.members, args.posts_each, args.queued)
    print(f"setup: {args.messages} messages, {args.members} members, {args.queued} queued posts "
          f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
    for mode in MODES:
        wall, cpu = time.perf_counter(), time.process_time()
        report = erase_address(f"{mode}@erase.example", mlist=mlist, posts=mode, by="bench")
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        touched = {k: v for k, v in report.counts.items() if v}
        print(f"erase-address --posts {mode}: {wall:.2f} s wall, {cpu:.2f} s CPU; {touched}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
