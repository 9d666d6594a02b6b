"""listhaven import-list mailman2|mailman3: moving a list with its settings, members and archive."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from listhaven.cli import CommandError

POLICIES = ("public", "members", "owners")
POLICY_HELP = ("who reads the archive here (default: as the old list: a private archive is members-only); "
               "the list has it from the moment it exists, before any message is imported")
UPDATE_HELP = ("the list is here already (moved before, or its archive failed half-way): add only the people, bans "
               "and messages it does not have; its settings and the people on it stay as they are")
DRY_RUN_HELP = ("say what the move would do, changing nothing: the report of the move, the archive read and "
                "each message parsed and counted (new, already here, duplicate, unparseable)")
HELP = "move a list from Mailman 2.1 (import-list mailman2 --config config.pck) or Mailman 3 (import-list mailman3)"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("import-list", help=HELP, description=HELP + "; see docs/migration.md")
    kinds = parser.add_subparsers(dest="source", metavar="SOURCE", required=True)
    mm2 = kinds.add_parser("mailman2", help="from Mailman 2.1's lists/LIST/config.pck and archives/private/LIST.mbox")
    mm2.add_argument("--config", required=True, metavar="PATH/config.pck")
    mm2.add_argument("--archive", metavar="PATH/LIST.mbox", help="the list's archive mbox (keeps Pipermail's numbers)")
    mm2.add_argument("--pipermail", metavar="DIR",
                     help="the Pipermail HTML directory (archives/private/LIST): its pages' numbers win")  # fmt: skip
    mm2.add_argument("--requests", metavar="PATH/request.pck",
                     help="lists/LIST/request.pck: requests to join or leave that wait for the owners wait here too")
    mm2.add_argument("--held-dir", metavar="DIR",
                     help="Mailman's data/ directory: the held posts of --requests are held here with their text")
    mm2.add_argument("--address", default="", help="the list's address here (default: NAME@host_name of the config)")
    mm2.add_argument("--archive-policy", choices=POLICIES, default=None, help=POLICY_HELP)
    mm2.add_argument("--update", action="store_true", help=UPDATE_HELP)
    mm2.add_argument("--dry-run", action="store_true", help=DRY_RUN_HELP)
    mm2.add_argument("--json", action="store_true", help="the report as JSON")
    mm3 = kinds.add_parser("mailman3", help="from Mailman 3's REST API (or the JSON saved from it) and HyperKitty's mbox")
    mm3.add_argument("list", metavar="LIST", help="the list's id (garden.example.org) or address")
    source = mm3.add_mutually_exclusive_group(required=True)
    source.add_argument("--api", metavar="URL", help="the REST API, e.g. http://localhost:8001/3.1")
    source.add_argument("--from-json", metavar="DIR", help="the JSON files saved with docs/migration.md's curl commands")
    mm3.add_argument("--user", default="restadmin", help="the REST API's user (Mailman's MAILMAN_REST_API_USER)")
    mm3.add_argument("--password", default="", help="its password (Mailman's MAILMAN_REST_API_PASS or admin_pass)")
    mm3.add_argument("--archive", metavar="FILE", help="HyperKitty's mbox export of the list (.mbox or .mbox.gz)")
    mm3.add_argument("--address", default="", help="the list's address here (default: its Mailman 3 address)")
    mm3.add_argument("--archive-policy", choices=POLICIES, default=None, help=POLICY_HELP)
    mm3.add_argument("--update", action="store_true", help=UPDATE_HELP)
    mm3.add_argument("--dry-run", action="store_true", help=DRY_RUN_HELP)
    mm3.add_argument("--json", action="store_true", help="the report as JSON")
    parser.set_defaults(handler=cmd_import_list)


def cmd_import_list(args: argparse.Namespace) -> int:
    if args.source == "mailman2":
        report = _mailman2(args)
    elif args.source == "mailman3":
        report = _mailman3(args)
    else:
        raise CommandError(f"unknown source {args.source!r}")
    print(json.dumps(report.as_dict(), indent=2, ensure_ascii=False) if args.json else report.render(), end="")
    return 0


def _mailman2(args: argparse.Namespace) -> Any:
    from listhaven.lists.moving.mailman2 import Mailman2Error, add_requests, plan_from_config, read_config_file
    from listhaven.lists.moving.safe_pickle import UnsafePickle

    for given in (args.archive, args.pipermail, args.requests, args.held_dir):
        if given and not Path(given).exists():
            raise CommandError(f"{given}: no such file or directory")
    try:
        plan = plan_from_config(read_config_file(Path(args.config)), args.address)
    except (UnsafePickle, Mailman2Error, ValueError) as exc:
        raise CommandError(f"{args.config}: {exc}") from exc
    if args.requests:
        try:
            add_requests(read_config_file(Path(args.requests)), plan, Path(args.held_dir) if args.held_dir else None)
        except (UnsafePickle, Mailman2Error, ValueError) as exc:
            raise CommandError(f"{args.requests}: {exc}") from exc
    else:
        plan.report.not_carried.append("requests to join or leave and held posts (lists/LIST/request.pck): not "
                                       "read; give --requests, or decide them in Mailman first")  # fmt: skip
    if args.dry_run:
        return _dry_run(plan, args, Path(args.pipermail) if args.pipermail else None, numbered=True)
    mlist = _create(plan, args)
    if args.archive:
        _archive(mlist, Path(args.archive), Path(args.pipermail) if args.pipermail else None, plan.report)
    elif args.pipermail:
        plan.report.not_carried.append("the Pipermail pages without the mbox: the messages come from the mbox "
                                       "(archives/private/LIST.mbox); give --archive")  # fmt: skip
    return plan.report


def _mailman3(args: argparse.Namespace) -> Any:
    from listhaven.lists.moving.mailman3 import Mailman3Error, api_fetcher, json_fetcher, plan_from_api

    if args.archive and not Path(args.archive).exists():
        raise CommandError(f"{args.archive}: no such file")
    if args.api:
        fetch = api_fetcher(args.api, args.user, args.password)
    elif Path(args.from_json).is_dir():
        fetch = json_fetcher(Path(args.from_json))
    else:
        raise CommandError(f"{args.from_json}: no such directory")
    try:
        plan = plan_from_api(fetch, args.list, args.address)
    except Mailman3Error as exc:
        raise CommandError(str(exc)) from exc
    if args.dry_run:
        return _dry_run(plan, args, None, numbered=False)
    mlist = _create(plan, args)
    if args.archive:
        _hyperkitty_archive(mlist, args.archive, plan.report)
    else:
        plan.report.not_carried.append("the archive: give HyperKitty's mbox export with --archive")
    return plan.report


def _hyperkitty_archive(mlist: Any, path: str, report: Any) -> None:
    from listhaven.archive.importer import import_path
    from listhaven.mail.sources import SourceError

    try:
        done = import_path(mlist, path)
    except SourceError as exc:
        raise CommandError(f"the list was created; its archive was not imported: {exc}; once that is put right, "
                           "run the same command with --update") from exc
    report.imported.append(f"archive: {done.stored} of {done.read} messages stored, {done.duplicates} duplicates, "
                           f"{done.quarantined} quarantined; HyperKitty's message and thread links answer 301")  # fmt: skip


class _RolledBack(Exception):
    """Ends a dry run's transaction: nothing it made is kept."""


