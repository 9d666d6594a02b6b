"""The one `listhaven` command. Each layer registers its subcommands from its own `commands` module.

Global options: ``--data-dir`` (or LISTHAVEN_DATA) chooses the store, so several can live side by side.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

# Modules with a `register(subparsers)` function; the order is the order of `listhaven --help`.
COMMAND_MODULES = (
    "listhaven.archive.commands",
    "listhaven.search.commands",
    "listhaven.archive.export_commands",
    "listhaven.site.commands",
    "listhaven.delivery.commands",
    "listhaven.demo.commands",
)


class CommandError(Exception):
    """A user-facing failure: printed without a traceback, exit status 1."""


def build_parser() -> argparse.ArgumentParser:
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
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def setup_django(data_dir: str | None) -> None:
    if data_dir:
        os.environ["LISTHAVEN_DATA"] = str(Path(data_dir).resolve())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "listhaven.site.settings")
    import django
    from django.conf import settings

    django.setup()
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        Path(settings.DATA_DIR).mkdir(parents=True, exist_ok=True)


def ensure_schema() -> None:
    """Brings the store's schema up to date; a fresh store needs no separate step."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        call_command("migrate", interactive=False, verbosity=0)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_django(args.data_dir)
    if getattr(args, "needs_schema", True):
        ensure_schema()
    try:
        return int(args.handler(args) or 0)
    except CommandError as exc:
        print(f"listhaven {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: everything committed so far is kept; run the same command again to resume", file=sys.stderr)
        return 130
    except Exception as exc:
        if not is_disk_full(exc):
            raise
        print(
            f"listhaven {args.command}: the disk is full ({exc}). Everything committed so far is kept; "
            "free some space and run the same command again to continue.",
            file=sys.stderr,
        )
        return 1


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
