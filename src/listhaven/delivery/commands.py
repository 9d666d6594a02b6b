"""CLI subcommands of the delivery layer: lmtp, worker, run, dkim."""

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

    worker = subparsers.add_parser(
        "worker", help="send the outgoing queue to the MTA (or the outbox) and run the timed jobs (until SIGINT/SIGTERM)"
    )
    worker.add_argument("--until-idle", action="store_true", help="stop once no batch is due instead of waiting")
    worker.set_defaults(handler=cmd_worker)

    run = subparsers.add_parser("run", help="run the web server, the LMTP server and the workers together")
    run.add_argument("--host", default=current("WEB_HOST"), help="web address (default: $LISTHAVEN_HOST or 127.0.0.1)")
    run.add_argument("--port", type=int, default=current("WEB_PORT"), help="web port (default: $LISTHAVEN_PORT or 8000)")
    run.add_argument("--lmtp-host", default=current("LMTP_HOST"), help="LMTP address (default: $LISTHAVEN_LMTP_HOST)")
    run.add_argument("--lmtp-port", type=int, default=current("LMTP_PORT"), help="LMTP port (default: $LISTHAVEN_LMTP_PORT)")
    run.add_argument("--workers", type=positive, default=current("RUN_WORKERS"), metavar="N",
                     help="delivery workers, each a process of its own (default: $LISTHAVEN_RUN_WORKERS or 1)")
    run.set_defaults(handler=cmd_run)

    dkim = subparsers.add_parser("dkim", help="DKIM keys of the domains the lists send from")
    actions = dkim.add_subparsers(dest="dkim_action", metavar="ACTION")
    actions.required = True
    generate = actions.add_parser("generate", help="make a key for DOMAIN and print its DNS TXT record")
    generate.add_argument("domain")
    generate.add_argument("--selector", default="listhaven", help="DKIM selector (default: listhaven)")
    generate.add_argument("--bits", type=int, default=2048)
    generate.add_argument("--replace", action="store_true", help="replace the domain's existing key")
    show = actions.add_parser("show", help="print the DNS TXT record of DOMAIN's key")
    show.add_argument("domain")
    dkim.set_defaults(handler=cmd_dkim)


def positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a count of at least 1")
    return number


def cmd_lmtp(args: argparse.Namespace) -> int:
    from django.db import connections

    from listhaven.delivery.lmtp import serve
    from listhaven.site.deployment import refuse_public_default_key

    refuse_public_default_key()
    connections.close_all()  # every database step runs in the server's worker thread

    def announce(host: str, port: int) -> None:
        print(f"listhaven lmtp: listening on {host}:{port} (LMTP); stop with Ctrl-C or SIGTERM", flush=True)

    serve(args.host, args.port, on_ready=announce)
    print("listhaven lmtp: stopped", flush=True)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    import signal
    import threading

    from django.conf import settings

    from listhaven.delivery.outgoing import run_worker
    from listhaven.site.deployment import refuse_public_default_key

    refuse_public_default_key()
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    where = f"SMTP {settings.SMTP_HOST}:{settings.SMTP_PORT}" if settings.SMTP_HOST else "the outbox Maildir"
    print(f"listhaven worker: sending to {where}; stop with Ctrl-C or SIGTERM", flush=True)
    run_worker(stop, until_idle=args.until_idle)
    print("listhaven worker: stopped", flush=True)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from listhaven.delivery.processes import run_together
    from listhaven.site.deployment import refuse_public_default_key

    refuse_public_default_key()
    return run_together(args)


def cmd_dkim(args: argparse.Namespace) -> int:
    from listhaven.cli import CommandError
    from listhaven.delivery.dkim_keys import DkimKeyExists, generate_key, txt_record

    domain = args.domain.lower().rstrip(".")
    if args.dkim_action == "generate":
        try:
            key = generate_key(domain, args.selector, bits=args.bits, replace=args.replace)
        except DkimKeyExists as error:
            raise CommandError(str(error)) from error
        print(f"Copies from lists at {domain} are now signed. Publish this DNS TXT record:\n")
    else:
        from listhaven.lists.models import DkimKey

        key = DkimKey.objects.filter(domain=domain).first()
        if key is None:
            raise CommandError(f"no DKIM key for {domain} (make one with: listhaven dkim generate {domain})")
    name, value = txt_record(key)
    print(f"{name} IN TXT {value}")
    return 0