def _dry_run(plan: Any, args: argparse.Namespace, pages: Path | None, numbered: bool) -> Any:
    """The report of the move, with the list and its people made in a transaction that is rolled
    back, and the archive surveyed (read and parsed, nothing stored) after it, so no lock is held
    while a large archive is read."""
    from django.db import transaction

    from listhaven.archive.survey import survey_archive
    from listhaven.lists.models import MailingList
    from listhaven.mail.sources import SourceError
    from listhaven.mail.sources.pipermail_html import message_numbers

    try:
        with transaction.atomic():
            _create(plan, args)
            raise _RolledBack
    except _RolledBack:
        pass
    report = plan.report
    report.dry_run = True
    if not args.archive:
        if not numbered:
            report.not_carried.append("the archive: give HyperKitty's mbox export with --archive")
        return report
    existing = MailingList.objects.filter(address=plan.address.strip().lower()).first()
    known = message_numbers(pages) if pages else None
    try:
        survey = survey_archive(existing, args.archive, known, numbered=numbered)
    except SourceError as exc:
        raise CommandError(f"the archive cannot be read: {exc}") from exc
    parts = [f"archive: {survey.new} of {survey.read} messages would be stored"]
    if numbered:
        span = f"numbers {survey.first}-{survey.last}" if survey.first is not None else "no new numbers"
        how = f"{survey.from_pages} numbered from the Pipermail pages" if known else "numbered by their place in the mbox"
        parts[0] += f" ({span}, {how})"
    if survey.years:
        parts.append(f"dated {survey.years[0]} to {survey.years[1]}")
    parts.append(f"{survey.already} already here, {len(survey.duplicates)} duplicate copies, "
                 f"{survey.quarantined} unparseable (they would be quarantined)")  # fmt: skip
    if survey.derived_ids:
        parts.append(f"{survey.derived_ids} without a Message-ID (one is derived from the bytes)")
    if survey.undated:
        parts.append(f"{survey.undated} without a readable Date (dated from Received or the mbox From line)")
    if survey.renumbered:
        parts.append(f"{survey.renumbered} whose Pipermail number is taken here would get the next free one")
    report.imported.append(", ".join(parts))
    if numbered:
        _note_duplicates(survey.duplicates, report)
    return report


