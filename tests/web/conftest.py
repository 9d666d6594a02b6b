"""Fixtures of the web tests: a small list of hand-made cases, and a live `listhaven serve`.

`casebook`: a list (in the test's own transaction) holding the seed-like message, a hostile one,
a thread with a long quote, one with an attachment and one to redact.
`live_server_url`: a real gunicorn server started with `listhaven serve` on a temporary store
into which the fixture archive (and the seed-like message) were imported with `listhaven import`.
"""

from __future__ import annotations

import os
import subprocess
import time
import urllib.request
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pytest

from tests.support.ports import free_port

REPO = Path(__file__).resolve().parents[2]
LISTHAVEN = REPO / ".venv" / "bin" / "listhaven"
SEED_LIST = "reading-circle"
SEED_MESSAGE_ID = "20140817150509.seedlike@mail.example.com"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]  # fmt: skip


def make_message(
    msgid: str,
    subject: str = "Hello",
    body: str = "Some text.\n",
    sender: str = "Ann Example <ann@example.org>",
    date: str = "Mon, 04 Mar 2019 10:00:00 +0100",
    refs: tuple[str, ...] = (),
    to: str = "cases@lists.example.org",
) -> bytes:
    lines = [f"From: {sender}", f"To: {to}", f"Subject: {subject}", f"Date: {date}", f"Message-ID: <{msgid}>"]
    if refs:
        lines += ["References: " + " ".join(f"<{r}>" for r in refs), f"In-Reply-To: <{refs[-1]}>"]
    lines.append("Content-Type: text/plain; charset=utf-8")
    return ("\n".join(lines) + "\n\n" + body).encode()


def store(mlist, raws: list[bytes]) -> None:
    from listhaven.archive.importer import parse_one
    from listhaven.archive.ingest import store_batch
    from listhaven.mail.message import SourceMessage

    store_batch(mlist, [parse_one(SourceMessage(raw, f"case#{n}")) for n, raw in enumerate(raws, 1)])


LONG_QUOTE = "\n".join(f"> quoted line number {n} of the earlier message" for n in range(1, 13))


def settings_post(mlist, **changes: str) -> dict[str, str]:
    """The owners' settings page's form as a browser posts it unchanged (each list's lines joined,
    unticked boxes absent), with `changes` on top."""
    from listhaven.web.manage.settings_form import SettingsForm

    data = {k: v for k, v in SettingsForm(instance=mlist).initial.items() if v is not None and v is not False}
    return {**{k: ("\n".join(v) if isinstance(v, list) else v) for k, v in data.items()}, **changes}


def attachment_message() -> bytes:
    return (
        b"From: Ann Example <ann@example.org>\nTo: cases@lists.example.org\nSubject: Notes\n"
        b"Date: Tue, 05 Mar 2019 09:00:00 +0000\nMessage-ID: <attached@example.org>\nMIME-Version: 1.0\n"
        b"Content-Type: multipart/mixed; boundary=XYZ\n\n"
        b"--XYZ\nContent-Type: text/plain; charset=utf-8\n\nThe notes are attached.\n"
        b"--XYZ\nContent-Type: application/pdf; name=notes.pdf\nContent-Disposition: attachment; filename=notes.pdf\n"
        b"Content-Transfer-Encoding: base64\n\nJVBERi0xLjQKJcfsj6IKMSAwIG9iago8PD4+CmVuZG9iagp0cmFpbGVyCjw8Pj4KJSVFT0YK\n--XYZ--\n"
    )


@pytest.fixture
def casebook(db):
    """The `cases` list and its messages, keyed by a short name: each a Message."""
    from listhaven.archive.models import Message
    from listhaven.demo.messages import seed_like_message
    from listhaven.lists.directory import create_list

    mlist = create_list("cases@lists.example.org", description="Hand-made cases for the page tests.")
    raws = [
        seed_like_message(),
        make_message(
            "hostile@example.org",
            subject="<script>alert('subject')</script> & more",
            sender='"<img src=x onerror=alert(1)>" <evil@example.org>',
            body="<script>alert('body')</script>\njavascript:alert(1)\n<a href=\"javascript:x\">x</a>\n",
        ),
        make_message("root@example.org", subject="Long quotes", body="The first message.\n"),
        make_message(
            "reply@example.org",
            subject="Re: Long quotes",
            body=f"Ann wrote:\n{LONG_QUOTE}\n\nI disagree.\n-- \nBob\n",
            sender="Bob Builder <bob@example.net>",
            date="Mon, 04 Mar 2019 12:00:00 -0600",
            refs=("root@example.org",),
        ),
        attachment_message(),
        make_message("removed@example.org", subject="Secret subject", body="Secret body.\n"),
    ]
    store(mlist, raws)
    Message.objects.filter(mailing_list=mlist, message_id="removed@example.org").update(redacted=True)
    by_id = {m.message_id: m for m in Message.objects.filter(mailing_list=mlist)}
    return {
        "list": mlist,
        "seed": by_id[SEED_MESSAGE_ID],
        "hostile": by_id["hostile@example.org"],
        "root": by_id["root@example.org"],
        "reply": by_id["reply@example.org"],
        "attached": by_id["attached@example.org"],
        "removed": by_id["removed@example.org"],
    }


