"""The services refuse the secret key written in the source on a site others reach: `serve`, `lmtp`,
`worker` and `run` started as an operator's unit does (LISTHAVEN_SITE_URL set, no LISTHAVEN_SECRET_KEY)
exit 1 naming the variable, before binding a port; with a key, or on this machine's own address as
`make run` uses, they start. `serve` leaves nothing in the user's home that another `serve` on the
host would share."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from email.message import Message
from pathlib import Path

import pytest

from tests.support.ports import free_port

PUBLIC = "https://lists.example.org"


def listhaven(data: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("LISTHAVEN_SECRET_KEY", "LISTHAVEN_SITE_URL")}
    return subprocess.run([sys.executable, "-m", "listhaven", "--data-dir", str(data), *args],
                          env={**environ, **env}, capture_output=True, text=True, timeout=120)  # fmt: skip


def bound(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("command", ["serve", "lmtp", "run"])
def test_a_public_site_with_the_default_key_does_not_start(tmp_path, command):
    port = free_port()
    option = "--port" if command != "run" else "--lmtp-port"
    result = listhaven(tmp_path, command, option, str(port), LISTHAVEN_SITE_URL=PUBLIC)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "LISTHAVEN_SECRET_KEY is not set" in result.stderr and PUBLIC in result.stderr
    assert not bound(port)


def test_the_worker_starts_with_a_key_or_on_this_machine_only(tmp_path):
    refused = listhaven(tmp_path, "worker", "--until-idle", LISTHAVEN_SITE_URL=PUBLIC)
    assert refused.returncode == 1 and "LISTHAVEN_SECRET_KEY is not set" in refused.stderr
    keyed = listhaven(tmp_path, "worker", "--until-idle", LISTHAVEN_SITE_URL=PUBLIC,
                      LISTHAVEN_SECRET_KEY="a-key-only-this-site-knows-0123456789")  # fmt: skip
    assert keyed.returncode == 0, keyed.stderr
    for local in ("http://127.0.0.1:8000", "http://localhost:8000/", "http://[::1]:8000"):
        result = listhaven(tmp_path, "worker", "--until-idle", LISTHAVEN_SITE_URL=local)
        assert result.returncode == 0, (local, result.stderr)


def test_a_negative_hsts_max_age_is_refused(tmp_path):
    """LISTHAVEN_HSTS_SECONDS=-5 made the header `max-age=-5`, which RFC 6797 does not allow: browsers
    drop it, and the site had no HSTS although it was asked for. Refused at start, naming the variable;
    0 (no header) is allowed."""
    key = "a-key-only-this-site-knows-0123456789"
    refused = listhaven(tmp_path, "worker", "--until-idle", LISTHAVEN_SITE_URL=PUBLIC, LISTHAVEN_SECRET_KEY=key,
                        LISTHAVEN_HSTS_SECONDS="-5")  # fmt: skip
    assert refused.returncode == 1 and "LISTHAVEN_HSTS_SECONDS='-5': -5 is below 0" in refused.stderr, refused.stderr
    allowed = listhaven(tmp_path, "worker", "--until-idle", LISTHAVEN_SITE_URL=PUBLIC, LISTHAVEN_SECRET_KEY=key,
                        LISTHAVEN_HSTS_SECONDS="0")  # fmt: skip
    assert allowed.returncode == 0, allowed.stderr


def test_serve_opens_no_control_socket_another_web_process_would_take(tmp_path):
    # gunicorn's control socket defaults to one path per user (~/.gunicorn/gunicorn.ctl): a second
    # `listhaven serve` on the host took it over, stopping either removed it, and `gunicornc` steered
    # whichever started last. gunicorn opens it before it reads a signal, so after the stop is soon enough
    home, port = tmp_path / "home", free_port()
    home.mkdir()
    environ = {k: v for k, v in os.environ.items() if k not in ("LISTHAVEN_SITE_URL", "XDG_RUNTIME_DIR")}
    server = subprocess.Popen([sys.executable, "-m", "listhaven", "--data-dir", str(tmp_path / "data"), "serve",
                               "--port", str(port), "--workers", "1"], env={**environ, "HOME": str(home)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None and time.monotonic() < deadline, "listhaven serve did not answer"
            try:
                opener.open(f"http://127.0.0.1:{port}/", timeout=2).close()
                break
            except OSError:
                time.sleep(0.2)
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0
    assert not (home / ".gunicorn").exists()  # not even the folder the socket was made in


def _login_page_headers(tmp_path: Path, site_url: str) -> Message:
    """The headers of /accounts/login/ from a real `listhaven serve` of `site_url`, asked over
    HTTPS as the reverse proxy of docs/operations.md asks."""
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if k not in ("LISTHAVEN_SITE_URL", "LISTHAVEN_SECRET_KEY")}
    environ.update(LISTHAVEN_SITE_URL=site_url, LISTHAVEN_SECRET_KEY="a-key-only-this-site-knows-0123456789")
    server = subprocess.Popen([sys.executable, "-m", "listhaven", "--data-dir", str(tmp_path / "data"), "serve",
                               "--port", str(port), "--workers", "1"], env=environ,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        request = urllib.request.Request(f"http://127.0.0.1:{port}/accounts/login/",
                                         headers={"X-Forwarded-Proto": "https", "Host": "127.0.0.1"})  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None and time.monotonic() < deadline, "listhaven serve did not answer"
            try:
                with opener.open(request, timeout=5) as response:
                    return response.headers
            except OSError:
                time.sleep(0.2)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)


def _status(port: int, host: str) -> int:
    """The status `listhaven serve` answers GET / with for this Host header (http.client: no proxy)."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/", headers={"Host": host})
        return connection.getresponse().status
    finally:
        connection.close()