def _create(plan: Any, args: argparse.Namespace) -> Any:
    from listhaven.lists.models import MailingList
    from listhaven.lists.moving.apply import apply_plan

    here = MailingList.objects.filter(address=plan.address.strip().lower()).exists()
    if args.archive_policy and not here:
        plan.fields["archive_policy"] = args.archive_policy
        plan.report.imported.append(f"archive policy: {args.archive_policy} (--archive-policy), before the first message")
    try:
        return apply_plan(plan, update=args.update)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc


def _archive(mlist: Any, mbox: Path, pages: Path | None, report: Any) -> None:
    from listhaven.archive.numbered_import import import_numbered, import_page_gaps
    from listhaven.mail.sources import SourceError
    from listhaven.mail.sources.pipermail_html import message_numbers

    known = message_numbers(pages) if pages else None
    try:
        done = import_numbered(mlist, mbox, known)
    except SourceError as exc:
        raise CommandError(f"the list was created; its archive was not imported: {exc}; once that is put right, "
                           "run the same command with --update") from exc
    span = f"numbers {done.first}-{done.last}" if done.first is not None else "no messages"
    how = f"{done.from_pages} numbered from the Pipermail pages" if known else "numbered by their place in the mbox"
    already = done.read - done.stored - done.quarantined - len(done.duplicates)
    report.imported.append(f"archive: {done.stored} of {done.read} messages stored ({span}, {how}), "
                           f"{done.quarantined} quarantined" + (f", {already} already here" if already else "")
                           + (f", {done.renumbered} given the next free number (a post received here meanwhile "
                              "took theirs)" if done.renumbered else ""))  # fmt: skip
    _note_duplicates(done.duplicates, report)
    if pages and known:
        filled = import_page_gaps(mlist, pages, known)
        if filled:
            shown = ", ".join(str(n) for n in filled[:20]) + (" ..." if len(filled) > 20 else "")
            report.imported.append(f"{len(filled)} messages the mbox no longer held (numbers {shown}) taken from "
                                   "Pipermail's monthly text archives at their pages' numbers: Pipermail's copies, "
                                   "addresses obfuscated and attachments scrubbed")  # fmt: skip


def _note_duplicates(numbers: list[int], report: Any) -> None:
    if numbers:
        shown = ", ".join(str(n) for n in numbers[:20]) + (" ..." if len(numbers) > 20 else "")
        report.not_carried.append(f"{len(numbers)} exact duplicate copies in the mbox are stored once; "
                                  f"their Pipermail numbers ({shown}) answer 404")  # fmt: skip
