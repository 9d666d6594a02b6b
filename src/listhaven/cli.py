"""The one `listhaven` command.

Global options: ``--data-dir`` (or LISTHAVEN_DATA) chooses the store, so several can live side by side.

Start-up is part of every command's answer time (`listhaven search` should answer as fast as
`mu find`), so nothing is imported before it is needed:

- COMMANDS below names each subcommand, the module that defines it and its one-line help. Only the
  module of the command being run is imported; `listhaven --help` imports none.
- Django is set up after the arguments are parsed, and the schema check reads the migration table
  and the migration file names instead of loading every migration (`ensure_schema`).
- Command modules import what a handler needs inside the handler (rich, the search service,
  servers), never at module level, and this module imports nothing beyond the standard library's
  argparse, os and sys.
- The read commands (`lists`, `stats`, `threads`, `search`) answer a SQLite store without Django:
  their parser also names a `quick_handler(args, archive)` that reads through
  archive/sqlite_reads.py. It runs when `quick_connection` opens the store (SQLite, schema up to
  date); otherwise, or when it answers None, the Django handler does (PostgreSQL, a new store).

To add a command: one line in COMMANDS, and in that module a `register(subparsers)` that adds a
parser of the same name with `set_defaults(handler=...)`. tests/test_cli.py checks that the table
and the modules agree. Check the cost with ``python -X importtime -m listhaven COMMAND --help``.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3

# name -> (module whose register(subparsers) adds it, help shown by `listhaven --help`), in the
# order of `listhaven --help`.
COMMANDS: dict[str, tuple[str, str]] = {
    "list": ("listhaven.archive.commands", "create a list (list create NAME@DOMAIN)"),
    "lists": ("listhaven.archive.commands", "show every list"),
    "import": ("listhaven.archive.commands", "import mbox, Maildir, Pipermail .txt or '-' (stdin) into a list"),
    "quarantine": ("listhaven.archive.commands", "messages that could not be parsed, with the reason"),
    "stats": ("listhaven.archive.commands", "messages, threads, authors, dates and months of a list"),
    "threads": ("listhaven.archive.commands", "the most recent threads of a list"),
    "reindex": ("listhaven.archive.commands", "rebuild threads and the search index from the raw messages"),
    "recount": ("listhaven.archive.commands",
                "count each list's messages by month again from the messages, and repair the kept counts that differ"),
    "redact": ("listhaven.archive.commands", "remove a message from the archive's pages, search, feeds and exports"),
    "search": ("listhaven.search.commands", "search a list's archive (LIST may be 'all'); see docs/search.md"),
    "export": ("listhaven.archive.export_commands",
               "write a list's archive (or one thread, month or search) as mbox or Pipermail text"),
    "members": ("listhaven.lists.commands",
                "show a list's members (members LIST), or add/remove them (members add|remove LIST ADDRESS...)"),
    "post": ("listhaven.lists.commands", "send a message to a list's address, as if it came over LMTP"),
    "postfix-maps": ("listhaven.lists.commands",
                     "write Postfix's tables of the lists (postfix_lmtp, postfix_domains) and postmap them"),
    "held": ("listhaven.lists.commands", "posts of a list waiting for a moderator"),
    "moderate": ("listhaven.lists.commands", "decide a held post: accept, reject, discard or defer"),
    "import-list": ("listhaven.lists.moving.commands",
                    "move a list from Mailman 2.1 (import-list mailman2 --config config.pck) or Mailman 3 (import-list mailman3)"),
    "erase-address": ("listhaven.lists.erasure_commands",
                      "erase a person's address from the lists, the queue, the outbox and their account (GDPR erasure)"),
    "digests": ("listhaven.lists.upkeep_commands", "send the digest issues that are due (digests send [LIST...])"),
    "bounces": ("listhaven.lists.upkeep_commands", "a list's members with a bounce score, and those bounces disabled"),
    "status": ("listhaven.lists.upkeep_commands",
               "the outgoing queue, held posts, unread service mail and quarantine; exit status 1 when something needs a person"),
    "api-token": ("listhaven.site.commands", "make (show once) or revoke the API token of an account: api-token ADDRESS [--revoke]"),
    "migrate": ("listhaven.site.commands", "create or upgrade the store's schema"),
    "migrate-store": ("listhaven.site.commands",
                      "copy a SQLite store to PostgreSQL (migrate-store --to postgres://...), resumable and verified"),
    "createadmin": ("listhaven.site.commands", "create an administrator account for /admin/, or make an existing account one"),
    "serve": ("listhaven.site.commands", "serve the web archive with gunicorn"),
    "lmtp": ("listhaven.delivery.commands",
             "receive list mail from the MTA over LMTP: posts, and mail to the lists' -owner, -bounces, -request, -join, -leave, -confirm addresses (until SIGINT/SIGTERM)"),
    "worker": ("listhaven.delivery.commands",
               "send the outgoing queue to the MTA (or the outbox) and run the timed jobs (until SIGINT/SIGTERM)"),
    "run": ("listhaven.delivery.commands", "run the web server, the LMTP server and the workers together"),
    "dkim": ("listhaven.delivery.commands", "DKIM keys of the list domains: dkim generate DOMAIN, dkim show DOMAIN"),
    "demo-data": ("listhaven.demo.commands", "write a generated demo archive as mbox files"),
    "demo-import": ("listhaven.demo.commands", "generate the demo archive and import it"),
    "demo-members": ("listhaven.demo.commands", "give the demo list an owner and a few members"),
    "demo-dkim": ("listhaven.demo.commands",
                  "give each demo list domain a DKIM key (once) and print the DNS record a site would publish"),
}
_GLOBAL_OPTIONS_WITH_VALUE = ("--data-dir",)


class CommandError(Exception):
    """A user-facing failure: printed without a traceback, exit status 1."""


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser with the command that `argv` names fully defined and the others as names with
    their help only; without `argv`, every command fully defined (tests, documentation).

    When `argv` names a known command and asks for no top-level help, only that command gets a
    parser: each parser argparse builds looks up its own translated strings (gettext searches the
    locale directories on every call), which cost `listhaven search` a sixth of its time."""
    parser = argparse.ArgumentParser(
        prog="listhaven",
        description="Mailing lists and their archives: import, thread, search and serve list mail.",
    )
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="where the embedded store lives (default: $LISTHAVEN_DATA or ./listhaven-data)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    wanted = command_name(argv) if argv is not None else None
    modules = list(dict.fromkeys(module for module, _ in COMMANDS.values()))
    if argv is not None:
        modules = [COMMANDS[wanted][0]] if wanted in COMMANDS else []
    alone = wanted in COMMANDS and not _asks_top_level_help(argv or [], wanted)
    for name, (module, help_text) in COMMANDS.items():
        if module in modules:
            __import__(module, fromlist=["register"]).register(_Only(subparsers, module, wanted if alone else None))
            modules.remove(module)
        if name not in subparsers.choices and not alone:
            subparsers.add_parser(name, help=help_text)
    return parser