def _import_fixture(data_dir: Path) -> None:
    from listhaven.demo.messages import fixture_archive, seed_like_message
    from listhaven.mail.mboxwrite import write_mboxrd

    by_list: dict[str, list[bytes]] = {}
    for spec, raw in fixture_archive():
        by_list.setdefault(spec.address, []).append(raw)
    seed_address = next(a for a in by_list if a.startswith(SEED_LIST + "@"))
    by_list[seed_address].append(seed_like_message())
    env = {**os.environ, "LISTHAVEN_DATA": str(data_dir)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    for address, raws in by_list.items():
        path = data_dir / f"{address.split('@')[0]}.mbox"
        with path.open("wb") as handle:
            write_mboxrd([(raw, None) for raw in raws], handle)
        subprocess.run(
            [str(LISTHAVEN), "--data-dir", str(data_dir), "import", address, str(path), "--create", "--workers", "1"],
            check=True, env=env, capture_output=True, timeout=300,
        )  # fmt: skip


@pytest.fixture(scope="session")
def live_server_url(tmp_path_factory):
    """`listhaven serve` on the fixture archive, for the browser tests; stopped at the end."""
    if not LISTHAVEN.exists():
        pytest.skip(f"{LISTHAVEN} is missing: run `make setup`")
    data_dir = tmp_path_factory.mktemp("live-archive")
    _import_fixture(data_dir)
    port = free_port()
    env = {**os.environ, "LISTHAVEN_DATA": str(data_dir)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log = (data_dir / "serve.log").open("wb")
    server = subprocess.Popen(
        [str(LISTHAVEN), "--data-dir", str(data_dir), "serve", "--port", str(port), "--workers", "1"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, server)
        yield url
    finally:
        _stop(server, log, timeout=10)


def _stop(server: subprocess.Popen, log: IO[bytes], timeout: float) -> None:
    """SIGTERM, then SIGKILL if the server has not exited within `timeout` seconds; its log closed."""
    server.terminate()
    try:
        server.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        server.kill()
    log.close()


def _wait_until_up(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"listhaven serve exited with status {server.returncode}")
        try:
            opener.open(url + "/", timeout=2).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"listhaven serve did not answer at {url} within 30 s")


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium through Playwright, one per test module; the module is skipped (with a warning
    that shows in the summary) when chromium is not installed."""
    if not CHROMIUM.exists():
        message = f"BROWSER TESTS SKIPPED: {CHROMIUM} is missing (apt-get install chromium)"
        warnings.warn(message, stacklevel=1)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@contextmanager
def running_site(data: Path, setup: list[list[str]], env_extra: dict[str, str] | None = None) -> Iterator[tuple[str, int]]:
    """`listhaven run` (web, LMTP and a worker, mail to the outbox) on a new store in `data`, after the
    `listhaven` commands in `setup`; yields the site's URL and its LMTP port, and stops it afterwards."""
    if not LISTHAVEN.exists():
        pytest.skip(f"{LISTHAVEN} is missing: run `make setup`")
    port, lmtp_port = free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "LISTHAVEN_DATA": str(data), "LISTHAVEN_SITE_URL": url, **(env_extra or {})}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("LISTHAVEN_SMTP_HOST", None)
    for argv in (["migrate"], *setup):
        subprocess.run([str(LISTHAVEN), *argv], env=env, check=True, capture_output=True, timeout=120)
    log = (data / "run.log").open("wb")
    server = subprocess.Popen([str(LISTHAVEN), "run", "--port", str(port), "--lmtp-port", str(lmtp_port)],
                              env=env, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        _wait_until_up(url, server)
        yield url, lmtp_port
    finally:
        _stop(server, log, timeout=15)


# Text whose contrast with the background it is drawn on is under WCAG 2's AA level (4.5:1; 3:1
# for large text), as Chromium computes the colours: one line per kind of element and colour pair.
# Decorative characters hidden from assistive technology (aria-hidden) are not read, and skipped.
_LOW_CONTRAST_JS = r"""
() => {
  const rgba = (s) => s.match(/[\d.]+/g).map(Number);
  const lum = (c) => c.slice(0, 3).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
                      .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const under = (el) => { for (; el; el = el.parentElement) { const c = rgba(getComputedStyle(el).backgroundColor);
                                                              if (c.length < 4 || c[3] > 0.9) return c; } return [255, 255, 255]; };
  const seen = new Set(), low = [];
  for (const el of document.querySelectorAll("body *")) {
    const text = Array.from(el.childNodes).filter((n) => n.nodeType === 3).map((n) => n.textContent).join("").trim();
    const style = getComputedStyle(el);
    if (!text || el.closest("[aria-hidden=true], .vh") || style.visibility === "hidden" || !el.getClientRects().length) continue;
    const [a, b] = [lum(rgba(style.color)), lum(under(el))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(style.fontSize), large = size >= 24 || (+style.fontWeight >= 700 && size >= 18.66);
    const key = `${el.tagName}.${el.className} ${style.color} on ${under(el)}`;
    if (ratio < (large ? 3 : 4.5) && !seen.has(key)) { seen.add(key); low.push(`${ratio.toFixed(2)} ${key}: ${text.slice(0, 30)}`); }
  }
  return low;
}
"""


def low_contrast(page) -> list[str]:
    """The text of the page in `page` drawn with too little contrast (WCAG 2 AA), one line per kind."""
    return page.evaluate(_LOW_CONTRAST_JS)
