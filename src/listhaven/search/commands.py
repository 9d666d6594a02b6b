"""CLI: ``listhaven search LIST 'query'`` (LIST may be ``all``), as a table or ``--json``.

Two handlers print the same page: `cmd_search` through Django (any store) and `quick_search` through
the sqlite3 module (a SQLite store; see cli.py). Both build it with archive/search_pages.py.
"""

from __future__ import annotations

import argparse
import json
import re
from html import unescape
from typing import TYPE_CHECKING, Any

from listhaven.cli import CommandError
from listhaven.columns import print_columns

if TYPE_CHECKING:
    from listhaven.archive.sqlite_reads import SqliteArchive

# Imports beyond the standard library go inside the handler: see listhaven/cli.py.
_TAGS = re.compile(r"</?mark>")


def register(subparsers: Any) -> None:
    cmd = subparsers.add_parser("search", help="search a list's archive (LIST may be 'all'); see docs/search.md")
    cmd.add_argument("list", help="list address or short name, or 'all'")
    cmd.add_argument("query", help="e.g. 'from:alice subject:\"release notes\" date:2019..2020 -draft'")
    cmd.add_argument("--sort", choices=("relevance", "date"), default="relevance")
    cmd.add_argument("--threads", action="store_true", help="group the results by thread")
    cmd.add_argument("--limit", type=int, default=20, help="results per page (at most 100)")
    cmd.add_argument("--page", type=int, default=1)
    cmd.add_argument("--json", action="store_true")
    cmd.set_defaults(handler=cmd_search, quick_handler=quick_search)


def cmd_search(args: argparse.Namespace) -> int:
    from listhaven.archive.search import QueryError, search
    from listhaven.lists.directory import ListNotFound, find_list
    from listhaven.lists.models import MailingList

    try:
        lists = list(MailingList.objects.all()) if args.list == "all" else [find_list(args.list)]
    except ListNotFound as exc:
        raise CommandError(str(exc)) from exc
    try:
        results = search(
            lists, args.query, sort=args.sort, group="thread" if args.threads else None,
            page=args.page, per_page=args.limit,
        )
    except QueryError as exc:
        raise CommandError(str(exc)) from exc
    return _print_results(results, args)


def quick_search(args: argparse.Namespace, archive: SqliteArchive) -> int | None:
    """The same page without Django; None for --json, whose URLs come from Django's URL map."""
    if args.json:
        return None
    from listhaven.archive.commands import quick_find
    from listhaven.archive.search_pages import search_page
    from listhaven.search.query import QueryError

    lists = archive.all_lists() if args.list == "all" else [quick_find(archive, args.list)]
    try:
        results = search_page(
            archive, lists, args.query, sort=args.sort, group="thread" if args.threads else None,
            page=args.page, per_page=args.limit,
        )
    except QueryError as exc:
        raise CommandError(str(exc)) from exc
    return _print_results(results, args)


def _print_results(results: Any, args: argparse.Namespace) -> int:
    if args.json:
        print(json.dumps(results.to_dict(), indent=2, ensure_ascii=False))
        return 0
    _print_table(results)
    return 0


def _plain(html: str) -> str:
    return unescape(_TAGS.sub("", html))


def _print_table(results: Any) -> None:
    one = results.total == 1 and results.total_exact
    noun = ("thread" if one else "threads") if results.group == "thread" else ("message" if one else "messages")
    print(f"{results.total_label} {noun} {'matches' if one else 'match'} {results.query} (page {results.page}, by {results.sort})")
    if results.group == "thread":
        print_columns(
            ("last", "list", "matches", "messages", "subject", "thread"),
            [(t.last_date.strftime("%Y-%m-%d") if t.last_date else "", t.list_name, t.matches, t.message_count,
              t.subject, t.thread_id) for t in results.threads],
        )
    else:
        print_columns(
            ("date", "list", "author", "subject", "id"),
            [(h.date.strftime("%Y-%m-%d %H:%M"), h.list_name, h.author, _plain(h.subject_html), h.public_id)
             for h in results.hits],
        )
