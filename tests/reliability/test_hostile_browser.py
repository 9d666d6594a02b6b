"""Nothing from a message reaches a reader unescaped, as a real browser sees it.

The hostile message set (tests.support.hostile) is imported with `listhaven import` into a store served
by `listhaven serve`; Chromium (Playwright) opens every page where a payload could appear: each message,
each thread, the month in its four orders, the list overview and index, search results with highlighting
for queries that hit the payloads, the Atom feeds and the JSON API. On every page:

- no script ran: `window.__pwned` stays undefined (every payload sets it or calls it), no dialog opened;
- no request left for another host (every request is routed: other hosts are recorded and aborted);
- no `javascript:`, `data:` or `vbscript:` link or form target is there to click;
- the response's Content-Security-Policy forbids inline script.
Downloads that carry the message's own bytes (raw, attachments) are checked for a safe type instead.
"""

from __future__ import annotations

import sqlite3
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from listhaven.mail.mboxwrite import write_mboxrd
from tests.support.hostile import EVIL, LIST_ADDRESS, hostile_messages

from .conftest import DB_NAME, json_output, run_cli, start_server, stop_server

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]  # fmt: skip
LIST = LIST_ADDRESS.split("@")[0]
SEARCHES = ["script", "pwned", "onerror", "javascript", "vbscript", "iframe", "svg", "evil", "alert", "Hostile",
            "onload", "data", "style", "from:mallory", "subject:script", '"window.__pwned"', "filename:html"]  # fmt: skip
# Runs first in every page: records any write to (or call of) window.__pwned by a payload.
TRAP = """
(() => {
  let hit;
  Object.defineProperty(window, '__pwned', {configurable: false, get() { return hit; }, set(v) { hit = v; }});
})();
"""
LINKS = """
() => [...document.querySelectorAll('a[href], area[href], form[action], [formaction]')]
  .map(e => e.href || e.action || e.getAttribute('formaction') || '')
  .filter(u => /^\\s*(javascript|data|vbscript):/i.test(u))
"""
# Elements and attributes that load or run something: none may come from a message. The page's own
# script is one file under /static/ of the same origin.
ACTIVE = """
() => {
  const bad = [...document.querySelectorAll('iframe, frame, object, embed, applet, base, meta[http-equiv]')]
    .map(e => e.outerHTML.slice(0, 120));
  for (const e of document.querySelectorAll('*'))
    for (const a of e.attributes)
      if (/^on/i.test(a.name)) bad.push(`<${e.tagName.toLowerCase()} ${a.name}=...>`);
  for (const s of document.querySelectorAll('script')) {
    const src = s.getAttribute('src') ? new URL(s.src, location.href) : null;
    if (!src || src.origin !== location.origin || !src.pathname.startsWith('/static/'))
      bad.push('script: ' + (s.getAttribute('src') || s.textContent).slice(0, 80));
  }
  return bad;
}
"""


@dataclass
class Findings:
    pages: int = 0
    problems: list[str] = field(default_factory=list)

    def add(self, url: str, what: str) -> None:
        self.problems.append(f"{url}: {what}")


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    data = tmp_path_factory.mktemp("hostile-site")
    mbox = data / "hostile.mbox"
    with mbox.open("wb") as handle:
        write_mboxrd([(raw, None) for _, raw in hostile_messages()], handle)
    summary = json_output(run_cli(data, "import", LIST_ADDRESS, str(mbox), "--create", "--json"))[0]  # type: ignore[index]
    assert summary["stored"] + summary["quarantined"] == len(hostile_messages())
    server = start_server(data)
    try:
        yield server.url, data
    finally:
        stop_server(server)


def site_pages(data: Path, full: bool = False) -> list[str]:
    """The pages of the hostile list where message text can appear (paths, without the host).

    The default set has every message and thread page; `full` adds each thread's feed, each message
    and thread as API JSON, and more search forms (about twice the pages, for `make soak`)."""
    with sqlite3.connect(f"file:{data / DB_NAME}?mode=ro", uri=True) as db:
        messages = [r[0] for r in db.execute("SELECT public_id FROM archive_message ORDER BY date")]
        threads = [r[0] for r in db.execute("SELECT public_id FROM archive_thread ORDER BY first_date")]
        months = sorted({r[0][:7] for r in db.execute("SELECT date FROM archive_message")})
    pages = ["/", f"/{LIST}/", f"/listinfo/{LIST}", f"/{LIST}/feed.atom", f"/{LIST}/threads.atom"]
    pages += [f"/{LIST}/{m}/{order}" for m in months for order in ("", "?sort=date", "?sort=author", "?sort=subject")]
    pages += [f"/{LIST}/message/{h}/" for h in messages]
    pages += [f"/{LIST}/thread/{t}/" for t in threads]
    pages += ["/api/lists", f"/api/lists/{LIST}", f"/api/lists/{LIST}/threads", f"/api/lists/{LIST}/months"]
    pages += [f"/api/lists/{LIST}/search?q=script", f"/api/lists/{LIST}/search?q=onerror"]
    for query in SEARCHES:
        q = urllib.parse.quote(query)
        pages += [f"/{LIST}/search?q={q}", f"/search?q={q}&sort=date&group=thread"]
        if full:
            pages += [f"/{LIST}/search?q={q}&group=thread", f"/api/lists/{LIST}/search?q={q}"]
    if full:
        pages += [f"/{LIST}/thread/{t}/feed.atom" for t in threads]
        pages += [f"/api/lists/{LIST}/messages/{h}" for h in messages]
        pages += [f"/api/lists/{LIST}/threads/{t}" for t in threads]
    return pages


