"""CLI subcommands of the site: migrate, serve."""

from __future__ import annotations

import argparse
from typing import Any

from listhaven.site.settings_table import current


def register(subparsers: Any) -> None:
    migrate = subparsers.add_parser(
        "migrate", help="create or upgrade the store's schema",
        description="Create or upgrade the store's schema, printing each migration applied. Every other command "
                    "does it when the schema is behind; processes starting at once wait for one another.")  # fmt: skip
    migrate.set_defaults(handler=cmd_migrate, needs_schema=False)

    admin = subparsers.add_parser(
        "createadmin", help="create an administrator account for /admin/ (asks for a password)",
        description="Create a site administrator. It signs in at /accounts/login/ with its address (or user name) "
                    "and password; the address is required, as sign-in links and password resets are mailed to it. "
                    "From a script: --username, --email and the password on the first line of standard input.")  # fmt: skip
    admin.add_argument("--username", default=None)
    admin.add_argument("--email", default=None, help="the administrator's address (required; asked on a terminal)")
    admin.set_defaults(handler=cmd_createadmin)

    token = subparsers.add_parser("api-token")
    token.add_argument("address", help="the account's address")
    token.add_argument("--revoke", action="store_true", help="revoke the account's token instead of making one")
    token.set_defaults(handler=cmd_api_token)

    move = subparsers.add_parser("migrate-store", help="copy this SQLite store to PostgreSQL")
    move.add_argument("--to", required=True, metavar="postgres://USER@HOST/DB", help="an empty PostgreSQL database")
    move.add_argument("--chunk", type=int, default=500, help="rows per committed chunk (default 500)")
    move.set_defaults(handler=cmd_migrate_store)

    serve = subparsers.add_parser("serve", help="serve the web archive with gunicorn")
    serve.add_argument("--host", default=current("WEB_HOST"), help="address to bind (default: $LISTHAVEN_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, default=current("WEB_PORT"), help="port to bind (default: $LISTHAVEN_PORT or 8000)")
    serve.add_argument("--workers", type=int, default=current("WEB_WORKERS"),
                       help="gunicorn worker processes (default: $LISTHAVEN_WEB_WORKERS or 2)")
    serve.add_argument("--threads", type=int, default=current("WEB_THREADS"),
                       help="threads per worker process (default: $LISTHAVEN_WEB_THREADS or 4)")
    serve.set_defaults(handler=cmd_serve)


def cmd_migrate(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    from listhaven.site.schema_lock import schema_lock

    with schema_lock():  # not beside a service starting on the same store (cli.ensure_schema)
        call_command("migrate", interactive=False, verbosity=1)
    return 0


def cmd_api_token(args: argparse.Namespace) -> int:
    """Prints a new token (the only time it is shown; it replaces the account's old one), or revokes it."""
    from django.contrib.auth import get_user_model

    from listhaven.cli import CommandError
    from listhaven.web.api.tokens import create_token, revoke_token

    user = get_user_model().objects.filter(email__iexact=args.address.strip()).order_by("pk").first()
    if user is None:
        raise CommandError(f"no account with the address {args.address}")
    if args.revoke:
        print("revoked" if revoke_token(user) else f"{user.email} had no token")
        return 0
    print(create_token(user))
    return 0


def cmd_createadmin(args: argparse.Namespace) -> int:
    """Interactive on a terminal; from a script, the password is the first line of standard input.

    The address is required: the sign-in page asks for an "Email address", and sign-in links and
    password resets go to it. An administrator made without one could only sign in by typing its
    user name into that field, and never by mail."""
    import sys

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from listhaven.cli import CommandError

    email = (args.email or "").strip()
    if sys.stdin.isatty():
        problem = admin_address_problem(email) if args.email is not None else None
        while not email or problem:
            if problem:
                print(problem, file=sys.stderr)
            email = input("Email address (the administrator signs in with it): ").strip()
            problem = admin_address_problem(email)
        options = {"username": args.username} if args.username else {}
        call_command("createsuperuser", email=email, **options)
        return 0
    password = sys.stdin.readline().rstrip("\n")
    if not args.username or not email or not password:
        raise CommandError("without a terminal, give --username, --email and the password on standard input")
    problem = admin_address_problem(email)
    if problem:
        raise CommandError(problem)
    users = get_user_model().objects
    if users.filter(username=args.username).exists():
        raise CommandError(f"user {args.username!r} exists already")
    user = users.create_superuser(args.username, email, password)
    print(f"administrator {user.username} created; it signs in with {user.email} (or {user.username}) at /accounts/login/")
    return 0


def admin_address_problem(email: str) -> str | None:
    """Why `email` cannot be a new administrator's address, or None."""
    from django.contrib.auth import get_user_model
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    if not email:
        return "an address is required: the administrator signs in with it, and sign-in links go to it"
    try:
        validate_email(email)
    except ValidationError:
        return f"{email!r} is not an email address"
    taken = get_user_model().objects.filter(email__iexact=email).values_list("username", flat=True).first()
    if taken is not None:
        return f"the account {taken!r} has the address {email} already: give another address"
    return None


def cmd_migrate_store(args: argparse.Namespace) -> int:
    """Resumable: run the same command again after an interruption (see docs/operations.md)."""
    from django.db import connection

    from listhaven.cli import CommandError
    from listhaven.site.store_move import StoreMoveError, move_store

    if connection.vendor != "sqlite":
        raise CommandError("the store is not SQLite: migrate-store copies a SQLite store (unset DATABASE_URL)")
    try:
        report = move_store(args.to, chunk=args.chunk)
    except (StoreMoveError, ValueError) as exc:
        raise CommandError(str(exc)) from exc
    rows = sum(report.copied.values())
    print(
        f"copied {rows} rows in {len(report.copied)} tables{' (resumed)' if report.resumed else ''}, "
        f"{report.indexed} messages indexed for search; verified: row counts equal, messages hash {report.messages_hash}"
    )
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from django.db import connections

    from listhaven.site.deployment import refuse_public_default_key
    from listhaven.site.server import serve

    refuse_public_default_key()
    connections.close_all()  # workers are forked: none may inherit the parent's connection
    serve(args.host, args.port, workers=args.workers, threads=args.threads)
    return 0
