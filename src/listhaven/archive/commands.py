"""CLI subcommands of the archive: lists, import, quarantine, stats, threads, reindex, recount, redact.

`lists`, `stats` and `threads` have two handlers that print the same: `cmd_*` through Django (any
store) and `quick_*` through archive/sqlite_reads.py (a SQLite store, without Django; see cli.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from listhaven.cli import CommandError
from listhaven.columns import print_columns

if TYPE_CHECKING:
    from listhaven.archive.figures import ListStats
    from listhaven.archive.sqlite_reads import ListRow, SqliteArchive

# Imports beyond the standard library go inside the handlers: see listhaven/cli.py.


def register(subparsers: Any) -> None:
    lst = subparsers.add_parser("list", help="create a list (list create NAME@DOMAIN)")
    lst_sub = lst.add_subparsers(dest="list_command", metavar="ACTION")
    lst_sub.required = True
    create = lst_sub.add_parser("create", help="create a list")
    create.add_argument("address", help="the list's address, e.g. ltp@lists.linux.it")
    create.add_argument("--description", default="")
    create.add_argument("--display-name", default="")
    create.add_argument("--subject-tag", default=None, help="e.g. '[LTP]' (default: [Name])")
    create.add_argument("--private", action="store_true", help="archive visible to members only (--archive members)")
    create.add_argument("--archive", choices=("public", "members", "owners"), default=None,
                        help="who may read the archive (default public)")  # fmt: skip
    create.add_argument("--json", action="store_true")
    create.set_defaults(handler=cmd_list_create)

    lists = subparsers.add_parser("lists", help="show every list")
    lists.add_argument("--json", action="store_true")
    lists.set_defaults(handler=cmd_lists, quick_handler=quick_lists)

    imp = subparsers.add_parser("import", help="import mbox, Maildir, Pipermail .txt or '-' (stdin) into a list")
    imp.add_argument("list", help="list address or short name")
    imp.add_argument("sources", nargs="+", metavar="SOURCE")
    imp.add_argument("--create", action="store_true", help="create the list when it does not exist")
    imp.add_argument("--archive", choices=("public", "members", "owners"), default=None,
                     help="with --create: who reads the new list's archive (default public); set before the first "
                     "message is stored, so a private archive is never readable half-way")  # fmt: skip
    imp.add_argument("--workers", type=int, default=None, help="parser processes; 0 parses in the importing process (default: cores - 1, at most 4)")
    imp.add_argument("--json", action="store_true", help="print the summary as JSON")
    imp.set_defaults(handler=cmd_import)

    quar = subparsers.add_parser("quarantine", help="messages that could not be parsed, with the reason")
    quar.add_argument("list")
    quar.add_argument("--json", action="store_true")
    quar.set_defaults(handler=cmd_quarantine)

    stats = subparsers.add_parser("stats", help="messages, threads, authors, dates and months of a list")
    stats.add_argument("list")
    stats.add_argument("--json", action="store_true")
    stats.set_defaults(handler=cmd_stats, quick_handler=quick_stats)

    threads = subparsers.add_parser("threads", help="the most recent threads of a list")
    threads.add_argument("list")
    threads.add_argument("--limit", type=int, default=20)
    threads.add_argument("--json", action="store_true")
    threads.set_defaults(handler=cmd_threads, quick_handler=quick_threads)

    reindex = subparsers.add_parser("reindex", help="rebuild threads and the search index from the raw messages")
    reindex.add_argument("list", nargs="?", help="one list (default: all)")
    reindex.set_defaults(handler=cmd_reindex)

    recount = subparsers.add_parser(
        "recount",
        help="count each list's messages by month again from the messages, and repair the kept counts that differ",
    )
    recount.add_argument("list", nargs="?", help="one list (default: all)")
    recount.add_argument("--check", action="store_true", help="only say what differs (exit status 1 if anything does)")
    recount.set_defaults(handler=cmd_recount)

    redact = subparsers.add_parser("redact", help="remove a message from the archive's pages, search, feeds and exports")
    redact.add_argument("list", help="list address or short name")
    redact.add_argument("hash", help="the message's id in its URL (/LIST/message/HASH/)")
    redact.add_argument("--reason", default="", help="why it was removed (kept for the owners)")
    redact.add_argument("--purge", action="store_true",
                        help="also delete its raw bytes, attachments and every parsed field (its links answer 410)")  # fmt: skip
    redact.add_argument("--json", action="store_true")
    redact.set_defaults(handler=cmd_redact)


def _print_json(data: object) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _find(name: str):
    from listhaven.lists.directory import ListNotFound, find_list

    try:
        return find_list(name)
    except ListNotFound as exc:
        raise CommandError(str(exc)) from exc


def quick_find(archive: SqliteArchive, name: str) -> ListRow:
    """`_find` on the quick path: the same rule and messages (lists/lookup.py)."""
    from listhaven.lists.lookup import ListNotFound, list_key, pick_list

    try:
        return pick_list(name, archive.lists_named(list_key(name)), archive.lists_by_local_part)
    except ListNotFound as exc:
        raise CommandError(str(exc)) from exc


def cmd_list_create(args: argparse.Namespace) -> int:
    from listhaven.lists.directory import create_list

    try:
        mlist = create_list(
            args.address, args.description, args.display_name, args.subject_tag, args.private, args.archive
        )
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    if args.json:
        _print_json({"name": mlist.name, "address": mlist.address})
    else:
        print(f"created list {mlist.address} (short name {mlist.name})")
    return 0


def cmd_lists(args: argparse.Namespace) -> int:
    from listhaven.archive.month_counts import totals
    from listhaven.lists.models import MailingList

    rows = list(MailingList.objects.order_by("name"))
    counts = totals(m.pk for m in rows)
    return _print_lists(
        [_list_entry(m.name, m.address, counts[m.pk], m.archive_policy, m.description) for m in rows], args
    )


def quick_lists(args: argparse.Namespace, archive: SqliteArchive) -> int:
    counts = archive.message_counts()
    return _print_lists(
        [_list_entry(m.name, m.address, counts.get(m.pk, 0), m.archive_policy, m.description)
         for m in archive.all_lists()],
        args,
    )  # fmt: skip


def _list_entry(name: str, address: str, messages: int, policy: str, description: str) -> dict[str, object]:
    from listhaven.lists.policies import is_private

    return {"name": name, "address": address, "messages": messages, "private": is_private(policy),
            "archive": policy, "description": description}  # fmt: skip


def _print_lists(data: list[dict[str, object]], args: argparse.Namespace) -> int:
    if args.json:
        _print_json(data)
        return 0
    print_columns(
        ("name", "address", "messages", "archive", "description"),
        [(d["name"], d["address"], d["messages"], d["archive"], d["description"]) for d in data],
    )
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from listhaven.lists.directory import ListNotFound, create_list, find_list
    from listhaven.mail.sources import SourceError

    try:
        mlist = find_list(args.list)
    except ListNotFound as exc:
        if not (args.create and "@" in args.list):
            raise CommandError(f"{exc}; create it with `listhaven list create` or pass --create") from exc
        mlist = create_list(args.list, archive_policy=args.archive)
    else:
        if args.archive and args.archive != mlist.archive_policy:
            raise CommandError(f"{mlist.address} exists with archive policy {mlist.archive_policy}; "
                               "change it on its settings page, not with import")  # fmt: skip
    summaries = []
    for source in args.sources:
        try:
            summaries.append(_import_with_progress(mlist, source, args))
        except SourceError as exc:
            raise CommandError(str(exc)) from exc
    if args.json:
        _print_json([s.as_dict() for s in summaries])
    else:
        _print_summaries(summaries)
    return 0


def _import_with_progress(mlist, source: str, args: argparse.Namespace):
    from listhaven.archive.importer import import_path

    if args.json or not sys.stderr.isatty():
        return import_path(mlist, source, workers=args.workers)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>8} msg/s"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=False,
    ) as progress:
        task = progress.add_task(source, total=None, rate="")

        def advance(n: int) -> None:
            progress.advance(task, n)
            elapsed = progress.tasks[0].elapsed or 0
            if elapsed > 0:
                progress.update(task, rate=f"{progress.tasks[0].completed / elapsed:,.0f}")

        return import_path(mlist, source, on_progress=advance, workers=args.workers)


def _print_summaries(summaries) -> None:
    print_columns(
        ("source", "read", "stored", "duplicates", "quarantined", "seconds", "msg/s"),
        [(s.source, s.read, s.stored, s.duplicates, s.quarantined, f"{s.seconds:.1f}",
          f"{s.read / s.seconds if s.seconds else 0:,.0f}") for s in summaries],
    )
    for s in summaries:
        if s.resumed_from:
            print(f"{s.source}: resumed an interrupted import after message {s.resumed_from}")


def cmd_quarantine(args: argparse.Namespace) -> int:
    from listhaven.archive.models import Quarantine

    mlist = _find(args.list)
    rows = Quarantine.objects.filter(mailing_list=mlist).order_by("id")
    data = [
        {"id": q.pk, "origin": q.origin, "size": q.size, "reason": q.reason, "at": q.created_at.isoformat()}
        for q in rows
    ]
    if args.json:
        _print_json(data)
        return 0
    if not data:
        print(f"nothing quarantined in {mlist.address}")
        return 0
    print_columns(("id", "origin", "bytes", "reason"), [(d["id"], d["origin"], d["size"], d["reason"]) for d in data])
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from listhaven.archive.stats import list_stats

    return _print_stats(list_stats(_find(args.list)), args)


def quick_stats(args: argparse.Namespace, archive: SqliteArchive) -> int:
    return _print_stats(archive.list_stats(quick_find(archive, args.list)), args)


def _print_stats(stats: ListStats, args: argparse.Namespace) -> int:
    if args.json:
        _print_json(stats.as_dict())
        return 0
    print(stats.list)
    for label, value in (
        ("messages", stats.messages), ("threads", stats.threads), ("authors", stats.authors),
        ("quarantined", stats.quarantined), ("first", stats.first_date), ("last", stats.last_date),
    ):
        print(f"  {label:<12} {value}")
    print()
    print_columns(("month", "messages"), stats.months)
    return 0


def cmd_threads(args: argparse.Namespace) -> int:
    from listhaven.archive.models import Thread

    mlist = _find(args.list)
    return _print_threads(Thread.objects.filter(mailing_list=mlist).order_by("-last_date")[: max(1, args.limit)], args)


def quick_threads(args: argparse.Namespace, archive: SqliteArchive) -> int:
    return _print_threads(archive.recent_threads(quick_find(archive, args.list), max(1, args.limit)), args)


def _print_threads(rows: Iterable[Any], args: argparse.Namespace) -> int:
    """Threads (Thread models or ThreadSummary rows: the same attributes) as a table or JSON."""
    data = [
        {"id": t.public_id, "subject": t.subject, "messages": t.message_count,
         "participants": t.participant_count, "last": t.last_date.isoformat() if t.last_date else None}
        for t in rows
    ]
    if args.json:
        _print_json(data)
        return 0
    print_columns(
        ("last message", "messages", "people", "subject", "id"),
        [((d["last"] or "")[:16].replace("T", " "), d["messages"], d["participants"], d["subject"], d["id"])
         for d in data],
    )
    return 0


def cmd_reindex(args: argparse.Namespace) -> int:
    from listhaven.archive.reindex import reindex_list
    from listhaven.lists.models import MailingList

    mlists = [_find(args.list)] if args.list else list(MailingList.objects.all())
    for mlist in mlists:
        counts = reindex_list(mlist)
        print(f"{mlist.address}: {counts}")
    return 0


def cmd_recount(args: argparse.Namespace) -> int:
    from listhaven.archive.month_counts import recount
    from listhaven.lists.models import MailingList

    names = dict(MailingList.objects.values_list("pk", "address"))
    differences = recount([_find(args.list).pk] if args.list else None, repair=not args.check)
    for d in differences:
        where = names.get(d.list_pk, f"list #{d.list_pk} (removed)")
        print(f"{where} {d.month}: kept {d.kept}, counted {d.counted}")
    done = "differ" if args.check else "differed and were repaired"
    print(f"{len(differences)} month counts {done}" if differences else "every month count is right")
    return 1 if differences and args.check else 0


def cmd_redact(args: argparse.Namespace) -> int:
    from listhaven.archive.models import Message
    from listhaven.archive.redaction import redact
    from listhaven.delivery.outbox import remove_copies
    from listhaven.lists.erasure import purge_message

    mlist = _find(args.list)
    message = Message.objects.filter(mailing_list=mlist, public_id=args.hash.strip()).first()
    if message is None:
        raise CommandError(f"no message {args.hash!r} in {mlist.address}")
    if args.purge:  # the list server's copies and the outbox's too (lists/erasure.py)
        purged = purge_message(message, args.reason, by="cli")
        purged.counts["outbox copies"] = remove_copies(message_id=message.message_id)
        changed, counts = purged.changed, purged.counts
    else:
        changed, counts = redact(message, args.reason, by="cli").changed, {}
    if args.json:
        _print_json({"list": mlist.address, "message": message.public_id, "redacted": True,
                     "purged": args.purge, "changed": changed, "copies": counts})  # fmt: skip
    elif changed:
        print(f"{mlist.address}: message {message.public_id} {'purged' if args.purge else 'removed'}")
        for what, count in counts.items():
            print(f"  {what} deleted: {count}")
    else:
        print(f"{mlist.address}: message {message.public_id} was already removed")
    return 0