def _answers(tmp_path: Path, **env: str) -> dict[str, int]:
    """The status for each Host header of a `listhaven serve` started with `env`."""
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LISTHAVEN_") or k == "LISTHAVEN_DNS_RESOLVER"}
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "listhaven", "--data-dir", str(tmp_path / "data"), "serve",
                               "--port", str(port), "--workers", "1"], env={**environ, **env},
                              stdout=subprocess.DEVNULL, stderr=log)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not bound(port):
            assert server.poll() is None and time.monotonic() < deadline, "listhaven serve did not answer"
            time.sleep(0.2)
        hosts = ["lists.example.org", f"127.0.0.1:{port}", f"localhost:{port}", "evil.example", "lists.example.org.evil.example"]
        return {host.split(":")[0]: _status(port, host) for host in hosts}
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        log.close()


def test_a_site_on_https_sends_its_cookies_over_https_only_and_asks_browsers_for_https(tmp_path):
    """On a site whose address is https://, the CSRF and session cookies carry Secure: a browser
    lured to http:// (a link, a network that rewrites one) would otherwise send the session in clear
    text to whoever listens. Its answers carry Strict-Transport-Security, so a browser that has been
    there once does not try http:// at all (a year by default, LISTHAVEN_HSTS_SECONDS). A site on
    http:// (make run) keeps its cookies usable over HTTP and sends no HSTS."""
    from django.conf import settings

    https = _login_page_headers(tmp_path / "https", PUBLIC)
    cookies = "\n".join(https.get_all("Set-Cookie") or [])
    assert "csrftoken=" in cookies and "; Secure" in cookies, cookies
    assert https["Strict-Transport-Security"] == "max-age=31536000", https
    plain_headers = _login_page_headers(tmp_path / "http", "http://127.0.0.1:8000")
    plain = "\n".join(plain_headers.get_all("Set-Cookie") or [])
    assert "csrftoken=" in plain and "Secure" not in plain, plain
    assert "Strict-Transport-Security" not in plain_headers, plain_headers
    assert settings.SESSION_COOKIE_SECURE == settings.CSRF_COOKIE_SECURE == settings.SITE_URL.startswith("https://")


def test_the_site_answers_to_its_own_host_and_this_machine_and_to_any_host_only_when_told(tmp_path):
    key = {"LISTHAVEN_SECRET_KEY": "a-key-only-this-site-knows-0123456789"}
    public = _answers(tmp_path, LISTHAVEN_SITE_URL=PUBLIC, **key)
    assert public == {"lists.example.org": 200, "127.0.0.1": 200, "localhost": 200, "evil.example": 400,
                      "lists.example.org.evil.example": 400}  # fmt: skip
    logged = (tmp_path / "serve.log").read_text()
    assert "Invalid HTTP_HOST header: 'evil.example'" in logged and "Traceback" not in logged, logged  # one line
    local = _answers(tmp_path)  # make run's: the site on 127.0.0.1
    assert local["127.0.0.1"] == local["localhost"] == 200 and local["lists.example.org"] == local["evil.example"] == 400
    anything = _answers(tmp_path, LISTHAVEN_SITE_URL=PUBLIC, LISTHAVEN_ALLOWED_HOSTS="*", **key)
    assert anything["evil.example"] == 200
