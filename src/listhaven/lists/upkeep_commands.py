"""CLI subcommands for what the list server does on its own: digests (send what is due), bounces
(members' scores and who is disabled) and status (what is waiting, and what needs a person)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from listhaven.cli import CommandError


def register(subparsers: Any) -> None:
    digests = subparsers.add_parser("digests", help="send the digest issues that are due (digests send [LIST...])")
    digests.add_argument("action", choices=("send",))
    digests.add_argument("lists", nargs="*", metavar="LIST", help="only these lists (default: every list)")
    digests.add_argument("--force", action="store_true", help="send whatever is collected, due or not")
    digests.add_argument("--json", action="store_true")
    digests.set_defaults(handler=cmd_digests)

    bounces = subparsers.add_parser("bounces", help="a list's members with a bounce score, and those bounces disabled")
    bounces.add_argument("list")
    bounces.add_argument("--json", action="store_true")
    bounces.set_defaults(handler=cmd_bounces)

    status = subparsers.add_parser(
        "status", help="the outgoing queue, held posts, unread service mail and quarantine; exit status 1 when something needs a person",
        description="What is waiting on the whole site, and the problems that need a person: delivery batches due "
                    "for more than 15 minutes (no worker running), batches given up in the last day, service mail "
                    "unread for more than 15 minutes. Exit status 1 when there is such a problem, 0 otherwise "
                    "(for a monitoring check).")  # fmt: skip
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=cmd_status)


def _find_list(name: str) -> Any:
    from listhaven.lists.directory import ListNotFound, find_list

    try:
        return find_list(name)
    except ListNotFound as exc:
        raise CommandError(str(exc)) from exc


def cmd_digests(args: argparse.Namespace) -> int:
    from listhaven.lists.digests import send_due

    names = [_find_list(name).name for name in args.lists] if args.lists else None
    sent = send_due(names, force=args.force)
    rows = [{"list": issue.mailing_list.name, "volume": issue.volume, "issue": issue.number, "posts": issue.posts,
             "reason": issue.reason, "mime_recipients": issue.mime_recipients,
             "plain_recipients": issue.plain_recipients} for issue in sent]  # fmt: skip
    if args.json:
        print(json.dumps(rows, indent=2))
    elif not rows:
        print("no digest is due")
    for row in [] if args.json else rows:
        print(f"{row['list']}: Vol {row['volume']}, Issue {row['issue']}: {row['posts']} post(s) ({row['reason']}) to "
              f"{row['mime_recipients']} MIME and {row['plain_recipients']} plain digest member(s)")
    return 0


def cmd_bounces(args: argparse.Namespace) -> int:
    from listhaven.columns import print_columns
    from listhaven.lists.bounces import bounce_rows

    mlist = _find_list(args.list)
    rows = bounce_rows(mlist)
    if args.json:
        print(json.dumps({"list": mlist.name, "threshold": mlist.bounce_threshold, "members": rows}, indent=2, default=str))
        return 0
    if not rows:
        print(f"{mlist.name}: no member has a bounce score (threshold {mlist.bounce_threshold:g})")
        return 0
    print_columns(["address", "score", "last bounce", "delivery", "warnings", "next step"],
                [[r["address"], f"{r['score']:g}", str(r["last_bounce"] or "-"), r["status"], str(r["warnings_sent"]),
                  f"{r['next_step']:%Y-%m-%d %H:%M}" if r["next_step"] else "-"] for r in rows])  # fmt: skip
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from listhaven.lists.health import site_status

    status = site_status()
    if args.json:
        print(json.dumps(status, indent=2))
        return 1 if status["problems"] else 0
    queue, held, service = status["queue"], status["held"], status["service_mail"]
    print(f"queue: {queue['batches']} batch(es), {queue['recipients']} recipient(s) waiting"
          + (f", oldest from {queue['oldest']}" if queue["oldest"] else "")
          + (f"; {queue['due']} due now, since {queue['oldest_due']}" if queue["due"] else "")
          + (f"; {queue['retrying']} retrying after a temporary failure ({queue['last_error']})" if queue["retrying"] else ""))
    print(f"failed in the last day: {queue['failed_last_day']} batch(es)"
          + (f" (last: {queue['last_failure']})" if queue["failed_last_day"] else ""))
    print(f"held for moderation: {held['posts']} post(s)"
          + (f", oldest {held['oldest']} on {held['oldest_list']}" if held["posts"] else ""))
    print(f"service mail unread: {service['waiting']}" + (f", oldest {service['oldest']}" if service["waiting"] else "")
          + (f"; -owner mail kept for lists without an owner: {service['owner_mail_without_owner']}"
             if service["owner_mail_without_owner"] else ""))
    print(f"quarantined: {status['quarantined']}")
    for problem in status["problems"]:
        print(f"PROBLEM: {problem}")
    if not status["problems"]:
        print("ok")
    return 1 if status["problems"] else 0
