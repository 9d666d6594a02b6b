"""Python function calls, CPU time and queries per request of the archive's main pages, in this process.

    LISTHAVEN_DATA=DIR PYTHONPATH=CHECKOUT/src .venv/bin/python bench/pages_calls.py [--list NAME] [--runs 80]

For comparing two commits on one store (the old code built it, a copy migrated by the new): the
function-call count under cProfile does not move with the machine's load, where CPU time per
request moves by +-50 % on the shared 2-core machine. Runs against an older checkout too (the
list model was archive's before issue 9). The page cache is off: rendering is what is compared.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import time


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "listhaven.site.settings")
    os.environ["LISTHAVEN_PAGE_CACHE_SECONDS"] = "0"
    import django

    django.setup()


def pick_urls(list_name: str, rng: random.Random) -> dict[str, list[str]]:
    from django.db.models import Count
    from django.db.models.functions import TruncMonth

    from listhaven.archive.models import Message, Thread

    try:
        from listhaven.lists.models import MailingList
    except ImportError:  # before issue 9
        from listhaven.archive.models import MailingList  # type: ignore[attr-defined,no-redef]

    mlist = MailingList.objects.get(name=list_name)
    pks = list(Message.objects.filter(mailing_list=mlist).order_by("id").values_list("public_id", flat=True))
    thread = Thread.objects.filter(mailing_list=mlist).order_by("-message_count", "id").first()
    busiest = (
        Message.objects.filter(mailing_list=mlist).annotate(m=TruncMonth("date")).values("m")
        .annotate(n=Count("id")).order_by("-n", "m").first()
    )  # fmt: skip
    return {
        "message page": [f"/{list_name}/message/{pid}/" for pid in rng.sample(pks, min(20, len(pks)))],
        f"thread page ({thread.message_count} messages)": [f"/{list_name}/thread/{thread.public_id}/"],
        f"month index ({busiest['n']} messages)": [f"/{list_name}/{busiest['m'].strftime('%Y-%m')}/"],
        "list overview": [f"/{list_name}/"],
        "lists index": ["/"],
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--list", default="harbour-dev")
    parser.add_argument("--runs", type=int, default=80)
    args = parser.parse_args()
    setup()
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_HOST="localhost")  # a host the site answers to when LISTHAVEN_ALLOWED_HOSTS is unset
    for name, urls in pick_urls(args.list, random.Random(1)).items():
        for url in urls[:3]:
            assert client.get(url).status_code == 200, url  # warm-up
        connection.force_debug_cursor = True  # the queries of one request (request_started clears the log)
        client.get(urls[0])
        queries = len(connection.queries_log)
        connection.force_debug_cursor = False
        started = time.process_time()
        for i in range(args.runs):
            client.get(urls[i % len(urls)])
        cpu = (time.process_time() - started) / args.runs * 1000
        profile = cProfile.Profile()
        profile.enable()
        for i in range(args.runs):
            client.get(urls[i % len(urls)])
        profile.disable()
        calls = pstats.Stats(profile).total_calls // args.runs  # type: ignore[attr-defined]
        print(f"{name:36s} {calls:7d} calls  {cpu:6.2f} CPU ms  {queries} queries")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
