"""Address obfuscation holds: with it on (the default), no complete address of a poster appears in any
public page, feed, API document, search result or Pipermail-text export.

The fixture archive is imported with `listhaven import` and served by `listhaven serve`; the test crawls
it breadth-first from the list index, following same-site links (bounded), plus the feeds, the API and
searches by the posters' own names and domains, and looks in every response for every address collected
from the store (senders and recipients, the lists' own posting addresses excepted). Raw messages, mbox
files and attachments are skipped: they carry the original bytes by design.
"""

from __future__ import annotations

import gzip
import html
import json
import re
import sqlite3
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from collections.abc import Iterator
from pathlib import Path

import pytest

from listhaven.mail.mboxwrite import write_mboxrd

from .conftest import DB_NAME, run_cli, start_server, stop_server

pytestmark = pytest.mark.sqlite_only(reason="collects the posters' addresses from the SQLite file the command wrote")

MAX_PAGES = 400
ORIGINAL_BYTES = re.compile(r"/raw$|/mbox$|\.mbox(\.gz)?$|/attachment/")
HREF = re.compile(r"""(?:href|src)=["']([^"'#]+)""")
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(scope="module")
def fixture_site(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    from listhaven.demo.messages import fixture_archive

    data = tmp_path_factory.mktemp("obfuscation-site")
    by_list: dict[str, list[bytes]] = {}
    for spec, raw in fixture_archive():
        by_list.setdefault(spec.address, []).append(raw)
    for address, raws in by_list.items():
        mbox = data / f"{address.split('@')[0]}.mbox"
        with mbox.open("wb") as handle:
            write_mboxrd([(raw, None) for raw in raws], handle)
        assert run_cli(data, "import", address, str(mbox), "--create", "--json").returncode == 0
    server = start_server(data)
    try:
        yield server.url, data
    finally:
        stop_server(server)


def poster_addresses(data: Path) -> tuple[set[str], list[str], dict[str, list[str]]]:
    """(addresses of posters and recipients, list names, per list: its months and a few API paths)."""
    with sqlite3.connect(f"file:{data / DB_NAME}?mode=ro", uri=True) as db:
        lists = dict(db.execute("SELECT id, name FROM lists_mailinglist"))
        list_addresses = {a.lower() for (a,) in db.execute("SELECT address FROM lists_mailinglist")}
        found: set[str] = set()
        for sender, recipients in db.execute("SELECT sender_email, recipients FROM archive_message"):
            found.add(sender)
            for kind in ("to", "cc"):
                found.update(email for _, email in json.loads(recipients or "{}").get(kind, []))
        api: dict[str, list[str]] = {}
        for list_id, name in lists.items():
            messages = db.execute("SELECT public_id FROM archive_message WHERE mailing_list_id = ? LIMIT 40", (list_id,))
            threads = db.execute("SELECT public_id FROM archive_thread WHERE mailing_list_id = ? LIMIT 20", (list_id,))
            api[name] = [f"/api/lists/{name}/messages/{h}" for (h,) in messages]
            api[name] += [f"/api/lists/{name}/threads/{t}" for (t,) in threads]
    addresses = {a.strip().lower() for a in found if "@" in a.strip("@") and a.strip().lower() not in list_addresses}
    return addresses, sorted(lists.values()), api


def seeds(addresses: set[str], names: list[str], api: dict[str, list[str]]) -> list[str]:
    """Start points beside the index: feeds, the API and searches that match the posters themselves."""
    out = ["/", "/api/lists", "/search?q=example"]
    words = sorted({part for a in addresses for part in (a.split("@")[0], a.split("@")[1].split(".")[0])})
    for name in names:
        out += [f"/{name}/", f"/{name}/feed.atom", f"/{name}/threads.atom", f"/api/lists/{name}",
                f"/api/lists/{name}/threads", f"/api/lists/{name}/months", *api[name]]  # fmt: skip
        out += [f"/{name}/search?q={urllib.parse.quote(w)}" for w in words[:15]]
        out += [f"/api/lists/{name}/search?q={urllib.parse.quote(w)}" for w in words[:5]]
    return out


def fetch(url: str) -> tuple[int, str, str]:
    try:
        with OPENER.open(url, timeout=30) as response:
            body = response.read()
            ctype = response.headers.get("Content-Type", "")
            status = response.status
    except urllib.error.HTTPError as error:
        return error.code, "", ""
    if url.endswith(".gz") or body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    return status, ctype, body.decode("utf-8", errors="replace")


def leaks_in(text: str, addresses: set[str]) -> set[str]:
    """Addresses readable in `text`, also behind HTML entities or percent-encoding."""
    lowered = text.lower()
    decoded = html.unescape(urllib.parse.unquote(lowered))
    return {a for a in addresses if a in lowered or a in decoded}


def obfuscated_in(text: str, addresses: set[str]) -> set[str]:
    lowered = text.lower()
    return {a for a in addresses if a.replace("@", " at ") in lowered}


def crawl(base: str, start: list[str], addresses: set[str], limit: int) -> tuple[int, dict[str, set[str]], set[str], list[str]]:
    """Breadth-first over same-site links; returns (responses read, leaks by URL, addresses seen in their
    obfuscated form, server errors)."""
    queue = deque(start)
    seen = set(start)
    leaks: dict[str, set[str]] = {}
    shown: set[str] = set()
    errors: list[str] = []
    read = 0
    while queue and read < limit:
        path = queue.popleft()
        status, ctype, text = fetch(base + path)
        read += 1
        if status >= 500:
            errors.append(f"{path}: {status}")
        if found := leaks_in(text, addresses):
            leaks[path] = found
        shown |= obfuscated_in(text, addresses)
        if "html" not in ctype:
            continue
        for link in HREF.findall(text):
            link = html.unescape(link)
            absolute = urllib.parse.urljoin(base + path, link)
            parts = urllib.parse.urlsplit(absolute)
            if absolute.startswith(base) and not ORIGINAL_BYTES.search(parts.path) and "/static/" not in parts.path:
                relative = absolute[len(base):]
                if relative not in seen:
                    seen.add(relative)
                    queue.append(relative)
    return read, leaks, shown, errors


def test_no_poster_address_is_readable_anywhere_public(fixture_site, figures):
    base, data = fixture_site
    addresses, names, api = poster_addresses(data)
    assert len(addresses) > 20, "the fixture archive should carry many poster addresses"
    read, leaks, shown, errors = crawl(base, seeds(addresses, names, api), addresses, MAX_PAGES)
    figures("poster addresses checked", len(addresses))
    figures("responses read", read)
    figures("addresses shown obfuscated", len(shown))
    figures("addresses leaked", len({a for found in leaks.values() for a in found}))
    assert read >= 200
    assert errors == []
    # The crawl reached the pages that name the posters (so a leak there would have been seen) ...
    assert len(shown) >= len(addresses) // 2, f"only {len(shown)} of {len(addresses)} addresses were on the pages read"
    # ... and the search for them works on bytes that do carry them: the raw download, skipped above.
    message_page = next(path for path in api[names[0]] if "/messages/" in path).replace("/api/lists", "")
    raw = fetch(base + message_page.replace("/messages/", "/message/") + "/raw")[2]
    assert leaks_in(raw, addresses)
    assert leaks == {}, "\n".join(f"{url}: {sorted(found)[:3]}" for url, found in list(leaks.items())[:30])


def test_pipermail_text_exports_are_obfuscated(fixture_site):
    base, data = fixture_site
    addresses, _, _ = poster_addresses(data)
    with sqlite3.connect(f"file:{data / DB_NAME}?mode=ro", uri=True) as db:
        months = db.execute(
            "SELECT DISTINCT l.name, strftime('%Y', m.date), CAST(strftime('%m', m.date) AS INTEGER) "
            "FROM archive_message m JOIN lists_mailinglist l ON l.id = m.mailing_list_id"
        ).fetchall()  # fmt: skip
    month_names = ["", "January", "February", "March", "April", "May", "June", "July", "August", "September",
                   "October", "November", "December"]  # fmt: skip
    exported = 0
    for name, year, month in months:
        status, _, text = fetch(f"{base}/{name}/{year}-{month_names[month]}.txt.gz")
        assert status == 200, (name, year, month)
        assert leaks_in(text, addresses) == set(), (name, year, month)
        exported += text.count("\nFrom ")
    assert exported > 100