def csp_allows_inline_script(policy: str) -> bool:
    directives = {d.strip().split(" ", 1)[0]: d.strip() for d in policy.split(";") if d.strip()}
    script = directives.get("script-src") or directives.get("default-src")
    return script is None or "'unsafe-inline'" in script or "*" in script.split()[1:]


def visit_all(base: str, pages: list[str]) -> Findings:
    from playwright.sync_api import sync_playwright

    found = Findings()
    origin = urllib.parse.urlsplit(base).netloc
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        context = browser.new_context(java_script_enabled=True)
        context.add_init_script(TRAP)
        current = {"url": ""}

        def route(route_, request) -> None:
            host = urllib.parse.urlsplit(request.url).netloc
            if request.url.startswith(("http:", "https:", "ws:", "wss:")) and host != origin:
                found.add(current["url"], f"request to another host attempted: {request.url[:120]}")
                route_.abort()
            else:
                route_.continue_()

        context.route("**/*", route)
        page = context.new_page()
        page.on("dialog", lambda d: (found.add(current["url"], f"a dialog opened: {d.message!r}"), d.dismiss()))
        page.on("pageerror", lambda e: "__pwned" in str(e) and found.add(current["url"], f"payload ran: {e}"))
        for path in pages:
            current["url"] = url = base + path
            response = page.goto(url, wait_until="load")
            found.pages += 1
            check_page(page, response, url, found)
        browser.close()
    return found


def check_page(page, response, url: str, found: Findings) -> None:
    if response is None or response.status >= 500:
        found.add(url, f"status {response.status if response else 'none'}")
        return
    if response.status == 404:
        found.add(url, "not found: a page the test expected is missing")
    policy = response.headers.get("content-security-policy", "")
    if csp_allows_inline_script(policy):
        found.add(url, f"CSP does not forbid inline script: {policy!r}")
    page.wait_for_timeout(30)  # lets onload/onerror handlers of broken images fire
    if page.evaluate("() => window.__pwned") is not None:
        found.add(url, "window.__pwned was set: a payload ran")
    for link in page.evaluate(LINKS):
        found.add(url, f"clickable script URL: {link[:80]}")
    for element in page.evaluate(ACTIVE):
        found.add(url, f"active element: {element}")


def browse_hostile_site(hostile_site, figures, full: bool) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Debian's chromium is not installed at {CHROMIUM} (make browser-deps)")
    base, data = hostile_site
    found = visit_all(base, site_pages(data, full))
    figures("hostile payloads tried", len(hostile_messages()))
    figures("pages opened in Chromium", found.pages)
    figures("problems (scripts run, external requests, script links)", len(found.problems))
    assert found.problems == [], "\n".join(found.problems[:60])


def test_no_hostile_payload_runs_or_fetches_in_a_browser(hostile_site, figures):
    browse_hostile_site(hostile_site, figures, full=False)


@pytest.mark.slow
def test_no_hostile_payload_runs_on_any_page_feed_or_api_document(hostile_site, figures):
    browse_hostile_site(hostile_site, figures, full=True)


def test_downloads_of_hostile_bytes_are_inert(hostile_site):
    """Raw messages and attachments carry the original bytes: they must never render as active content."""
    base, data = hostile_site
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with sqlite3.connect(f"file:{data / DB_NAME}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT m.public_id, a.\"index\", a.filename FROM archive_message m LEFT JOIN archive_attachment a "
            "ON a.message_id = m.id"
        ).fetchall()  # fmt: skip
    urls = {f"{base}/{LIST}/message/{pid}/raw" for pid, _, _ in rows}
    urls |= {f"{base}/{LIST}/message/{pid}/attachment/{index}/{urllib.parse.quote(name or 'x')}"
             for pid, index, name in rows if index is not None}  # fmt: skip
    problems = []
    for url in sorted(urls):
        with opener.open(url, timeout=30) as response:
            ctype = response.headers.get("Content-Type", "")
            disposition = response.headers.get("Content-Disposition", "")
            if response.headers.get("X-Content-Type-Options") != "nosniff":
                problems.append(f"{url}: no nosniff")
            renders = any(t in ctype for t in ("html", "xml", "svg", "javascript"))
            if renders and not disposition.startswith("attachment"):
                problems.append(f"{url}: {ctype} served inline")
            if EVIL in disposition or "\n" in disposition:
                problems.append(f"{url}: unsafe Content-Disposition {disposition!r}")
    assert problems == []


BAIT = b"""<!doctype html><title>bait</title>
<script>window.__pwned = 1</script>
<img src="http://evil.example/pixel.png">
<a href="javascript:void(0)">click</a>
<div onclick="x()">text</div>
"""


def test_the_checks_catch_a_page_that_runs_a_payload(tmp_path):
    """The detectors above are live: a page without CSP that runs a script, fetches from the trap host,
    offers a javascript: link and carries a handler is reported on each count."""
    import http.server
    import threading

    if not Path(CHROMIUM).exists():
        pytest.skip(f"Debian's chromium is not installed at {CHROMIUM} (make browser-deps)")

    class Bait(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(BAIT)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Bait)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        found = visit_all(f"http://127.0.0.1:{server.server_port}", ["/"])
    finally:
        server.shutdown()
    text = "\n".join(found.problems)
    for expected in ("CSP does not forbid", "window.__pwned was set", "request to another host", "clickable script URL",
                     "<div onclick=", "script: window.__pwned"):  # fmt: skip
        assert expected in text, f"{expected!r} not reported:\n{text}"
