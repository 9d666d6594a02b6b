"""`listhaven export`: a list, a thread, a month or a search written as mboxrd or Pipermail text."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from listhaven.cli import CommandError


def register(subparsers: Any) -> None:
    exp = subparsers.add_parser(
        "export",
        help="write a list's archive (or one thread, month or search) as mbox or Pipermail text",
        description=(
            "Writes the messages exactly as received, as mboxrd (gzip-compressed when FILE ends in .gz), "
            "or as a Pipermail monthly text archive with addresses obfuscated (--format pipermail). "
            "Removed (redacted) messages are left out."
        ),
    )
    exp.add_argument("list", help="list address or short name")
    which = exp.add_mutually_exclusive_group()
    which.add_argument("--thread", metavar="ID", help="one thread, by its public id")
    which.add_argument("--month", metavar="YYYY-MM", help="one calendar month (UTC)")
    which.add_argument("--query", metavar="Q", help="the messages a search finds (same syntax as the web)")
    exp.add_argument("-o", "--output", required=True, metavar="FILE", help="where to write; '-' for stdout")
    exp.add_argument("--format", choices=("mbox", "pipermail"), default="mbox")
    exp.set_defaults(handler=cmd_export)


def _selection(mlist, args: argparse.Namespace) -> list[int] | None:
    """Message pks in export order; None means the whole list (streamed in storage order)."""
    from listhaven.archive import export

    if args.thread:
        thread = export.find_thread(mlist, args.thread)
        if thread is None:
            raise CommandError(f"{mlist.name} has no thread {args.thread!r}")
        return export.thread_message_pks(thread)
    if args.month:
        try:
            year, month = export.parse_month(args.month)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        return export.month_message_pks(mlist, year, month)
    if args.query is not None:
        try:
            return export.search_message_pks(mlist, args.query)
        except ValueError as exc:
            raise CommandError(f"bad query: {exc}") from exc
    return None


class _Counted:
    """An iterable that counts what passed through it."""

    def __init__(self, items: Iterable[Any]) -> None:
        self.items = items
        self.count = 0

    def __iter__(self) -> Iterator[Any]:
        for item in self.items:
            self.count += 1
            yield item


def _chunks(mlist, pks: list[int] | None, fmt: str, gzip: bool, counter: list[_Counted]) -> Iterator[bytes]:
    from listhaven.archive import export

    if fmt == "pipermail":
        ordered = export.list_message_pks(mlist) if pks is None else pks
        texts = _Counted(export.iter_pipermail_text(mlist, ordered))
        counter.append(texts)
        return export.pipermail_chunks(texts, gzip=gzip)
    messages = _Counted(export.iter_list_raw(mlist) if pks is None else export.iter_raw(pks))
    counter.append(messages)
    return export.mbox_chunks(messages, gzip=gzip)


@contextmanager
def _open_output(name: str) -> Iterator[BinaryIO]:
    if name == "-":
        yield sys.stdout.buffer
        return
    path = Path(name)
    partial = path.with_name(path.name + ".partial")
    try:
        with partial.open("wb") as out:
            yield out
        partial.replace(path)  # a reader never sees half a file under the final name
    finally:
        partial.unlink(missing_ok=True)


def cmd_export(args: argparse.Namespace) -> int:
    from listhaven.lists.directory import ListNotFound, find_list

    try:
        mlist = find_list(args.list)
    except ListNotFound as exc:
        raise CommandError(str(exc)) from exc
    pks = _selection(mlist, args)
    gzip = args.output.endswith(".gz")
    started = time.monotonic()
    counter: list[_Counted] = []
    try:
        with _open_output(args.output) as out:
            out.writelines(_chunks(mlist, pks, args.format, gzip, counter))
    except OSError as exc:
        raise CommandError(f"cannot write {args.output}: {exc}") from exc
    count = counter[0].count
    seconds = time.monotonic() - started
    print(f"{mlist.name}: {count} messages written to {args.output} in {seconds:.1f}s", file=sys.stderr)
    return 0
