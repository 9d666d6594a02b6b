"""Page pagination (``?page=&per_page=``) over a stably ordered queryset.

Bad numbers are a 400, a page past the end a 404, so a client never silently gets an empty page
for a typo. per_page is capped, not refused, above the maximum.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest

from listhaven.web.api.http import bad_request, not_found

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100
MAX_PAGE = 10**12
_MAX_DIGITS = 1000


@dataclass(frozen=True, slots=True)
class PageRequest:
    page: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def _positive(request: HttpRequest, name: str, default: int) -> int:
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > _MAX_DIGITS:
        raise bad_request(f"{name} must be a positive whole number (got {raw[:40]!r})")
    value = int(raw)
    if value < 1:
        raise bad_request(f"{name} must be at least 1 (got {value})")
    return value


def _page(request: HttpRequest) -> int:
    page = _positive(request, "page", 1)
    if page > MAX_PAGE:
        raise bad_request(f"page must be at most {MAX_PAGE}")
    return page


def page_request(request: HttpRequest) -> PageRequest:
    page = _page(request)
    per_page = min(_positive(request, "per_page", DEFAULT_PER_PAGE), MAX_PER_PAGE)
    return PageRequest(page, per_page)


def _link(request: HttpRequest, page: int, per_page: int) -> str:
    params = {k: v for k, v in request.GET.items() if k not in ("page", "per_page")}
    params.update(page=str(page), per_page=str(per_page))
    return f"{request.path}?{urlencode(params)}"


def paginate(
    request: HttpRequest,
    total: int,
    fetch: Callable[[int, int], Sequence[Any]],
    serialize: Callable[[Any], dict[str, Any]],
) -> dict[str, Any]:
    """The page object: items plus page, per_page, total, pages, next and previous links.

    `fetch(offset, limit)` returns the rows of the page; it is not called for a page past the end.
    """
    wanted = page_request(request)
    pages = max(1, -(-total // wanted.per_page))
    if wanted.page > pages:
        raise not_found(f"page {wanted.page} does not exist: there {'is' if pages == 1 else 'are'} {pages}")
    rows = fetch(wanted.offset, wanted.per_page)
    return page_object(request, wanted, total, [serialize(row) for row in rows])


def page_object(request: HttpRequest, wanted: PageRequest, total: int, items: list[dict[str, Any]]) -> dict[str, Any]:
    """The page envelope around already serialised items."""
    pages = max(1, -(-total // wanted.per_page))
    return {
        "page": wanted.page,
        "per_page": wanted.per_page,
        "total": total,
        "pages": pages,
        "next": _link(request, wanted.page + 1, wanted.per_page) if wanted.page < pages else None,
        "previous": _link(request, wanted.page - 1, wanted.per_page) if wanted.page > 1 else None,
        "items": items,
    }
