"""Speed of the list server's mail building blocks, in one process (one core).

    .venv/bin/python bench/compose_bench.py [--copies N] [--json]

decorate     posts/s for `decorate` (once per post) on three shapes
personalise  copies/s for MemberValues + `personalise` (the per-member work of personalised delivery)
dkim         copies/s for personalise + DKIM signing with a 2048-bit key (per-copy work with DKIM on): the
             OpenSSL-backed signer the worker uses (listhaven.mail.dkim.RsaSigner) and dkimpy's own
             pure-Python signing, beside `openssl speed rsa2048` signs/s (OpenSSL's RSA alone)
digest       ms to build one MIME and one plain digest of 100 posts

Rates are per CPU second of one process (time.process_time), like `openssl speed`; the load average is
printed beside them because a busy machine still slows caches and turbo.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dkim as dkimpy

from listhaven.mail.decorate import decorate
from listhaven.mail.digest import DigestIssue, mime_digest
from listhaven.mail.digest_plain import plain_digest
from listhaven.mail.dkim import SIGNED_FIELDS, generate_key, signer
from listhaven.mail.identity import ListIdentity
from listhaven.mail.personalise import MemberValues, personalise
from tests.support import posts

IDENTITY = ListIdentity(
    address=posts.LIST_ADDRESS, display_name="Harbour Dev", subject_tag="[Harbour-dev]",
    listinfo_url="https://lists.example.org/listinfo/harbour-dev", archive_url="https://lists.example.org/harbour-dev/",
    footer="_______________________________________________\n{list_name} -- {list_address}\n"
           "Leave: {unsubscribe_url}\nOptions for {member_address}: {options_url}\n",
)


def rate(work: Callable[[int], object], count: int) -> float:
    """Operations per CPU second of this process (openssl speed counts the same way), so a busy machine
    lowers the wall-clock rate but not this figure."""
    start = time.process_time()
    for n in range(count):
        work(n)
    return count / (time.process_time() - start)


def member(n: int) -> MemberValues:
    token = f"{n:08d}.k3JH2s9dPq0aZ8xYv1TbQw"
    return MemberValues(f"https://lists.example.org/harbour-dev/unsubscribe/{token}",
                        f"https://lists.example.org/harbour-dev/options/{token}", f"member{n}@example.net")


def long_post() -> bytes:
    """About 50 KB of text: a long post with quoted history."""
    lines = b"".join(b"> line %d of the quoted history, as replies accumulate it\n" % i for i in range(850))
    return posts.plain_post(b"Re: long thread") + lines


def openssl_rsa2048() -> float | None:
    try:
        out = subprocess.run(["openssl", "speed", "-seconds", "3", "rsa2048"], capture_output=True, text=True,
                             timeout=60, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r"rsa\s+2048 bits\s+[\d.]+s\s+[\d.]+s\s+([\d.]+)", out)
    return float(match.group(1)) if match else None


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=50_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results: dict[str, object] = {"load_average": os.getloadavg()[0], "cores": os.cpu_count()}
    for name in ("plain", "alternative", "signed"):
        raw = posts.SHAPES[name]()
        results[f"decorate_{name}_posts_per_cpu_s"] = round(rate(lambda n, raw=raw: decorate(raw, IDENTITY), 2000))
    for label, raw in (("4kb", posts.plain_post() * 1), ("50kb", long_post())):
        template = decorate(raw, IDENTITY)
        results[f"personalise_{label}_copies_per_cpu_s"] = round(
            rate(lambda n, t=template: personalise(t, member(n)), args.copies))
    private_pem, _ = generate_key(2048)
    template = decorate(posts.alternative_post(), IDENTITY)
    sign = signer("lists.example.org", "s1", private_pem)
    results["personalise_and_openssl_sign_copies_per_cpu_s"] = round(rate(
        lambda n: sign(personalise(template, member(n))), 2000), 1)
    include = [f.lower().encode() for f in SIGNED_FIELDS]
    results["personalise_and_dkimpy_sign_copies_per_cpu_s"] = round(rate(
        lambda n: dkimpy.sign(personalise(template, member(n)), b"s1", b"lists.example.org", private_pem,
                              canonicalize=(b"relaxed", b"relaxed"), include_headers=include), 100), 1)
    results["openssl_speed_rsa2048_signs_per_cpu_s"] = openssl_rsa2048()
    many = [posts.SHAPES[name]() for name in sorted(posts.SHAPES)] * 9
    issue = DigestIssue(1, 1, datetime(2024, 3, 6, tzinfo=UTC), footer="{list_name}\n")
    for kind, build in (("mime", mime_digest), ("plain", plain_digest)):
        start = time.process_time()
        build(many[:100], IDENTITY, issue)
        results[f"digest_{kind}_100_posts_cpu_ms"] = round((time.process_time() - start) * 1000, 1)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for key, value in results.items():
            print(f"{key:45} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
