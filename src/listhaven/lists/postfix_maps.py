"""Postfix's tables of the lists, written by Listhaven as Mailman 3 writes its own: `postfix_lmtp`
(transport_maps: each list's posting address and every service address the LMTP server takes, to
``lmtp:[LMTP_HOST]:LMTP_PORT``) and `postfix_domains` (relay_domains: the lists' domains), in
LISTHAVEN_POSTFIX_MAPS (the data directory by default), then `postmap` on each when it is found.

They are written again whenever a list is created (web, `list create`, `import --create`, a moved
list, the demo), removed with its archive, or renamed in the admin, after that change commits, and
by `listhaven postfix-maps`; and by every worker when they no longer match the lists (`refresh_maps`, once
a minute: a list created on another host). Every write reads every list under a lock file, so of two processes
creating lists at once the one that writes last has seen both. Each file appears whole: written
(and postmapped) under a temporary name, then renamed over the old one; a Postfix daemon that sees
the table change restarts and reads the new one.

The service addresses come from lists/service_suffixes.py, the table the LMTP server resolves
recipients by (routing.resolve), so the map and the server accept the same addresses. Addresses with a
+detail (VERP bounces, -confirm+TOKEN) need no line: with ``recipient_delimiter = +`` Postfix looks
them up without it.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction

from listhaven.lists.models import MailingList
from listhaven.lists.service_suffixes import SERVICE_SUFFIXES

log = logging.getLogger(__name__)

TRANSPORT_MAP = "postfix_lmtp"
DOMAINS_MAP = "postfix_domains"
_POSTMAP_PLACES = os.pathsep.join(["/usr/sbin", "/usr/local/sbin", "/sbin"])
_HEADER = ("# Written by Listhaven (`listhaven postfix-maps`), again at each list's creation and removal:\n"
           "# edits here are lost. {what}\n")  # fmt: skip


class PostmapFailed(RuntimeError):
    """`postmap` exited with an error: the message holds what it said."""


@dataclass
class MapsWritten:
    directory: Path
    lists: int
    domains: int
    files: list[Path] = field(default_factory=list)
    postmap: str = ""  # the postmap command that indexed them, or "" when none ran


def list_addresses(address: str) -> list[str]:
    """The posting address of the list at `address` and each of its service addresses, as the LMTP
    server takes them (routing.resolve)."""
    local, _, domain = address.rpartition("@")
    return [address, *(f"{local}{suffix}@{domain}" for suffix in SERVICE_SUFFIXES)]


def lmtp_next_hop(host: str, port: int) -> str:
    """Postfix's next hop for the LMTP server: ``lmtp:[127.0.0.1]:8024`` (a wildcard bind address
    is reached on loopback; an IPv6 address in Postfix's ``[ipv6:...]`` form)."""
    host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    return f"lmtp:[ipv6:{host}]:{port}" if ":" in host else f"lmtp:[{host}]:{port}"


def transport_text(addresses: list[str], hop: str) -> str:
    lines = [_HEADER.format(what="transport_maps (and relay_recipient_maps): every list address to the LMTP server.")]
    for address in sorted(addresses):
        lines.append(f"\n# {address}\n")
        lines += [f"{each:<40} {hop}\n" for each in list_addresses(address)]
    return "".join(lines)


def domains_text(domains: list[str]) -> str:
    lines = [_HEADER.format(what="relay_domains: the lists' domains.")]
    return "".join(lines + [f"{domain:<40} {domain}\n" for domain in sorted(set(domains))])


def maps_directory() -> Path | None:
    """Where the maps go: LISTHAVEN_POSTFIX_MAPS, the data directory when unset, None for `off`."""
    chosen = settings.POSTFIX_MAPS_DIR
    if chosen is None:
        return None
    return Path(chosen) if chosen else Path(settings.DATA_DIR)


def postmap_command() -> str:
    """LISTHAVEN_POSTMAP, or `postmap` where Postfix installs it; "" when off or not found."""
    chosen = settings.POSTMAP
    if chosen.strip().lower() == "off":
        return ""
    if chosen.strip():
        return chosen.strip()
    return shutil.which("postmap") or shutil.which("postmap", path=_POSTMAP_PLACES) or ""


def write_maps(directory: Path | None = None) -> MapsWritten | None:
    """Both tables from the lists now in the database; None when the maps are off."""
    directory = directory or maps_directory()
    if directory is None:
        return None
    directory.mkdir(parents=True, exist_ok=True)
    postmap = postmap_command()
    with _locked(directory):
        addresses = list(MailingList.objects.order_by("address").values_list("address", flat=True))
        hop = lmtp_next_hop(settings.LMTP_HOST, settings.LMTP_PORT)
        domains = [address.rpartition("@")[2] for address in addresses]
        files = [_replace(directory / TRANSPORT_MAP, transport_text(addresses, hop), postmap),
                 _replace(directory / DOMAINS_MAP, domains_text(domains), postmap)]  # fmt: skip
    return MapsWritten(directory, len(addresses), len(set(domains)), files, postmap)


def refresh_maps() -> MapsWritten | None:
    """The worker's timed job: writes the tables again when they no longer say what the lists in the
    database say; None when they do, or the maps are off. A list created, renamed or removed by a process
    of another host wrote that host's tables: within a minute, the worker of the host Postfix reads (each
    host runs one) writes this host's too. Also mends tables whose write after a change failed."""
    directory = maps_directory()
    if directory is None:
        return None
    addresses = list(MailingList.objects.order_by("address").values_list("address", flat=True))
    hop = lmtp_next_hop(settings.LMTP_HOST, settings.LMTP_PORT)
    wanted = {TRANSPORT_MAP: transport_text(addresses, hop),
              DOMAINS_MAP: domains_text([address.rpartition("@")[2] for address in addresses])}  # fmt: skip
    for name, text in wanted.items():
        try:
            if (directory / name).read_text(encoding="utf-8") != text:
                return write_maps(directory)
        except (OSError, UnicodeDecodeError):
            return write_maps(directory)
    return None


def write_maps_after_commit() -> None:
    """Writes the maps once the current transaction commits (at once outside one). A failure is
    logged, not raised: the list's change stands, and `listhaven postfix-maps` writes them again."""
    transaction.on_commit(_write_maps_logged)


def _write_maps_logged() -> None:
    try:
        write_maps()
    except (OSError, PostmapFailed, subprocess.SubprocessError) as error:
        log.error("Postfix maps not written (%s); Postfix routes the lists as before until "
                  "`listhaven postfix-maps` succeeds", error)  # fmt: skip


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    with open(directory / ".postfix_maps.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _replace(path: Path, text: str, postmap: str) -> Path:
    """`text` at `path`, and its postmapped database beside it, each renamed into place whole."""
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    temporary = Path(name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        temporary.chmod(0o644)  # Postfix's daemons read it as their own user
        if postmap:
            _postmap(postmap, temporary)
            for built in temporary.parent.glob(temporary.name + ".*"):
                built.chmod(0o644)
                os.replace(built, path.parent / (path.name + built.name[len(temporary.name):]))
        os.replace(temporary, path)
    finally:
        for left in [temporary, *temporary.parent.glob(temporary.name + ".*")]:
            left.unlink(missing_ok=True)
    return path


def _postmap(command: str, path: Path) -> None:
    result = subprocess.run([command, str(path)], capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        said = (result.stderr or result.stdout).strip().splitlines()
        raise PostmapFailed(f"{command} {path.name} failed (exit {result.returncode}): {' '.join(said[-3:])}")
