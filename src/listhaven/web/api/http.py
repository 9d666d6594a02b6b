"""HTTP plumbing shared by the JSON API and the downloads: error objects, caching, conditional GET.

Every archive response carries an ETag, a Last-Modified (when the data has a date) and a
Cache-Control that depends on whether the list is public; a request whose If-None-Match or
If-Modified-Since still holds gets 304 without the body being built.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date

from listhaven.lists.models import MailingList

PUBLIC_MAX_AGE = 300


class ApiError(Exception):
    """An error answered as ``{"error": code, "detail": text}`` with an HTTP status."""

    def __init__(self, status: int, error: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.error = error
        self.detail = detail


def bad_request(detail: str) -> ApiError:
    return ApiError(400, "bad_request", detail)


def not_found(detail: str) -> ApiError:
    return ApiError(404, "not_found", detail)


def gone(detail: str) -> ApiError:
    return ApiError(410, "gone", detail)


def error_response(status: int, error: str, detail: str) -> JsonResponse:
    response = JsonResponse({"error": error, "detail": detail}, status=status)
    response["Cache-Control"] = "no-store"
    return response


@dataclass(frozen=True, slots=True)
class Freshness:
    """What identifies one version of a response: a validator and the time the data last changed."""

    etag: str
    last_modified: datetime | None = None

    @classmethod
    def of(cls, *parts: object, last_modified: datetime | None = None) -> Freshness:
        digest = hashlib.sha1("\x1f".join(map(str, parts)).encode("utf-8", "surrogateescape")).hexdigest()
        return cls(f'"{digest[:32]}"', last_modified)


def not_modified(
    request: HttpRequest, mlist: MailingList | None, freshness: Freshness, *, lasting: bool = False
) -> HttpResponseBase | None:
    """A 304 (or 412) when the client's copy is current; None when the response must be built."""
    timestamp = int(freshness.last_modified.timestamp()) if freshness.last_modified else None
    response = get_conditional_response(request, etag=freshness.etag, last_modified=timestamp)
    if response is not None:
        apply_cache_headers(response, mlist, freshness, lasting=lasting)
    return response


def apply_cache_headers(
    response: HttpResponseBase, mlist: MailingList | None, freshness: Freshness, *, lasting: bool = False
) -> None:
    """ETag, Last-Modified and Cache-Control. `lasting`: the document does not change (raw bytes, an
    attachment, a closed month), so a public list's copy may be kept IMMUTABLE_MAX_AGE seconds;
    a non-public list's never goes to a shared cache, whatever it is."""
    response["ETag"] = freshness.etag
    if freshness.last_modified is not None:
        response["Last-Modified"] = http_date(freshness.last_modified.timestamp())
    if mlist is not None and mlist.archive_policy != "public":
        # A member's copy must never be served from a shared cache to someone else.
        response["Cache-Control"] = "private, no-cache"
        patch_vary_headers(response, ("Cookie",))
    else:
        response["Cache-Control"] = f"public, max-age={settings.IMMUTABLE_MAX_AGE if lasting else PUBLIC_MAX_AGE}"
    response["X-Content-Type-Options"] = "nosniff"


def conditional(
    request: HttpRequest,
    mlist: MailingList | None,
    freshness: Freshness,
    build: Callable[[], HttpResponseBase],
    *,
    lasting: bool = False,
) -> HttpResponseBase:
    """304 when the client's copy is current, else `build()` with the caching headers added."""
    early = not_modified(request, mlist, freshness, lasting=lasting)
    if early is not None:
        return early
    response = build()
    if 200 <= response.status_code < 300:
        apply_cache_headers(response, mlist, freshness, lasting=lasting)
    return response


def json_body(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_response(request: HttpRequest, mlist: MailingList | None, data: Any, last_modified: datetime | None) -> HttpResponseBase:
    """A JSON document whose ETag is the hash of its bytes (so any change, even a redaction, shows)."""
    body = json_body(data)
    freshness = Freshness(f'"{hashlib.sha1(body).hexdigest()[:32]}"', last_modified)

    def build() -> HttpResponse:
        return HttpResponse(body, content_type="application/json")

    return conditional(request, mlist, freshness, build)