def _asks_top_level_help(argv: Sequence[str], command: str | None) -> bool:
    """-h or --help before the command's name (after it, the command's own help is asked for)."""
    words = list(argv)
    before = words[: words.index(command)] if command in words else words
    return any(word in ("-h", "--help") for word in before)


class _Only:
    """The subparsers action as a command module sees it: a command the table does not give to that
    module fails at once, and each command's help is the table's. With `wanted`, the module's other
    commands are defined into a `_Unused` and get no parser."""

    def __init__(self, subparsers: argparse._SubParsersAction, module: str, wanted: str | None = None) -> None:  # type: ignore[type-arg]
        self.subparsers = subparsers
        self.module = module
        self.wanted = wanted

    def add_parser(self, name: str, **kwargs: object) -> argparse.ArgumentParser:
        if COMMANDS.get(name, ("",))[0] != self.module:
            raise LookupError(f"{self.module} adds the command {name!r}: name it in listhaven.cli.COMMANDS")
        if self.wanted is not None and name != self.wanted:
            return _Unused()  # type: ignore[return-value]
        kwargs["help"] = COMMANDS[name][1]
        return self.subparsers.add_parser(name, **kwargs)  # type: ignore[arg-type]


class _Unused:
    """The parser of a command that is not being run: takes its definition and keeps none of it."""

    def __getattr__(self, name: str) -> object:
        return self._ignore

    def _ignore(self, *args: object, **kwargs: object) -> _Unused:
        return self


def command_name(argv: Sequence[str]) -> str | None:
    """The subcommand `argv` names: its first word that is neither an option nor an option's value."""
    words = iter(argv)
    for word in words:
        if word in _GLOBAL_OPTIONS_WITH_VALUE:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def use_data_dir(data_dir: str | None) -> str:
    """--data-dir, given to the settings through their environment variable; the settings module."""
    from pathlib import Path

    if data_dir:
        os.environ["LISTHAVEN_DATA"] = str(Path(data_dir).resolve())
    return os.environ.setdefault("DJANGO_SETTINGS_MODULE", "listhaven.site.settings")


def setup_django(data_dir: str | None) -> None:
    from pathlib import Path

    use_data_dir(data_dir)
    import django
    from django.conf import settings

    django.setup()
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        Path(settings.DATA_DIR).mkdir(parents=True, exist_ok=True)


def ensure_schema() -> None:
    """Brings the store's schema up to date; a fresh store needs no separate step. A new SQLite
    store starts as a copy of the schema snapshot of this code version when there is one, and
    leaves one behind when there was not (site/schema_snapshot.py)."""
    from listhaven.site import schema_snapshot

    new_store = schema_snapshot.is_new_store()
    if new_store and schema_snapshot.restore() and every_migration_recorded():
        return
    if every_migration_recorded():
        return
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from listhaven.site.schema_lock import schema_lock

    with schema_lock():  # another process starting now waits here, then finds the schema done
        if every_migration_recorded():
            return
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            call_command("migrate", interactive=False, verbosity=0)
        if new_store:
            schema_snapshot.save()


