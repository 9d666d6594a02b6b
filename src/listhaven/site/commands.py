"""CLI subcommands of the site: migrate, serve."""

from __future__ import annotations

import argparse
import os
from typing import Any


def register(subparsers: Any) -> None:
    migrate = subparsers.add_parser("migrate", help="create or upgrade the store's schema")
    migrate.set_defaults(handler=cmd_migrate, needs_schema=False)

    serve = subparsers.add_parser("serve", help="serve the web archive with gunicorn")
    serve.add_argument("--host", default=os.environ.get("LISTHAVEN_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("LISTHAVEN_PORT", "8000")))
    serve.add_argument("--workers", type=int, default=int(os.environ.get("LISTHAVEN_WEB_WORKERS", "2")))
    serve.add_argument("--threads", type=int, default=int(os.environ.get("LISTHAVEN_WEB_THREADS", "4")))
    serve.set_defaults(handler=cmd_serve)


def cmd_migrate(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from django.db import connections

    from listhaven.site.server import serve

    connections.close_all()  # workers are forked: none may inherit the parent's connection
    serve(args.host, args.port, workers=args.workers, threads=args.threads)
    return 0
