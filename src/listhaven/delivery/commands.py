"""CLI subcommand of the delivery layer: lmtp."""

from __future__ import annotations

import argparse
from typing import Any

from listhaven.site.settings_table import current


def register(subparsers: Any) -> None:
    lmtp = subparsers.add_parser(
        "lmtp", help="receive list mail from the MTA over LMTP and archive it (until SIGINT/SIGTERM)"
    )
    lmtp.add_argument("--host", default=current("LMTP_HOST"), help="address to bind (default: $LISTHAVEN_LMTP_HOST or 127.0.0.1)")
    lmtp.add_argument("--port", type=int, default=current("LMTP_PORT"), help="port to bind (default: $LISTHAVEN_LMTP_PORT or 8024)")
    lmtp.set_defaults(handler=cmd_lmtp)


def cmd_lmtp(args: argparse.Namespace) -> int:
    from django.db import connections

    from listhaven.delivery.lmtp import serve

    connections.close_all()  # every database step runs in the server's worker thread

    def announce(host: str, port: int) -> None:
        print(f"listhaven lmtp: listening on {host}:{port} (LMTP); stop with Ctrl-C or SIGTERM", flush=True)

    serve(args.host, args.port, on_ready=announce)
    print("listhaven lmtp: stopped", flush=True)
    return 0
