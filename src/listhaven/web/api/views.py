"""The JSON API: lists, months, threads, a thread's tree, a message, search and stats.

Every view gets its list through the one access check (`get_readable_list`/`readable_lists`);
a list the caller may not read is a 404 like one that does not exist. Errors are always
``{"error": ..., "detail": ...}``; archive responses carry ETag, Last-Modified and Cache-Control.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
)
from django.views.decorators.csrf import csrf_exempt

from listhaven.archive import export
from listhaven.archive.models import Attachment, Message, Thread
from listhaven.archive.stats import list_stats
from listhaven.lists.models import MailingList
from listhaven.web.access import get_readable_list, readable_lists
from listhaven.web.api import serializers
from listhaven.web.api.http import (
    ApiError,
    bad_request,
    error_response,
    gone,
    json_response,
    not_found,
)
from listhaven.web.api.openapi import openapi_document
from listhaven.web.api.pagination import page_object, page_request, paginate
from listhaven.web.months import archive_version, month_counts

PUBLIC_ID = re.compile(r"[A-Z2-7]{32}(?:[0-9]{2})?|[A-Z2-7]{30}[0-9]{2}")
STATS_CACHE_SECONDS = 600
THREAD_SORTS = {
    "last_activity": ("last_date",),
    "first_date": ("first_date",),
    "size": ("message_count", "last_date"),
}
_THREAD_FIELDS = ("pk", "public_id", "subject", "message_count", "participant_count", "participants",
                  "first_date", "last_date")  # fmt: skip
_TREE_FIELDS = ("pk", "public_id", "parent_id", "thread_depth", "thread_order", "date", "subject",
                "sender_name", "sender_email", "has_attachments", "redacted", "imported_at",
                "changed_at", "redacted_at")  # fmt: skip

View = Callable[..., HttpResponseBase]


def api_view(view: View) -> View:
    """GET/HEAD only; ApiError and Http404 become JSON error objects."""

    @csrf_exempt  # read-only: other methods get a JSON 405, not the CSRF page
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method not in ("GET", "HEAD"):
            response = error_response(405, "method_not_allowed", f"{request.method} is not allowed here; use GET")
            response["Allow"] = "GET, HEAD"
            return response
        try:
            return view(request, *args, **kwargs)
        except ApiError as exc:
            return error_response(exc.status, exc.error, exc.detail)
        except Http404 as exc:
            return error_response(404, "not_found", str(exc) or "not found")

    return wrapped


def _list(request: HttpRequest, list_name: str) -> MailingList:
    if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]{0,99}", list_name):
        raise not_found(f"no list named {list_name[:100]!r}")
    try:
        return get_readable_list(request, list_name)
    except Http404:
        raise not_found(f"no list named {list_name!r}") from None


def _public_id(value: str, what: str) -> str:
    if not PUBLIC_ID.fullmatch(value):
        raise not_found(f"no {what} {value[:60]!r}: ids are 32 base32 characters")
    return value


def _last_change(mlist: MailingList) -> datetime | None:
    """When the list's archive last changed (archive/versions.py: a message stored, removed or
    rewritten by an erasure, the list's settings); for a list whose row never recorded one, the
    newest stored message's import time. Not the import time alone: after a removal or an
    anonymised address a client revalidating with If-Modified-Since must get the new document."""
    if mlist.archive_changed_at is not None:
        return mlist.archive_changed_at
    return Message.objects.filter(mailing_list=mlist).order_by("-pk").values_list("imported_at", flat=True).first()


@api_view
def api_root(request: HttpRequest) -> HttpResponseBase:
    return JsonResponse({"lists": "/api/lists", "openapi": "/api/openapi.json", "documentation": "/api/openapi.json"})


@api_view
def openapi_json(request: HttpRequest) -> HttpResponseBase:
    return json_response(request, None, openapi_document(), None)


@api_view
def lists(request: HttpRequest) -> HttpResponseBase:
    rows = readable_lists(request).order_by("name", "pk")
    data = paginate(request, rows.count(), lambda start, n: list(rows[start : start + n]), serializers.list_summary)
    return json_response(request, None, data, None)


@api_view
def list_detail(request: HttpRequest, list_name: str) -> HttpResponseBase:
    mlist = _list(request, list_name)
    count = Message.objects.filter(mailing_list=mlist).count()
    return json_response(request, mlist, serializers.list_detail(mlist, count), _last_change(mlist))


@api_view
def months(request: HttpRequest, list_name: str) -> HttpResponseBase:
    mlist = _list(request, list_name)
    items = [serializers.month(mlist, month.key, count) for month, count in month_counts(mlist)]
    return json_response(request, mlist, {"list": mlist.name, "items": items}, _last_change(mlist))


@api_view
def threads(request: HttpRequest, list_name: str) -> HttpResponseBase:
    mlist = _list(request, list_name)
    sort = request.GET.get("sort", "last_activity")
    order = request.GET.get("order", "desc")
    if sort not in THREAD_SORTS:
        raise bad_request(f"sort must be one of {', '.join(THREAD_SORTS)} (got {sort[:40]!r})")
    if order not in ("asc", "desc"):
        raise bad_request(f"order must be asc or desc (got {order[:40]!r})")
    sign = "-" if order == "desc" else ""
    rows = (
        Thread.objects.filter(mailing_list=mlist)
        .order_by(*(sign + key for key in THREAD_SORTS[sort]), sign + "pk")
        .only(*_THREAD_FIELDS)
    )
    data = paginate(
        request,
        rows.count(),
        lambda start, n: list(rows[start : start + n]),
        lambda thread: serializers.thread_summary(mlist, thread),
    )
    data.update(list=mlist.name, sort=sort, order=order)
    return json_response(request, mlist, data, _last_change(mlist))


@api_view
def thread(request: HttpRequest, list_name: str, thread_id: str) -> HttpResponseBase:
    mlist = _list(request, list_name)
    found = export.find_thread(mlist, _public_id(thread_id, "thread"))
    if found is None:
        raise not_found(f"no thread {thread_id!r} in {mlist.name}")
    rows = list(Message.objects.filter(thread=found).order_by("thread_order", "date", "pk").only(*_TREE_FIELDS))
    public = {m.pk: m.public_id for m in rows}
    data = serializers.thread_summary(mlist, found)
    data["messages"] = [serializers.thread_entry(mlist, m, public.get(m.parent_id)) for m in rows]
    last = max((m.last_changed for m in rows), default=None)
    return json_response(request, mlist, data, last)


@api_view
def message(request: HttpRequest, list_name: str, message_hash: str) -> HttpResponseBase:
    mlist = _list(request, list_name)
    public_id = _public_id(message_hash, "message")
    found = Message.objects.filter(mailing_list=mlist, public_id=public_id).select_related("thread").first()
    if found is None:
        raise not_found(f"no message {public_id!r} in {mlist.name}")
    if found.is_hidden:
        raise gone("this message was removed from the archive")
    parent = None
    if found.parent_id:
        parent = Message.objects.filter(pk=found.parent_id).values_list("public_id", flat=True).first()
    attachments = list(Attachment.objects.filter(message=found).order_by("index"))
    data = serializers.message_detail(mlist, found, parent, attachments)
    return json_response(request, mlist, data, found.last_changed)


@api_view
def search(request: HttpRequest, list_name: str) -> HttpResponseBase:
    from listhaven.archive import search as service

    mlist = _list(request, list_name)
    query = request.GET.get("q", "").strip()
    sort = request.GET.get("sort", "relevance")
    if not query:
        raise bad_request("say what to search for: ?q=… (see /search/help for the syntax)")
    if sort not in ("relevance", "date"):
        raise bad_request(f"sort must be relevance or date (got {sort[:40]!r})")
    wanted = page_request(request)
    if wanted.page > service.MAX_PAGE:
        raise bad_request(f"search results go up to page {service.MAX_PAGE}; narrow the query")
    try:
        results = service.search(mlist, query, sort=sort, page=wanted.page, per_page=wanted.per_page)
    except ValueError as exc:  # QueryError: the message says how to write the query
        raise bad_request(str(exc)) from exc
    if wanted.page > results.pages:
        raise not_found(f"page {wanted.page} does not exist: there {'is' if results.pages == 1 else 'are'} "
                        f"{results.pages}")
    data = page_object(request, wanted, results.total, [serializers.search_hit(mlist, hit) for hit in results.hits])
    data.update(list=mlist.name, query=query, sort=results.sort, total_exact=results.total_exact)
    return json_response(request, mlist, data, _last_change(mlist))


@api_view
def stats(request: HttpRequest, list_name: str) -> HttpResponseBase:
    mlist = _list(request, list_name)
    # Counting authors and months reads every row of the list: cached until the list's archive
    # changes. The archive version advances with every change a reader could see (a stored message,
    # a removal, a purge, an erasure's hiding or anonymising, a settings or privacy change:
    # archive/versions.py), so no removed message is counted after its removal; the policy is in the
    # key too, for a change made where nothing advances the version.
    key = f"listhaven:api-stats:{archive_version(mlist)}.{mlist.archive_version}.{mlist.archive_policy}"
    data = cache.get(key)
    if data is None:
        data = list_stats(mlist).as_dict()
        data["name"] = mlist.name
        cache.set(key, data, STATS_CACHE_SECONDS)
    return json_response(request, mlist, data, _last_change(mlist))


@api_view
def unknown(request: HttpRequest, rest: str = "") -> HttpResponse:
    raise not_found(f"no API endpoint /api/{rest[:100]}; see /api/openapi.json")