def every_migration_recorded() -> bool:
    """True when each migration file of each app is in the store's migration table.

    The usual answer, found with one query and a directory listing per app instead of importing
    every migration into a graph (which took longer than a search). Any doubt (no table yet, a file
    that is not recorded, a squashed migration) answers False, and Django's own check decides.
    """
    from importlib.util import find_spec

    from django.apps import apps
    from django.conf import settings
    from django.db import DatabaseError, connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT app, name FROM django_migrations")
            applied = set(cursor.fetchall())
    except DatabaseError:
        return False
    folders = []
    for config in apps.get_app_configs():
        module = settings.MIGRATION_MODULES.get(config.label, f"{config.name}.migrations")
        spec = find_spec(module) if module else None
        folders += [(config.label, folder) for folder in ((spec.submodule_search_locations or []) if spec else [])]
    return all_recorded(applied, folders)


def all_recorded(applied: set[tuple[str, str]], folders: Sequence[tuple[str, str]]) -> bool:
    """Whether each migration file in each (app label, folder) is among the `applied` (label, name)."""
    for label, folder in folders:
        for file_name in os.listdir(folder):
            name, dot, extension = file_name.rpartition(".")
            if dot and extension == "py" and not name.startswith(("_", "~")) and (label, name) not in applied:
                return False
    return True


def quick_connection(data_dir: str | None) -> sqlite3.Connection | None:
    """The SQLite store opened for the quick read path, or None when Django must answer: a
    PostgreSQL store, no store yet, or a schema that `ensure_schema` would migrate first.

    Django's settings module says where the store is (it imports nothing of Django). The schema
    check is `every_migration_recorded`'s for Listhaven's own apps, whose tables the quick path
    reads; Django's contrib apps (accounts, sessions) change only with Django and are not read.
    """
    import importlib
    import sqlite3
    from pathlib import Path

    site = importlib.import_module(use_data_dir(data_dir))
    database = site.DATABASES["default"]
    if not database["ENGINE"].endswith("sqlite3") or getattr(site, "MIGRATION_MODULES", None):
        return None
    path = Path(database["NAME"])
    if not path.is_file():
        return None
    package = Path(__file__).resolve().parent
    folders = [
        (app.rsplit(".", 1)[1], str(package.joinpath(*app.split(".")[1:], "migrations")))
        for app in site.INSTALLED_APPS
        if app.startswith("listhaven.") and package.joinpath(*app.split(".")[1:], "migrations").is_dir()
    ]
    connection = sqlite3.connect(path, timeout=database.get("OPTIONS", {}).get("timeout", 5))
    try:
        connection.execute("PRAGMA query_only = ON")  # this path only reads
        applied = set(connection.execute("SELECT app, name FROM django_migrations").fetchall())
    except sqlite3.DatabaseError:
        applied = set()
    if applied and all_recorded(applied, folders):
        return connection
    connection.close()
    return None


def main(argv: Sequence[str] | None = None, *, quick: bool = True) -> int:
    """Runs one command. `quick=False` makes the read commands answer through Django even on a
    SQLite store (tests compare the two paths)."""
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv).parse_args(argv)
    try:
        return _run(args, quick)
    except CommandError as exc:
        print(f"listhaven {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: everything committed so far is kept; run the same command again to resume", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`listhaven members LIST --json | head`): stop quietly, as other tools do,
        # instead of a traceback; what was committed stays. Python's flush at exit would fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:
        if not is_disk_full(exc):
            raise
        print(
            f"listhaven {args.command}: the disk is full ({exc}). Everything committed so far is kept; "
            "free some space and run the same command again to continue.",
            file=sys.stderr,
        )
        return 1


def _run(args: argparse.Namespace, quick: bool) -> int:
    quick_handler = getattr(args, "quick_handler", None)
    if quick and quick_handler is not None:
        connection = quick_connection(args.data_dir)
        if connection is not None:
            from listhaven.archive.sqlite_reads import SqliteArchive

            try:
                answered = quick_handler(args, SqliteArchive(connection))
            finally:
                connection.close()
            if answered is not None:
                return int(answered)
    setup_django(args.data_dir)
    if getattr(args, "needs_schema", True):
        ensure_schema()
    return int(args.handler(args) or 0)


def is_disk_full(exc: BaseException) -> bool:
    """The OS's ENOSPC, or SQLite's SQLITE_FULL as its driver (and Django) report it."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return True
    return "database or disk is full" in str(exc)


if __name__ == "__main__":
    # Run as `python -m listhaven.cli`: use the importable module, so its CommandError is the one
    # the subcommand modules raise.
    from listhaven.cli import main as _main

    sys.exit(_main())
