"""listhaven import-list mailman2|mailman3: moving a list with its settings, members and archive."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from listhaven.cli import CommandError

HELP = "move a list from Mailman 2.1 (import-list mailman2 --config config.pck) or Mailman 3 (import-list mailman3)"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("import-list", help=HELP, description=HELP + "; see docs/migration.md")
    kinds = parser.add_subparsers(dest="source", metavar="SOURCE", required=True)
    mm2 = kinds.add_parser("mailman2", help="from Mailman 2.1's lists/LIST/config.pck and archives/private/LIST.mbox")
    mm2.add_argument("--config", required=True, metavar="PATH/config.pck")
    mm2.add_argument("--archive", metavar="PATH/LIST.mbox", help="the list's archive mbox (keeps Pipermail's numbers)")
    mm2.add_argument("--pipermail", metavar="DIR",
                     help="the Pipermail HTML directory (archives/private/LIST): its pages' numbers win")  # fmt: skip
    mm2.add_argument("--address", default="", help="the list's address here (default: NAME@host_name of the config)")
    mm2.add_argument("--json", action="store_true", help="the report as JSON")
    parser.set_defaults(handler=cmd_import_list)


def cmd_import_list(args: argparse.Namespace) -> int:
    if args.source == "mailman2":
        report = _mailman2(args)
    else:
        raise CommandError(f"unknown source {args.source!r}")
    print(json.dumps(report.as_dict(), indent=2, ensure_ascii=False) if args.json else report.render(), end="")
    return 0


def _mailman2(args: argparse.Namespace) -> Any:
    from listhaven.lists.moving.mailman2 import Mailman2Error, plan_from_config, read_config_file
    from listhaven.lists.moving.safe_pickle import UnsafePickle

    for given in (args.archive, args.pipermail):
        if given and not Path(given).exists():
            raise CommandError(f"{given}: no such file or directory")
    try:
        plan = plan_from_config(read_config_file(Path(args.config)), args.address)
    except (UnsafePickle, Mailman2Error, ValueError) as exc:
        raise CommandError(f"{args.config}: {exc}") from exc
    mlist = _create(plan)
    if args.archive:
        _archive(mlist, Path(args.archive), Path(args.pipermail) if args.pipermail else None, plan.report)
    elif args.pipermail:
        plan.report.not_carried.append("the Pipermail pages without the mbox: the messages come from the mbox "
                                       "(archives/private/LIST.mbox); give --archive")  # fmt: skip
    return plan.report


def _create(plan: Any) -> Any:
    from listhaven.lists.moving.apply import apply_plan

    try:
        return apply_plan(plan)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc


def _archive(mlist: Any, mbox: Path, pages: Path | None, report: Any) -> None:
    from listhaven.archive.numbered_import import import_numbered
    from listhaven.mail.sources import SourceError
    from listhaven.mail.sources.pipermail_html import message_numbers

    known = message_numbers(pages) if pages else None
    try:
        done = import_numbered(mlist, mbox, known)
    except SourceError as exc:
        raise CommandError(f"the list was created; its archive was not imported: {exc}") from exc
    span = f"numbers {done.first}-{done.last}" if done.first is not None else "no messages"
    how = f"{done.from_pages} numbered from the Pipermail pages" if known else "numbered by their place in the mbox"
    report.imported.append(f"archive: {done.stored} of {done.read} messages stored ({span}, {how}), "
                           f"{done.quarantined} quarantined")  # fmt: skip
    if done.duplicates:
        shown = ", ".join(str(n) for n in done.duplicates[:20]) + (" ..." if len(done.duplicates) > 20 else "")
        report.not_carried.append(f"{len(done.duplicates)} exact duplicate copies in the mbox are stored once; "
                                  f"their Pipermail numbers ({shown}) answer 404")  # fmt: skip
