"""The server-side page cache: an archive page of a public list is rendered once per state of the
list and then served to every reader who is not signed in without rendering.

What is kept: the overview, month, thread and message pages and the Atom feeds of a list whose
archive policy is public, as the whole stack answered a reader without a session (status 200,
headers, body). What is never kept: anything of a members-only or owners-only list, anything
answered to a signed-in reader (their pages carry their name and their moderation badge), a
response that sets a cookie, and every page not in that list (search, forms, the owners' pages).
A request carrying a session cookie or pending messages is never answered from the cache.

The key: the page's full path and query, the list's whole database row and a fingerprint of the
site (code version, templates, static files, site name and address). The row holds the archive
version, which every change of the archive advances (listhaven.archive.versions), and every
setting, so a stored message, a removal, a purge, a thread change, a privacy or settings change
each make a new key before anything is read: an old page is never served after it. Entries of
old versions are never read again; they expire (PAGE_CACHE_SECONDS) or are culled.

Storage is Django's file-based cache under DATA_DIR/page-cache, shared by every web process of
the site (each entry is written to a temporary file and renamed into place).
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Callable
from datetime import timedelta
from functools import cache, wraps
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.filebased import FileBasedCache
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.http import http_date

import listhaven
from listhaven.lists.models import MailingList

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
_SKIPPED_HEADERS = frozenset({"set-cookie"})


class PageFileCache(FileBasedCache):
    """The file-based cache, culling now and then instead of on every write: Django's lists the
    whole directory before each `set`, which on thousands of pages costs more than the page."""

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
def _row_query() -> tuple[str, int]:
    """SELECT of a list's whole row by name, and the position of archive_policy in it."""
    table = connection.ops.quote_name(MailingList._meta.db_table)
    columns = [field.column for field in MailingList._meta.concrete_fields]
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    return f"SELECT {quoted} FROM {table} WHERE {connection.ops.quote_name('name')} = %s", columns.index("archive_policy")


def _public_list_row(name: str) -> tuple[Any, ...] | None:
    """The list's row when the list exists and its archive is public; None otherwise."""
    sql, policy_at = _row_query()
    with connection.cursor() as cursor:
        cursor.execute(sql, [name])
        row = cursor.fetchone()
    if row is None or row[policy_at] != "public":
        return None
    return tuple(row)


def page_key(request: HttpRequest) -> str | None:
    """The cache key of this request's page, or None when the cache must not answer it."""
    if request.method not in ("GET", "HEAD") or settings.PAGE_CACHE_SECONDS <= 0:
        return None
    cookies = request.COOKIES
    if settings.SESSION_COOKIE_NAME in cookies or "messages" in cookies:
        return None  # perhaps signed in, or a notice waiting to be shown: their page is their own
    match = PAGE_PATH.match(request.path_info)
    if match is None or not QUERY_KEYS.issuperset(request.GET):
        return None  # any other query: not kept, so made-up parameters cannot fill the cache
    row = _public_list_row(match["name"])
    if row is None:
        return None
    state = f"{site_fingerprint()}|{row!r}|{request.get_full_path()}"
    return "page:" + hashlib.sha256(state.encode("utf-8", "surrogateescape")).hexdigest()


def _storable(request: HttpRequest, response: HttpResponseBase) -> bool:
    if request.method != "GET" or response.status_code != 200 or response.streaming or response.cookies:
        return False
    if not request.__dict__.get(_CACHEABLE) or request.__dict__.get("listhaven_private"):
        return False
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return False
    control = response.headers.get("Cache-Control", "")
    return "private" not in control and "no-store" not in control


def _entry(response: HttpResponse) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [(k, v) for k, v in response.items() if k.lower() not in _SKIPPED_HEADERS]
    return response.status_code, headers, response.content


def _from_entry(entry: tuple[int, list[tuple[str, str]], bytes]) -> HttpResponse:
    status, headers, body = entry
    response = HttpResponse(body, status=status)
    for name, value in headers:
        response[name] = value
    return response


class PageCacheMiddleware:
    """Answers a kept page from the cache, and keeps the pages views mark as cacheable.

    Placed before every other middleware but the conditional GET one, so what is kept is the
    response exactly as the stack finished it (security headers, Cache-Control, ETag), and a hit
    costs one SELECT of the list's row and one file read."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.store = caches[CACHE_ALIAS]

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        key = page_key(request)
        if key is not None:
            entry = self.store.get(key)
            if entry is not None:
                response = _from_entry(entry)
                response["X-Listhaven-Cache"] = "hit"
                return response
        response = self.get_response(request)
        if key is not None and _storable(request, response):
            assert isinstance(response, HttpResponse)
            self.store.set(key, _entry(response), settings.PAGE_CACHE_SECONDS)
            response["X-Listhaven-Cache"] = "miss"
        return response


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
