"""The server-side page cache: an archive page of a public list is rendered once per state of the
list and then served to every reader who is not signed in without rendering.

What is kept: the overview, month, thread and message pages and the Atom feeds of a list whose
archive policy is public, as the stack answered a reader without a session (status 200,
headers, body; the security headers are added to each answer, kept or not). What is never kept:
anything of a members-only or owners-only list, anything answered to a signed-in reader (their
pages carry their name and their moderation badge), a response that sets a cookie, and every page not in that list (search, forms, the owners' pages).
A request carrying a session cookie or pending messages is never answered from the cache.

The key: the page's path and query, the list's id, creation time and archive version, and a
fingerprint of the site (code, templates, static files, site name and address). The archive
version grows with every change readers could see (listhaven.archive.versions: a stored message,
a removal, a purge, a reindex, a thread rebuild, an admin edit, a settings change), in the same
transaction, so after any of them the next request renders afresh; the list's archive policy is
read with the key on every request, so a list that stopped being public is never answered from
the cache whoever changed it. Entries of old versions are never read again; they expire
(PAGE_CACHE_SECONDS) or are culled (PAGE_CACHE_ENTRIES).

A hit costs one indexed SELECT and one file read. `CachedPages`, the site's WSGI front, answers it
before Django builds a request (and a 304 when If-None-Match holds); the middleware keeps pages
and answers hits for requests that reach Django.

Storage is Django's file-based cache under DATA_DIR/page-cache, shared by every web process of
the site (each entry is written to a temporary file and renamed into place).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import random
import re
from collections.abc import Callable, Mapping
from datetime import timedelta
from functools import cache, wraps
from http import HTTPStatus
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.filebased import FileBasedCache
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import set_response_etag
from django.utils.http import http_date

import listhaven
from listhaven.lists.models import MailingList
from listhaven.site.middleware import security_headers
from listhaven.web.access import signed_in

CACHE_ALIAS = "pages"
# A thread or month with nothing new for this long is taken as settled: its message pages and
# downloads get a long Cache-Control on public lists (IMMUTABLE_MAX_AGE).
SETTLED = timedelta(days=7)
# The pages kept: /LIST/, /LIST/YYYY-MM/, /LIST/thread/ID/, /LIST/message/HASH/ and the feeds.
_ID = r"[A-Z2-7]{30,32}(?:[0-9]{2})?"
PAGE_PATH = re.compile(
    rf"^/(?P<name>[a-z0-9][a-z0-9_.-]{{0,99}})/"
    rf"(?:[0-9]{{4}}-[0-9]{{2}}/|thread/{_ID}/|message/{_ID}/|feed\.atom|threads\.atom|thread/{_ID}/feed\.atom)?$"
)
QUERY_KEYS = frozenset({"sort", "page"})  # the month's orders and pages
_CACHEABLE = "listhaven_page_cacheable"
CACHE_HEADER = "X-Listhaven-Cache"  # "hit" or "miss": what the cache did with the response
_SKIPPED_HEADERS = frozenset({"set-cookie"})


class PageFileCache(FileBasedCache):
    """Django's file-based cache without zlib (a page is read far more often than written, and
    inflating it cost more than reading it), culling now and then instead of before every write
    (Django's lists the whole directory each time, which on thousands of pages costs more than the page)."""

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        # Our keys are hex digests: Django's check of each character for memcached is skipped.
        name = hashlib.md5(self.make_key(key, version).encode(), usedforsecurity=False).hexdigest()
        try:
            with open(os.path.join(self._dir, name + self.cache_suffix), "rb") as f:
                if not self._is_expired(f):
                    return pickle.loads(f.read())
        except FileNotFoundError:
            pass
        return default

    def _write_content(self, file: Any, timeout: Any, value: Any) -> None:
        file.write(pickle.dumps(self.get_backend_timeout(timeout), self.pickle_protocol))
        file.write(pickle.dumps(value, self.pickle_protocol))

    def _cull(self) -> None:
        if random.random() < 1 / 32:
            super()._cull()


def site_fingerprint() -> str:
    """What else a page depends on: the code, its templates and static files, the site's name and address."""
    return f"{_code_fingerprint()}|{settings.SITE_NAME}|{settings.SITE_URL}"


@cache
def _code_fingerprint() -> str:
    """The code, templates and static files this process runs (a new release makes new keys)."""
    package = Path(listhaven.__file__).resolve().parent
    digest = hashlib.sha1()
    for folder in (package / "web" / "templates", package / "web" / "static"):
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                stat = path.stat()
                digest.update(f"{path}|{stat.st_mtime_ns}|{stat.st_size}".encode())
    for path in sorted(package.rglob("*.py")):
        digest.update(f"{path}|{path.stat().st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


@cache
def _row_query(vendor: str) -> str:
    """The list's identity, policy and archive version, by name, in the driver's own placeholder style."""
    table = MailingList._meta.db_table
    mark = "?" if vendor == "sqlite" else "%s"
    return f'SELECT id, created_at, archive_policy, archive_version FROM "{table}" WHERE name = {mark}'


def _public_list_state(name: str) -> str | None:
    """`id|created|version` of the list when it exists and its archive is public; None otherwise.

    Asked of the database driver directly (the cursor Django wraps around it costs more than
    the query): this runs for every request the cache may answer."""
    if connection.connection is None:
        connection.ensure_connection()
    cursor = connection.connection.cursor()
    try:
        cursor.execute(_row_query(connection.vendor), (name,))
        row = cursor.fetchone()
    finally:
        cursor.close()
    if row is None or row[2] != "public":
        return None
    return f"{row[0]}|{row[1]}|{row[3]}"


def _cookie_names(header: str) -> set[str]:
    return {part.split("=", 1)[0].strip() for part in header.split(";")}


def page_key(environ: Mapping[str, Any]) -> str | None:
    """The cache key of a request's page (from its WSGI environ, `request.META` in Django), or
    None when the cache must neither answer nor keep it."""
    if environ.get("REQUEST_METHOD") not in ("GET", "HEAD") or settings.PAGE_CACHE_SECONDS <= 0:
        return None
    if _cookie_names(environ.get("HTTP_COOKIE", "")) & {settings.SESSION_COOKIE_NAME, "messages"}:
        return None  # perhaps signed in, or a notice waiting to be shown: their page is their own
    path, query = environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", "")
    match = PAGE_PATH.match(path)
    if match is None or not QUERY_KEYS.issuperset(k for k, _ in parse_qsl(query, keep_blank_values=True)):
        return None  # any other query: not kept, so made-up parameters cannot fill the cache
    state = _public_list_state(match["name"])
    if state is None:
        return None
    state = f"{site_fingerprint()}|{state}|{environ.get('SCRIPT_NAME', '')}|{path}?{query}"
    return "page:" + hashlib.sha256(state.encode("utf-8", "surrogateescape")).hexdigest()


def _storable(request: HttpRequest, response: HttpResponseBase) -> bool:
    if request.method != "GET" or response.status_code != 200 or response.streaming or response.cookies:
        return False
    if not request.__dict__.get(_CACHEABLE) or request.__dict__.get("listhaven_private"):
        return False
    if signed_in(request):
        return False
    control = response.headers.get("Cache-Control", "")
    return "private" not in control and "no-store" not in control


class Page(NamedTuple):
    """A kept response: what the stack below the page cache answered, ETag included (the security
    headers are added to each answer above it, site/middleware.py)."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    etag: str


def _page(response: HttpResponse) -> Page:
    if not response.has_header("ETag"):
        set_response_etag(response)
    headers = tuple((k, v) for k, v in response.items() if k.lower() not in _SKIPPED_HEADERS)
    return Page(response.status_code, headers, response.content, response["ETag"])


class PageCacheMiddleware:
    """Keeps the pages views mark as cacheable, and answers kept pages to requests that reach
    Django (the test client; a server without the WSGI front below).

    Placed before every other middleware but the conditional GET and security headers ones, so what
    is kept is the response as the stack finished it (Cache-Control, ETag), and each answer, a
    hit too, gets the security headers of the moment from the middleware above."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.store = caches[CACHE_ALIAS]

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        key = page_key(request.META)
        if key is not None:
            page = self.store.get(key)
            if page is not None:
                response = HttpResponse(page.body, status=page.status)
                for name, value in page.headers:
                    response[name] = value
                response[CACHE_HEADER] = "hit"
                return response
        response = self.get_response(request)
        if key is not None and _storable(request, response):
            assert isinstance(response, HttpResponse)
            self.store.set(key, _page(response), settings.PAGE_CACHE_SECONDS)
            response[CACHE_HEADER] = "miss"
        return response


# Headers a 304 repeats (RFC 9110 15.4.5), as Django's own conditional responses do.
_NOT_MODIFIED_HEADERS = frozenset({"cache-control", "content-location", "date", "etag", "expires", "last-modified", "vary"})


class CachedPages:
    """The WSGI front of the site (site/wsgi.py): a request for a kept page is answered from the
    cache before Django builds a request object or runs a middleware, with a 304 when its
    If-None-Match holds; everything else, misses included, goes to Django, whose middleware
    above keeps the page. The same `page_key` decides in both places."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        try:
            key = page_key(environ)
            page = caches[CACHE_ALIAS].get(key) if key is not None else None
        except Exception:  # noqa: BLE001 - a cache or database hiccup: let Django answer (and report)
            page = None
        if page is None:
            return self.app(environ, start_response)
        if environ.get("HTTP_IF_NONE_MATCH") == page.etag:
            headers = [(k, v) for k, v in page.headers if k.lower() in _NOT_MODIFIED_HEADERS]
            start_response("304 Not Modified", [*_secured(headers, 304), (CACHE_HEADER, "hit")])
            return [b""]
        headers = _secured(list(page.headers), page.status)
        start_response(f"{page.status} {HTTPStatus(page.status).phrase}", [*headers, (CACHE_HEADER, "hit")])
        return [b"" if environ["REQUEST_METHOD"] == "HEAD" else page.body]


def _secured(headers: list[tuple[str, str]], status: int) -> list[tuple[str, str]]:
    """The answer's headers with the site's security headers it lacks, as SecurityHeadersMiddleware
    adds them to Django's (the kept page has none of them: that middleware is above the cache)."""
    present = {name.lower() for name, _ in headers}
    return headers + [(name, value) for name, value in security_headers(status) if name.lower() not in present]


def archive_page(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """For the views of the archive's pages: Last-Modified from the list's last change, a
    public Cache-Control that makes browsers revalidate (the view may set a longer one), and
    the mark that lets the page cache keep the page when the list is public and the reader
    anonymous. web/access.py's marks (private list) and site/middleware.py still have the last
    word on Cache-Control."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        mlist: MailingList | None = request.__dict__.get("listhaven_list")
        if mlist is None or response.status_code != 200:
            return response
        if mlist.archive_changed_at is not None and not response.has_header("Last-Modified"):
            response["Last-Modified"] = http_date(mlist.archive_changed_at.timestamp())
        if mlist.archive_policy == "public":
            if not response.has_header("Cache-Control"):
                response["Cache-Control"] = "public, no-cache"
            request.__dict__[_CACHEABLE] = True
        return response

    return wrapper
