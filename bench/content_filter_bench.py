"""CPU of deciding an accepted post on a list that filters content: the chain (its content-filter rule
filters a copy) and the pipeline's filter-content step, per post, in one process (no database).

    .venv/bin/python bench/content_filter_bench.py [--posts N]

The post: multipart/mixed of a text part and its HTML alternative (200 lines each) and a 6 KB PNG the list
removes. Best of 5 rounds of N posts, per CPU second of the process (time.process_time). To compare with
another tree (an older commit): `git archive COMMIT src tests | tar -x -C /tmp/old` and run this file with
`PYTHONPATH=/tmp/old/src:/tmp/old`, alternating with this tree.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from email.message import EmailMessage
from pathlib import Path

if not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "listhaven.site.settings")

import django

django.setup()

import listhaven  # noqa: E402
from listhaven.lists.chain import run_chain  # noqa: E402
from listhaven.lists.pipeline import filter_post_content  # noqa: E402
from listhaven.mail.content_filter import ContentRules  # noqa: E402
from tests.lists.messages import LIST, make_post  # noqa: E402


def sample_post() -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "Ann <ann@example.org>", LIST, "Plans"
    message["Message-ID"] = "<bench@example.org>"
    message.set_content("The plan is attached.\n" * 200)
    message.add_alternative("<p>The plan is <b>attached</b>.</p>\n" * 200, subtype="html")
    message.add_attachment(b"\x89PNG" + bytes(range(256)) * 24, maintype="image", subtype="png", filename="plan.png")
    return message.as_bytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=300)
    args = parser.parse_args()
    raw, rules = sample_post(), ContentRules(filter_types=("image",))
    best = float("inf")
    for _ in range(5):
        batch = [make_post(raw, content_rules=rules) for _ in range(args.posts)]
        start = time.process_time()
        for post in batch:
            run_chain(post)
            filter_post_content.run(None, post)  # type: ignore[arg-type]  # the step reads no list
        best = min(best, (time.process_time() - start) / args.posts)
    load = os.getloadavg()[0]
    print(f"{Path(listhaven.__file__).parents[1]}: {best * 1e6:.0f} us CPU per post (best of 5 x {args.posts}), "
          f"load average {load:.1f}")


if __name__ == "__main__":
    main()
