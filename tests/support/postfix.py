"""A private Postfix instance on loopback for tests (Debian's postfix package; root only).

Its own config, queue and data directories under a fresh directory; smtpd on an ephemeral loopback
port; no DNS (numeric next hops); every log line in DIR/maillog. The default config's
`alternate_config_directories` must name our config directory for `postfix -c` to accept it: it is
added for the instance's life and removed afterwards. Stopped by the master's PID (``postfix stop``
can hang waiting on children).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.ports import free_port, wait_for_port

SERVICES = """\
{listen} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def postfix_available() -> str:
    """'' when a private Postfix can run here, else why not."""
    if not shutil.which("postfix", path="/usr/sbin:/usr/bin:/sbin:/bin"):
        return "postfix is not installed (.ci/run installs it: apt-get install postfix)"
    if os.geteuid() != 0:
        return "a private postfix instance needs root"
    return ""


def _postconf(*args: str) -> str:
    return subprocess.run(["postconf", *args], check=True, capture_output=True, text=True, timeout=30).stdout.strip()


@contextmanager
def private_postfix(
    relay_port: int, transports: dict[str, str], main_cf: dict[str, str] | None = None
) -> Iterator[tuple[int, Path]]:
    """(smtpd port, directory): mail for the `transports` addresses goes to their next hop
    (``lmtp:[127.0.0.1]:PORT``); anything else is relayed to 127.0.0.1:`relay_port`. `main_cf`
    overrides any of those parameters (e.g. transport_maps naming the tables Listhaven writes)."""
    base = Path(tempfile.mkdtemp(prefix="listhaven-postfix-"))
    base.chmod(0o755)
    config, queue, data = base / "etc", base / "queue", base / "data"
    for folder in (config, queue, data):
        folder.mkdir()
    shutil.chown(data, "postfix")
    port = free_port()
    transport_map = ", ".join(f"{address}={hop}" for address, hop in transports.items())
    settings = {
        "compatibility_level": "3.6", "queue_directory": str(queue), "data_directory": str(data),
        "mail_owner": "postfix", "inet_interfaces": "127.0.0.1", "inet_protocols": "ipv4",
        "myhostname": "mta.test.example", "mydomain": "test.example", "mydestination": "",
        "mynetworks": "127.0.0.0/8", "relay_domains": "", "relayhost": f"[127.0.0.1]:{relay_port}",
        "transport_maps": f"inline:{{ {transport_map} }}", "recipient_delimiter": "+",
        "smtpd_relay_restrictions": "permit_mynetworks, reject", "alias_maps": "", "alias_database": "",
        "local_recipient_maps": "", "smtp_dns_support_level": "disabled", "smtpd_peername_lookup": "no",
        "smtp_host_lookup": "native", "lmtp_host_lookup": "native", "disable_dns_lookups": "yes",
        "maillog_file": str(base / "maillog"), "maillog_file_prefixes": "/tmp",
        "smtp_tls_security_level": "none", "smtpd_tls_security_level": "none",
        "queue_run_delay": "1s", "minimal_backoff_time": "1s", "maximal_backoff_time": "2s",
        "delay_warning_time": "0", "smtputf8_enable": "yes", "biff": "no",
    }  # fmt: skip
    settings.update(main_cf or {})
    (config / "main.cf").write_text("".join(f"{k} = {v}\n" for k, v in settings.items()))
    (config / "master.cf").write_text(SERVICES.format(listen=f"127.0.0.1:{port}"))
    previous = _postconf("-h", "alternate_config_directories")
    _postconf("-e", f"alternate_config_directories = {' '.join(filter(None, [previous, str(config)]))}")
    try:
        subprocess.run(["postfix", "-c", str(config), "start"], check=True, capture_output=True, timeout=60)
        wait_for_port(port, what="postfix's smtpd")
        yield port, base
    finally:
        _stop(queue)
        now = _postconf("-h", "alternate_config_directories").split()
        _postconf("-e", f"alternate_config_directories = {' '.join(d for d in now if d != str(config))}")
        shutil.rmtree(base, ignore_errors=True)


def _stop(queue: Path) -> None:
    pid_file = queue / "pid" / "master.pid"
    try:
        pid = int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return
    for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
