"""Middleware of the site: the client's address behind a reverse proxy, security headers on every
response, and static files from memory.

The Content-Security-Policy forbids inline script and inline style: pages load one stylesheet
and one script from /static/, and nothing taken from a message can run.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseNotAllowed,
)
from django.utils.cache import patch_vary_headers

from listhaven.web.access import signed_in
from listhaven.web.assets import find_asset

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
YEAR = 365 * 24 * 3600

Handler = Callable[[HttpRequest], HttpResponseBase]


class ForwardedClientMiddleware:
    """Behind a reverse proxy (nginx, Caddy) every request comes from the proxy's address, so the limits
    counted per client address (subscriptions, sign-in failures, the API) were one count for everybody:
    twenty failed sign-ins by anyone blocked every sign-in. A request from a trusted proxy
    (TRUSTED_PROXIES) has REMOTE_ADDR replaced by the last address of X-Forwarded-For that is not a
    trusted proxy (the proxy appends the address it saw; what a client wrote before it is not believed).
    A request from anywhere else keeps its REMOTE_ADDR and its X-Forwarded-For is ignored."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response
        self.trusted = frozenset(settings.TRUSTED_PROXIES)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if self.trusted and request.META.get("REMOTE_ADDR") in self.trusted:
            forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
            for address in reversed([part.strip() for part in forwarded.split(",")]):
                if address in self.trusted:
                    continue
                try:
                    request.META["REMOTE_ADDR"] = str(ipaddress.ip_address(address))
                except ValueError:
                    pass  # not an address: the proxy's own stays
                break
        return self.get_response(request)


def security_headers(status: int) -> list[tuple[str, str]]:
    """The headers every answer of the site carries unless it has its own: on a site whose address is
    https:// (SECURE_HSTS_SECONDS set from it) Strict-Transport-Security, the CSP, a strict
    Referrer-Policy and nosniff. Read from the settings on each answer, so a kept page follows them.

    HSTS goes on every answer of such a site, 304 included, whatever scheme the request came by:
    Django's own SecurityMiddleware adds it only to requests it sees as HTTPS, and a public page
    rendered for a request over plain HTTP (a health check on 127.0.0.1) is kept by the page cache
    and then served to every HTTPS reader. Over plain HTTP browsers ignore the header (RFC 6797
    8.1), so sending it there costs nothing. A 304 gets no default CSP: its headers replace those
    of the browser's kept copy (RFC 9111 4.3.4), and a download's sandbox policy must stay."""
    headers = []
    if settings.SECURE_HSTS_SECONDS:
        headers.append(("Strict-Transport-Security", f"max-age={settings.SECURE_HSTS_SECONDS}"))
    if status != 304:
        headers.append(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
    headers += [("Referrer-Policy", "same-origin"), ("X-Content-Type-Options", "nosniff")]
    return headers


class SecurityHeadersMiddleware:
    """Adds `security_headers` to every answer Django gives. Outermost but for the client's address
    (settings.MIDDLEWARE): the 304s that ConditionalGetMiddleware makes of a page keep only RFC
    9110's headers of it, so a header added below it was missing from them (HSTS included); and the
    pages the page cache keeps and answers get the headers of the moment, as web.page_cache's WSGI
    front adds them to its own answers."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        for name, value in security_headers(response.status_code):
            response.headers.setdefault(name, value)
        return response


class PrivateResponsesMiddleware:
    """A response built from a list that is not public, or for a signed-in reader, is theirs
    alone: `private, no-cache` whatever the view set (`private, no-store` when it set `no-store`), so no shared cache ever keeps it.
    web/access.py marks the request when it lets a reader into a non-public list, and when the page
    is one person's own (`mark_personal`: `private, no-store`, for anyone and on any list)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        private = request.__dict__.get("listhaven_private")
        personal = request.__dict__.get("listhaven_personal")  # access.mark_personal: one person's own page
        if private or personal or signed_in(request):
            # A view's `no-store` (a token on the page, the API's answers to a token) is kept: stricter still.
            kept = personal or "no-store" in response.get("Cache-Control", "")
            response["Cache-Control"] = "private, no-store" if kept else "private, no-cache"
            patch_vary_headers(response, ["Cookie"])
        if private:  # every response of a non-public list (feeds, mbox, JSON too): never in a search engine
            response["X-Robots-Tag"] = "noindex, nofollow, noarchive"
        return response


class StaticFilesMiddleware:
    """Answers STATIC_URL requests before URL routing, from the in-memory cache of web.assets.

    Gunicorn serves the app, so there is no separate file server: this keeps static files as
    cheap as a dictionary lookup (ETag, 304, gzip when accepted, year-long caching of versioned URLs).
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response
        self.prefix = settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/" + settings.STATIC_URL

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not request.path.startswith(self.prefix):
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        asset = find_asset(request.path[len(self.prefix) :])
        if asset is None:
            return HttpResponse(b"Not found\n", status=404, content_type="text/plain; charset=utf-8")
        versioned = request.GET.get("v") == asset.version
        if request.headers.get("If-None-Match") == asset.etag:
            response = HttpResponse(status=304)
        else:
            use_gzip = asset.gzipped is not None and "gzip" in request.headers.get("Accept-Encoding", "")
            response = HttpResponse(asset.gzipped if use_gzip else asset.body, content_type=asset.content_type)
            if use_gzip:
                response["Content-Encoding"] = "gzip"
            if asset.gzipped is not None:
                patch_vary_headers(response, ["Accept-Encoding"])
        response["ETag"] = asset.etag
        response["Cache-Control"] = f"public, max-age={YEAR}, immutable" if versioned else "public, max-age=300"
        return response
