"""CLI subcommands of the list server: members, post, held, moderate, postfix-maps."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from listhaven.cli import CommandError

ROLE_CHOICES = ("owner", "moderator", "member")


def register(subparsers: Any) -> None:
    members = subparsers.add_parser(
        "members",
        help="show a list's members (members LIST), add/remove them (members add|remove LIST ADDRESS...), "
        "or invite addresses to confirm (members invite LIST ADDRESS...)",
        description="listhaven members LIST [--json] | members add LIST ADDRESS... [--role R] [--file FILE] "
        "[--moderated] | members remove LIST ADDRESS... [--role R] | members invite LIST ADDRESS...",
    )
    members.add_argument("words", nargs="+", metavar="[add|remove|invite] LIST [ADDRESS...]")
    members.add_argument("--role", choices=ROLE_CHOICES, default="member", help="the role to add or remove (default member)")
    members.add_argument("--file", help="add: also read addresses from FILE (one a line; '-': stdin)")
    members.add_argument("--moderated", action="store_true", help="add: moderate these members' posts")
    members.add_argument("--json", action="store_true")
    members.set_defaults(handler=cmd_members)

    post = subparsers.add_parser("post", help="send a message to a list's address, as if it came over LMTP")
    post.add_argument("list")
    post.add_argument("file", help="the message (RFC 5322); '-': standard input")
    post.add_argument("--sender", default=None, help="the envelope sender (MAIL FROM), when there is one")
    post.add_argument("--json", action="store_true")
    post.set_defaults(handler=cmd_post)

    held = subparsers.add_parser("held", help="posts of a list waiting for a moderator")
    held.add_argument("list")
    held.add_argument("--json", action="store_true")
    held.set_defaults(handler=cmd_held)

    moderate = subparsers.add_parser("moderate", help="decide a held post: accept, reject, discard or defer")
    moderate.add_argument("list")
    moderate.add_argument("id", type=int, help="the held post's id (see `listhaven held LIST`)")
    moderate.add_argument("decision", choices=("accept", "reject", "discard", "defer"))
    moderate.add_argument("--reason", default="", help="reject: told to the poster; recorded for every decision")
    moderate.add_argument("--json", action="store_true")
    moderate.set_defaults(handler=cmd_moderate)

    maps = subparsers.add_parser("postfix-maps", description="Writes postfix_lmtp (transport_maps) and "
                                 "postfix_domains (relay_domains) from every list, as a list's creation and removal "
                                 "do, and runs postmap on them (LISTHAVEN_POSTFIX_MAPS, LISTHAVEN_POSTMAP).")  # fmt: skip
    maps.add_argument("--directory", default=None, help="write them here (default: $LISTHAVEN_POSTFIX_MAPS, "
                      "else the data directory)")  # fmt: skip
    maps.set_defaults(handler=cmd_postfix_maps)


def _print_json(data: object) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _find_list(name: str) -> Any:
    from listhaven.lists.directory import ListNotFound, find_list

    try:
        return find_list(name)
    except ListNotFound as exc:
        raise CommandError(str(exc)) from None


def cmd_members(args: argparse.Namespace) -> int:
    action, rest = (args.words[0], args.words[1:]) if args.words[0] in ("add", "remove", "invite") else ("show", args.words)
    if not rest:
        raise CommandError("name the list: listhaven members [add|remove] LIST [ADDRESS...]")
    mlist = _find_list(rest[0])
    if action == "show":
        if len(rest) > 1:
            raise CommandError("to add or remove addresses: listhaven members add|remove LIST ADDRESS...")
        return _show_members(mlist, args.json)
    if action == "add":
        return _add_members(mlist, rest[1:], args)
    if action == "invite":
        return _invite_members(mlist, rest[1:], args.json)
    return _remove_members(mlist, rest[1:], args)


def _invite_members(mlist: Any, addresses: list[str], as_json: bool) -> int:
    """Each address gets an invitation to confirm (lists/subscriptions.py `invite`)."""
    from listhaven.lists.subscriptions import invite

    if not addresses:
        raise CommandError("name the addresses to invite: listhaven members invite LIST ADDRESS...")
    outcomes = [(address, invite(mlist, address, inviter="listhaven members invite")) for address in addresses]
    if as_json:
        _print_json([{"address": a, "status": o.status.value, "detail": o.detail} for a, o in outcomes])
    else:
        for address, outcome in outcomes:
            print(f"{outcome.address or address}\t{outcome.status.value}{': ' + outcome.detail if outcome.detail else ''}")
    return 0 if all(o.status.value == "invited" for _, o in outcomes) else 1


def _show_members(mlist: Any, as_json: bool) -> int:
    from listhaven.lists.members import member_summary, roster

    rows = roster(mlist)
    if as_json:
        _print_json({"list": mlist.address, "members": [member_summary(m) for m in rows]})
        return 0
    for m in rows:
        flags = [m.role] + (["moderated"] if m.moderated else []) + ([m.delivery_mode] if m.delivery_mode != "regular" else [])
        flags += [f"disabled ({m.delivery_status})"] if m.delivery_status != "enabled" else []
        flags += [f"action {m.action}"] if m.role == "nonmember" else []
        name = f"{m.display_name} <{m.address}>" if m.display_name else m.address
        print(f"{name}\t{', '.join(flags)}")
    print(f"{sum(m.role == 'member' for m in rows)} members of {mlist.address}", file=sys.stderr)
    return 0


def _add_members(mlist: Any, addresses: list[str], args: argparse.Namespace) -> int:
    from listhaven.lists.members import add_members, read_address_file
    from listhaven.lists.post import Role

    entries = list(addresses)
    if args.file:
        source = sys.stdin if args.file == "-" else Path(args.file).open(encoding="utf-8")
        with source:
            entries += read_address_file(source)
    if not entries:
        raise CommandError("no address given (ADDRESS... or --file FILE)")
    report = add_members(mlist, entries, role=Role(args.role), moderated=args.moderated)
    if args.json:
        _print_json({"added": report.added, "existing": report.existing,
                     "invalid": [{"given": g, "reason": r} for g, r in report.invalid]})  # fmt: skip
    else:
        for given, reason in report.invalid:
            print(f"refused {given}: {reason}", file=sys.stderr)
        print(f"{len(report.added)} added as {args.role} of {mlist.address}, {len(report.existing)} already were, "
              f"{len(report.invalid)} refused")  # fmt: skip
    return 1 if report.invalid else 0


def _remove_members(mlist: Any, addresses: list[str], args: argparse.Namespace) -> int:
    from listhaven.lists.members import remove_members
    from listhaven.lists.post import Role

    if not addresses:
        raise CommandError("no address given")
    report = remove_members(mlist, addresses, role=Role(args.role))
    if args.json:
        _print_json({"removed": report.removed, "missing": report.missing,
                     "invalid": [{"given": g, "reason": r} for g, r in report.invalid]})  # fmt: skip
    else:
        for address in report.missing:
            print(f"not a {args.role} of {mlist.address}: {address}", file=sys.stderr)
        for given, reason in report.invalid:
            print(f"refused {given}: {reason}", file=sys.stderr)
        print(f"{len(report.removed)} removed from {mlist.address}")
    return 1 if report.missing or report.invalid else 0


def cmd_post(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from listhaven.lists.posting import receive_post
    from listhaven.mail.submission import complete_submission

    mlist = _find_list(args.list)
    received = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    raw = complete_submission(received, mlist.address.rpartition("@")[2], datetime.now(UTC))  # as the MTA would
    outcome = receive_post(mlist, raw, envelope_sender=args.sender, origin="cli", received=received)
    verdict = outcome.verdict
    summary = {
        "verdict": verdict.action.value, "rule": verdict.rule, "reason": verdict.reason,
        "duplicate": outcome.duplicate, "held_id": outcome.held_id, "archive": outcome.archive_outcome,
        "queued_for": outcome.queued,
    }  # fmt: skip
    if args.json:
        _print_json(summary)
    elif outcome.duplicate:
        print(f"received before: {verdict.action.value} ({verdict.rule}); nothing done again")
    elif outcome.held_id is not None:
        print(f"held for moderation as #{outcome.held_id}: {verdict.reason}")
    else:
        extra = f", {outcome.archive_outcome}, queued for {outcome.queued}" if verdict.action.value == "accept" else ""
        print(f"{verdict.action.value} ({verdict.rule}: {verdict.reason}){extra}")
    return 0


def cmd_held(args: argparse.Namespace) -> int:
    from listhaven.lists.moderation import held_posts, held_summary

    mlist = _find_list(args.list)
    rows = [held_summary(h) for h in held_posts(mlist)]
    if args.json:
        _print_json({"list": mlist.address, "held": rows})
        return 0
    for row in rows:
        print(f"#{row['id']}\t{str(row['date'])[:16]}\t{row['sender']}\t{row['subject']}\t{row['reason']}")
    print(f"{len(rows)} held post(s) on {mlist.address}", file=sys.stderr)
    return 0


def cmd_moderate(args: argparse.Namespace) -> int:
    from listhaven.lists.moderation import HeldNotFound, moderate

    mlist = _find_list(args.list)
    try:
        decision = moderate(mlist, args.id, args.decision, args.reason)
    except HeldNotFound as exc:
        raise CommandError(str(exc)) from None
    result: dict[str, object] = {"id": decision.held_id, "decision": decision.action, "result": decision.result}
    if decision.outcome is not None:
        result.update(archive=decision.outcome.archive_outcome, queued_for=decision.outcome.queued)
    if decision.result != decision.action:  # approved, but content filtering left nothing of it
        result["summary"] = decision.summary
    if decision.result == "reject":
        result["poster_notified"] = decision.notified
    if args.json:
        _print_json(result)
    else:
        print(", ".join(f"{k}: {v}" for k, v in result.items()))
    return 0


def cmd_postfix_maps(args: argparse.Namespace) -> int:
    from listhaven.lists.postfix_maps import PostmapFailed, write_maps

    try:
        written = write_maps(Path(args.directory).resolve() if args.directory else None)
    except (OSError, PostmapFailed) as error:
        raise CommandError(f"Postfix maps not written: {error}") from error
    if written is None:
        raise CommandError("LISTHAVEN_POSTFIX_MAPS is off: no maps written (--directory DIR writes them there)")
    for path in written.files:
        print(path)
    indexed = f"indexed by {written.postmap}" if written.postmap else "no postmap run (read them as texthash:)"
    print(f"{written.lists} list(s) in {written.domains} domain(s); {indexed}")
    return 0
