"""CLI subcommands of the demo: `listhaven demo-data` writes the generated archive as mbox files,
`listhaven demo-import` generates it and imports it into the store, `listhaven demo-members` gives the
demo list its people, `listhaven demo-dkim` its domains their DKIM keys."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    demo = subparsers.add_parser("demo-data", help="write a generated demo archive as mbox files")
    demo.add_argument("directory")
    demo.add_argument("--messages", type=int, default=3000)
    demo.add_argument("--seed", type=int, default=1)
    demo.set_defaults(handler=cmd_demo_data)

    demo_import = subparsers.add_parser("demo-import", help="generate the demo archive and import it")
    demo_import.add_argument("--messages", type=int, default=3000)
    demo_import.add_argument("--seed", type=int, default=1)
    demo_import.set_defaults(handler=cmd_demo_import)

    members = subparsers.add_parser("demo-members", help="give the demo list an owner and a few members")
    members.set_defaults(handler=cmd_demo_members)

    dkim = subparsers.add_parser("demo-dkim", help="give the demo lists' domains a DKIM key each, once")
    dkim.set_defaults(handler=cmd_demo_dkim)


def cmd_demo_data(args: argparse.Namespace) -> int:
    from listhaven.demo.archive import write_demo_mboxes

    for path, count in write_demo_mboxes(args.directory, args.messages, args.seed):
        print(f"{path}: {count} messages")
    return 0


def cmd_demo_import(args: argparse.Namespace) -> int:
    from listhaven.demo.archive import import_demo

    for name, summary in import_demo(args.messages, args.seed):
        if summary is None:
            print(f"{name}: already holds messages, not imported again")
            continue
        print(
            f"{summary.source}: {summary.stored} stored, {summary.duplicates} duplicates, "
            f"{summary.quarantined} quarantined in {summary.seconds:.1f}s"
        )
    return 0


def cmd_demo_members(args: argparse.Namespace) -> int:
    from listhaven.demo.members import add_demo_members

    mlist = add_demo_members()
    print(f"{mlist.address}: {mlist.members.filter(role='owner').count()} owner(s), "
          f"{mlist.members.filter(role='member').count()} members")  # fmt: skip
    return 0


def cmd_demo_dkim(args: argparse.Namespace) -> int:
    from listhaven.demo.dkim import ensure_demo_keys

    for demo in ensure_demo_keys():
        key = demo.key
        if not demo.made:
            print(f"DKIM: copies from lists at {key.domain} are signed (selector {key.selector}; "
                  f"`listhaven dkim show {key.domain}` prints its DNS record)")  # fmt: skip
            continue
        print(f"DKIM: made a key for {key.domain}; copies from its lists are signed from now on. "
              "A site on that domain would publish this DNS TXT record:")  # fmt: skip
        print(demo.dns_record())
    return 0
