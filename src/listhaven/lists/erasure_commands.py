"""CLI subcommand `erase-address`: a person's address out of the list server and its archive
(lists/erasure.py decides what goes and what stays; docs/privacy.md says it for the operator)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from listhaven.cli import CommandError


def register(subparsers: Any) -> None:
    erase = subparsers.add_parser(
        "erase-address",
        help="erase a person's address: memberships, pending confirmations, bounce records, held posts, "
        "queued copies, the outbox, their account; their archived posts kept, hidden or purged (--posts)",
    )
    erase.add_argument("address")
    erase.add_argument("--list", help="only this list (address or short name); the account is then kept")
    erase.add_argument("--posts", choices=("keep", "anonymise", "hide", "purge"), default="hide",
                       help="the archive: hide (default) or purge the messages the address posted, or anonymise: "
                       "replace the address in every message that names it, keeping the text")  # fmt: skip
    erase.add_argument("--json", action="store_true")
    erase.set_defaults(handler=cmd_erase_address)


def cmd_erase_address(args: argparse.Namespace) -> int:
    from listhaven.delivery.outbox import remove_copies
    from listhaven.lists.addresses import InvalidAddress
    from listhaven.lists.erasure import erase_address

    mlist = None
    if args.list:
        from listhaven.lists.directory import ListNotFound, find_list

        try:
            mlist = find_list(args.list)
        except ListNotFound as exc:
            raise CommandError(str(exc)) from None
    try:
        report = erase_address(args.address, mlist=mlist, posts=args.posts, by="cli")
    except InvalidAddress as exc:
        raise CommandError(f"{args.address!r} is not an address: {exc}") from None
    report.counts["outbox copies"] = remove_copies(address=args.address.strip(), of_list=mlist.address if mlist else "")
    if args.json:
        print(json.dumps({"address_hash": report.address_hash, "lists": report.lists, "posts": report.posts,
                          "counts": report.counts, "kept_in_attachments": report.kept}, indent=2))  # fmt: skip
        return 0
    print(f"erased from {', '.join(report.lists) or 'no list'} (audit: {report.address_hash[:16]}…)")
    for what, count in report.counts.items():
        print(f"  {what}: {count}")
    if report.kept:
        print("the address is still in attachments that are not text (left as they are) of:")
        for path in report.kept:
            print(f"  /{path}  (remove it with: listhaven redact {path.split('/')[0]} {path.split('/')[2]})")
    return 0
