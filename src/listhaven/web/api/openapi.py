"""The OpenAPI 3 document of the JSON API, served at /api/openapi.json.

Written as data next to the views it describes; a test runs schemathesis from it against the
live application, so a view and its description cannot drift apart unnoticed.
"""

from __future__ import annotations

from typing import Any

from listhaven.web.api.openapi_manage import SCHEMAS as MANAGE_SCHEMAS
from listhaven.web.api.openapi_manage import SECURITY_SCHEMES, manage_paths
from listhaven.web.api.pagination import DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE

LIST_NAME = "^[a-z0-9][a-z0-9_.-]{0,99}$"
PUBLIC_ID = "^([A-Z2-7]{32}([0-9]{2})?|[A-Z2-7]{30}[0-9]{2})$"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "nullable": True}


_STR = {"type": "string"}
_INT = {"type": "integer", "minimum": 0}
_DATE = {"type": "string", "format": "date-time"}
_BOOL = {"type": "boolean"}


def _object(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": "object", "required": list(required), "properties": {**required, **(optional or {})}}


def _page_of(item: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return _object(
        {
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
            "total": _INT,
            "pages": {"type": "integer", "minimum": 1},
            "next": _nullable(_STR),
            "previous": _nullable(_STR),
            "items": {"type": "array", "items": _ref(item)},
            **(extra or {}),
        }
    )


_PERSON = _object({"name": _nullable(_STR), "address": _nullable(_STR)})
_LINKS = {"url": _STR, "api_url": _STR}

SCHEMAS: dict[str, Any] = {
    "Error": _object({"error": _STR, "detail": _STR}),
    "Person": _PERSON,
    "ListSummary": _object(
        {"name": _STR, "address": _STR, "title": _STR, "description": _STR, "private": _BOOL, "archive": _STR, **_LINKS},
        {"messages": _INT},
    ),
    "ListDetail": _object(
        {"name": _STR, "address": _STR, "title": _STR, "description": _STR, "private": _BOOL, "archive": _STR, "messages": _INT,
         **_LINKS, "links": {"type": "object", "additionalProperties": _STR}}
    ),
    "ListPage": _page_of("ListSummary"),
    "Month": _object({"month": {"type": "string", "pattern": r"^\d{4}-\d{2}$"}, "messages": _INT, "url": _STR,
                      "mbox_url": _STR}),
    "Months": _object({"list": _STR, "items": {"type": "array", "items": _ref("Month")}}),
    "ThreadSummary": _object(
        {"id": _STR, "subject": _STR, "message_count": _INT, "participant_count": _INT,
         "participant_names": {"type": "array", "items": _STR}, "first_date": _nullable(_DATE),
         "last_date": _nullable(_DATE), **_LINKS, "mbox_url": _STR, "feed_url": _STR}
    ),
    "ThreadPage": _page_of(
        "ThreadSummary",
        {"list": _STR, "sort": {"type": "string", "enum": ["last_activity", "first_date", "size"]},
         "order": {"type": "string", "enum": ["asc", "desc"]}},
    ),
    "ThreadEntry": _object(
        {"id": _STR, "parent": _nullable(_STR), "depth": _INT, "date": _DATE, "redacted": _BOOL,
         "subject": _nullable(_STR), "author": _nullable(_PERSON), "has_attachments": _BOOL, **_LINKS}
    ),
    "Thread": {
        "allOf": [
            _ref("ThreadSummary"),
            _object({"messages": {"type": "array", "items": _ref("ThreadEntry")}}),
        ]
    },
    "Attachment": _object(
        {"index": _INT, "filename": _STR, "content_type": _STR, "size": _INT, "url": _STR}
    ),
    "Message": _object(
        {"id": _STR, "message_id": _STR, "list": _STR, "thread": _STR, "parent": _nullable(_STR), "depth": _INT,
         "subject": _STR, "date": _DATE, "utc_offset_minutes": {"type": "integer"}, "author": _ref("Person"),
         "to": {"type": "array", "items": _ref("Person")}, "cc": {"type": "array", "items": _ref("Person")},
         "in_reply_to": _nullable(_STR), "references": {"type": "array", "items": _STR}, "body": _STR,
         "body_source": _STR, "size": _INT, "attachments": {"type": "array", "items": _ref("Attachment")},
         "links": {"type": "object", "additionalProperties": _STR}}
    ),
    "SearchHit": _object(
        {"id": _STR, "thread": _STR, "thread_size": _INT, "subject": _STR, "date": _DATE, "author": _ref("Person"),
         "snippet_html": _STR, "score": _nullable({"type": "number"}), **_LINKS}
    ),
    "SearchPage": _page_of(
        "SearchHit", {"list": _STR, "query": _STR, "sort": {"type": "string", "enum": ["relevance", "date"]},
                      "total_exact": _BOOL},
    ),
    "Stats": _object(
        {"name": _STR, "list": _STR, "messages": _INT, "threads": _INT, "authors": _INT, "quarantined": _INT,
         "first_date": _nullable(_DATE), "last_date": _nullable(_DATE),
         "months": {"type": "array", "items": _object({"month": _STR, "messages": _INT})}}
    ),
}

_CACHE_HEADERS = {
    "ETag": {"description": "validator for If-None-Match", "schema": _STR},
    "Cache-Control": {"description": "public, max-age=300 (private lists: private, no-cache)", "schema": _STR},
    "Last-Modified": {"description": "when the archive data last changed", "schema": _STR},
}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _ok(schema: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": _CACHE_HEADERS,
        "content": {"application/json": {"schema": _ref(schema)}},
    }


def _param(name: str, where: str, schema: dict[str, Any], description: str, required: bool = False) -> dict:
    return {"name": name, "in": where, "required": required or where == "path", "description": description,
            "schema": schema}


LIST_PARAM = _param("list_name", "path", {"type": "string", "pattern": LIST_NAME}, "the list's short name")
PAGE_PARAMS = [
    _param("page", "query", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, "page number, from 1"),
    _param(
        "per_page", "query", {"type": "integer", "minimum": 1},
        f"items per page (default {DEFAULT_PER_PAGE}, capped at {MAX_PER_PAGE})",
    ),
]

SEARCH_PAGE_PARAMS = [
    _param("page", "query", {"type": "integer", "minimum": 1, "maximum": 500}, "page number, from 1 (at most 500)"),
    PAGE_PARAMS[1],
]


def _get(summary: str, ok: dict[str, Any], params: list[dict], errors: dict[str, str], op_id: str) -> dict:
    responses: dict[str, Any] = {"200": ok, "304": {"description": "not modified (conditional GET)"}}
    for status, text in errors.items():
        responses[status] = _error(text)
    return {"get": {"summary": summary, "operationId": op_id, "parameters": params, "responses": responses}}


_NO_LIST = {"404": "no such list (or not readable by the caller)"}
_BAD_PAGE = {"400": "malformed parameter", "404": "no such list, or a page past the end"}


def openapi_document() -> dict[str, Any]:
    thread_id = _param("thread_id", "path", {"type": "string", "pattern": PUBLIC_ID}, "the thread's public id")
    message_id = _param("message_hash", "path", {"type": "string", "pattern": PUBLIC_ID}, "the message's public id")
    sort = _param("sort", "query", {"type": "string", "enum": ["last_activity", "first_date", "size"]},
                  "order threads by last message date (default), first message date or number of messages")
    order = _param("order", "query", {"type": "string", "enum": ["asc", "desc"]}, "direction (default desc)")
    query = _param("q", "query", {"type": "string", "minLength": 1, "maxLength": 200},
                   "a query in the web search's language (from:, subject:, date:, \"phrases\" ...)", True)
    search_sort = _param("sort", "query", {"type": "string", "enum": ["relevance", "date"]},
                         "best matches first (default) or newest first")
    paths = {
        "/api/lists": _get("Every list the caller may read", _ok("ListPage", "a page of lists"), PAGE_PARAMS,
                           {"400": "malformed parameter", "404": "a page past the end"}, "lists"),
        "/api/lists/{list_name}": _get("One list", _ok("ListDetail", "the list"), [LIST_PARAM], _NO_LIST, "list"),
        "/api/lists/{list_name}/months": _get("Months with messages, oldest first", _ok("Months", "months"),
                                              [LIST_PARAM], _NO_LIST, "months"),
        "/api/lists/{list_name}/threads": _get("A list's threads", _ok("ThreadPage", "a page of threads"),
                                               [LIST_PARAM, *PAGE_PARAMS, sort, order], _BAD_PAGE, "threads"),
        "/api/lists/{list_name}/threads/{thread_id}": _get(
            "A thread and its messages as a tree (parent, depth), in thread order",
            _ok("Thread", "the thread"), [LIST_PARAM, thread_id], {"404": "no such list or thread"}, "thread"),
        "/api/lists/{list_name}/messages/{message_hash}": _get(
            "A message: headers, text body, attachments, links to raw and to the page",
            _ok("Message", "the message"), [LIST_PARAM, message_id],
            {"404": "no such list or message", "410": "the message was removed"}, "message"),
        "/api/lists/{list_name}/search": _get(
            "Messages a search finds, best first", _ok("SearchPage", "a page of hits"),
            [LIST_PARAM, query, search_sort, *SEARCH_PAGE_PARAMS],
            {**_BAD_PAGE, "400": "malformed query or parameter"}, "search"),
        "/api/lists/{list_name}/stats": _get("Figures about a list", _ok("Stats", "the figures"), [LIST_PARAM],
                                             _NO_LIST, "stats"),
        **manage_paths(),
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Listhaven archive API",
            "version": "1",
            "description": "JSON access to mailing-list archives (read-only, no token), and to the lists an account owns or "
            "moderates under /api/manage/ (with the account's API token as a bearer token). Errors are "
            '{"error": code, "detail": text}. With address obfuscation on (the default), posters\' '
            "addresses appear as `user at host`.",
        },
        "paths": paths,
        "components": {"schemas": {**SCHEMAS, **MANAGE_SCHEMAS}, "securitySchemes": SECURITY_SCHEMES},
    }
