"""`listhaven run`: the web server, the LMTP server and `--workers` delivery workers (one by default) as
child processes, started together and stopped together (Ctrl-C, SIGTERM, or any one of them ending). Each
worker is a `listhaven worker` process of its own, with its own journal and claims: N of them share the
queue as N workers started by hand do (delivery/batches.py)."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time

from listhaven.site.settings_table import is_set

STOP_GRACE = 10.0  # seconds a child has to stop after SIGTERM before SIGKILL


def own_site_url(args: argparse.Namespace, site_url_set: bool) -> str | None:
    """The web server's own address for the children when the site's public address is unset, so the
    links in the mail the web process and the worker send (confirmations, unsubscribe, footers) reach
    the server this command starts. None when it is set, or for a wildcard host (it names no server)."""
    if site_url_set or args.host in ("0.0.0.0", "::", ""):
        return None
    host = f"[{args.host}]" if ":" in args.host else args.host
    return f"http://{host}:{args.port}"


def commands(args: argparse.Namespace) -> dict[str, list[str]]:
    base = [sys.executable, "-m", "listhaven"]
    workers = args.workers
    return {
        "web": [*base, "serve", "--host", args.host, "--port", str(args.port)],
        "lmtp": [*base, "lmtp", "--host", args.lmtp_host, "--port", str(args.lmtp_port)],
        **{("worker" if workers == 1 else f"worker {n}"): [*base, "worker"] for n in range(1, workers + 1)},
    }


def run_together(args: argparse.Namespace) -> int:
    stopping = {"signal": 0}

    def on_signal(signum: int, _frame: object) -> None:
        stopping["signal"] = signum

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    children: dict[str, subprocess.Popen[bytes]] = {}
    if url := own_site_url(args, is_set("SITE_URL")):
        os.environ["LISTHAVEN_SITE_URL"] = url  # the children inherit it
    try:
        for name, argv in commands(args).items():
            children[name] = subprocess.Popen(argv)  # the same environment: the same store and settings
        workers = "one worker" if len(children) == 3 else f"{len(children) - 2} workers"
        print(f"listhaven run: web {args.host}:{args.port}, LMTP {args.lmtp_host}:{args.lmtp_port}, {workers} "
              f"(pids {', '.join(f'{n} {c.pid}' for n, c in children.items())}); stop with Ctrl-C", flush=True)  # fmt: skip
        ended = ""
        while not stopping["signal"] and not ended:
            ended = next((name for name, child in children.items() if child.poll() is not None), "")
            time.sleep(0.2)
        if ended:
            print(f"listhaven run: {ended} stopped (status {children[ended].returncode}); stopping the others",
                  file=sys.stderr, flush=True)  # fmt: skip
    finally:
        stop_all(children)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    print("listhaven run: stopped", flush=True)
    return 0 if stopping["signal"] else 1


def stop_all(children: dict[str, subprocess.Popen[bytes]]) -> None:
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE
    for child in children.values():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
