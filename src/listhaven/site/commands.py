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
        "createadmin", help="create an administrator account for /admin/, or make an existing account one",
        description="Create a site administrator. It signs in at /accounts/login/ with its address (or user name) "
                    "and password; the address is required, as sign-in links and password resets are mailed to it. "
                    "An address an account has already makes that account an administrator, its password kept "
                    "unless a new one is given. Passwords are checked by the site's password validators. "
                    "From a script: --username, --email and the password on the first line of standard input "
                    "(--email alone, and an empty line or none, to promote an account keeping its password).")  # fmt: skip
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


SCRIPT_USAGE = ("without a terminal, give --username, --email and the password on standard input "
                "(for an account that exists, --email alone makes it an administrator)")


def cmd_createadmin(args: argparse.Namespace) -> int:
    """Interactive on a terminal; from a script, the password is the first line of standard input.

    The address is required: the sign-in page asks for an "Email address", and sign-in links and
    password resets go to it. An administrator made without one could only sign in by typing its
    user name into that field, and never by mail. An address an account has already (a member who
    signed in by a link, say) makes that account an administrator, its password kept unless one is
    given. A password is checked against AUTH_PASSWORD_VALIDATORS the same way on a terminal and
    from a script."""
    import sys

    from django.contrib.auth import get_user_model

    from listhaven.cli import CommandError

    email = (args.email or "").strip()
    terminal = sys.stdin.isatty()
    if terminal:
        problem = admin_address_problem(email) if args.email is not None else None
        while not email or problem:
            if problem:
                print(problem, file=sys.stderr)
            email = input("Email address (the administrator signs in with it): ").strip()
            problem = admin_address_problem(email)
    elif not email:
        raise CommandError(SCRIPT_USAGE)
    elif problem := admin_address_problem(email):
        raise CommandError(problem)
    existing = get_user_model().objects.filter(email__iexact=email).order_by("pk").first()
    if existing is not None:
        return promote_admin(existing, args.username, terminal)
    return create_admin(email, args.username, terminal)


def create_admin(email: str, username: str | None, terminal: bool) -> int:
    import sys

    from django.contrib.auth import get_user_model
    from django.core.exceptions import ValidationError

    from listhaven.cli import CommandError

    model = get_user_model()
    if not terminal and not username:
        raise CommandError(SCRIPT_USAGE)
    while True:
        if terminal and not username:
            username = input(f"User name (leave blank to use {email!r}): ").strip() or email
        try:
            username = model._meta.get_field("username").clean(username, None)
            if model.objects.filter(username=username).exists():
                raise ValidationError(f"user {username!r} exists already")
            break
        except ValidationError as exc:
            if not terminal:
                raise CommandError(" ".join(exc.messages)) from None
            print(" ".join(exc.messages), file=sys.stderr)
            username = None
    user = model(username=username, email=email, is_staff=True, is_superuser=True)
    password = read_password(user, terminal, may_keep=False)
    user.set_password(password)
    user.save()
    print(f"administrator {user.username} created; it signs in with {user.email} (or {user.username}) at /accounts/login/")
    return 0


def promote_admin(user: Any, username: str | None, terminal: bool) -> int:
    """The account with the address asked for becomes staff and superuser; its password changes only
    when a new one is given (a member who signs in by links may have none)."""
    from listhaven.cli import CommandError

    if username and username != user.get_username():
        raise CommandError(f"the account {user.username!r} has the address {user.email} already: "
                           f"leave out --username (or give {user.username!r}) to make it an administrator")  # fmt: skip
    if not user.is_active:
        raise CommandError(f"the account {user.username!r} ({user.email}) is deactivated: it could not sign in")
    if terminal:
        print(f"The account {user.username!r} has the address {user.email}: it becomes an administrator.")
    password = read_password(user, terminal, may_keep=True)
    was = user.is_staff and user.is_superuser
    user.is_staff = user.is_superuser = True
    if password is not None:
        user.set_password(password)
    user.save(update_fields=["is_staff", "is_superuser", "password"])
    if password is not None:
        how = "with its new password"
    elif user.has_usable_password():
        how = "with its password, unchanged"
    else:
        how = "by a link mailed to it from /accounts/link/ (it has no password; give one on standard input to set it)"
    done = "was an administrator already" if was else "is now an administrator"
    print(f"account {user.username} ({user.email}) {done}; it signs in {how}")
    return 0


def read_password(user: Any, terminal: bool, *, may_keep: bool) -> str | None:
    """A new password for `user`: the first line of standard input from a script, asked twice on a
    terminal. None (keep the current one) for an empty answer where `may_keep`; a password the
    validators refuse is refused from a script and asked again on a terminal, with the same words."""
    import getpass
    import sys

    from listhaven.cli import CommandError

    if not terminal:
        password = sys.stdin.readline().rstrip("\n")
        if not password:
            if may_keep:
                return None
            raise CommandError(SCRIPT_USAGE)
        if problem := password_problem(password, user):
            raise CommandError(problem)
        return password
    ask = "New password (leave blank to keep the current one): " if may_keep else "Password: "
    while True:
        password = getpass.getpass(ask)
        if not password:
            if may_keep:
                return None
            print("a password is required", file=sys.stderr)
            continue
        if getpass.getpass("Password (again): ") != password:
            print("the two passwords differ", file=sys.stderr)
            continue
        if problem := password_problem(password, user):
            print(problem, file=sys.stderr)
            continue
        return password


def password_problem(password: str, user: Any) -> str | None:
    """Why AUTH_PASSWORD_VALIDATORS refuse `password` for `user`, or None."""
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    try:
        validate_password(password, user)
    except ValidationError as exc:
        return "password refused: " + " ".join(exc.messages)
    return None


def admin_address_problem(email: str) -> str | None:
    """Why `email` cannot be an administrator's address, or None. An address an account has already is
    not a problem: that account is made the administrator."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    if not email:
        return "an address is required: the administrator signs in with it, and sign-in links go to it"
    try:
        validate_email(email)
    except ValidationError:
        return f"{email!r} is not an email address"
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
