"""The OpenAPI description of the owner and moderator endpoints (/api/manage/...), merged into
/api/openapi.json by openapi.py. Every operation needs the bearer token."""

from __future__ import annotations

from typing import Any

from listhaven.lists.held_actions import ACTIONS
from listhaven.lists.subscriptions import REQUEST_DECISIONS
from listhaven.web.api.pagination import MAX_PAGE, MAX_PER_PAGE

LIST_NAME = "^[a-z0-9][a-z0-9_.-]{0,99}$"
_STR = {"type": "string"}
_INT = {"type": "integer", "minimum": 0}
_BOOL = {"type": "boolean"}
_ROLES = ["owner", "moderator", "member", "nonmember"]
_MODES = ["regular", "mime_digest", "plain_digest", "nomail"]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": "object", "required": list(required), "properties": {**required, **(optional or {})}}


def _page_of(item: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return _object({"page": {"type": "integer", "minimum": 1}, "per_page": {"type": "integer", "minimum": 1},
                    "total": _INT, "items": {"type": "array", "items": _ref(item)}, **(extra or {})})  # fmt: skip


SCHEMAS: dict[str, Any] = {
    "ManagedList": _object({"name": _STR, "address": _STR, "role": {"type": "string", "enum": ["owner", "moderator"]},
                            "held": _INT, "members": _INT}),
    "ManagedListPage": _page_of("ManagedList"),
    "Member": _object({"id": _INT, "address": _STR, "display_name": _STR, "role": {"type": "string", "enum": _ROLES},
                       "moderated": _BOOL, "delivery_mode": _STR, "delivery_status": _STR, "subscribed_at": _STR},
                      {"disabled_reason": _STR, "receive_own_posts": _BOOL, "acknowledge_posts": _BOOL,
                       "hide_address": _BOOL, "bounce_score": {"type": "number", "minimum": 0}, "action": _STR}),
    "MemberPage": _page_of("Member", {"list": _STR}),
    "NewMembers": _object(
        {"addresses": {"type": "array", "minItems": 1, "maxItems": 10000, "items": _STR}},
        {"role": {"type": "string", "enum": _ROLES}, "welcome": _BOOL},
    ),
    "AddReport": _object({"added": {"type": "array", "items": _STR}, "existing": {"type": "array", "items": _STR},
                          "invalid": {"type": "array", "items": _object({"given": _STR, "reason": _STR})}}),
    "Removed": _object({"removed": _STR, "role": _STR}),
    "Held": _object({"id": _INT, "sender": _STR, "subject": _STR, "reason": _STR, "rule": _STR, "date": _STR,
                     "expires": _STR, "message_id": _STR, "size": _INT, "deferred": _BOOL}),
    "HeldPage": _page_of("Held", {"list": _STR}),
    "HeldDecision": _object({"action": {"type": "string", "enum": list(ACTIONS)}},
                            {"reason": {"type": "string", "maxLength": 1000}}),
    "Decided": _object({"id": _INT, "action": _STR, "decision": _STR, "notified": _BOOL,
                        "result": {"type": "string", "enum": ["accept", "reject", "discard", "defer", "hold"],
                                   "description": "what became of the post: the decision, unless content "
                                                  "filtering left nothing of an approved post"},
                        "summary": _STR}),
    "Settings": _object({"list": _STR, "settings": {"type": "object"}}),
    "SettingsChange": {"type": "object", "description": "the settings to change, by name (GET shows them all); "
                       "moderator_password too ('-' removes it)", "minProperties": 1},
    "MemberChange": {"type": "object", "minProperties": 1, "additionalProperties": False, "properties": {
        "role": {"type": "string", "enum": _ROLES}, "delivery_mode": {"type": "string", "enum": _MODES},
        "display_name": {"type": "string", "maxLength": 200,
                         "description": "the member's name; no control characters or line breaks; empty for none"},
        "moderated": _BOOL, "receive_own_posts": _BOOL, "acknowledge_posts": _BOOL, "hide_address": _BOOL,
        "enable": {"type": "boolean", "description": "true: delivery back on (after bounces too), bounce score reset"}}},
    "Request": _object({"id": _INT, "address": _STR, "asks_to": {"type": "string", "enum": ["join", "leave"]},
                        "display_name": _STR, "delivery_mode": _STR, "requested_at": _STR, "expires_at": _STR}),
    "RequestPage": _page_of("Request", {"list": _STR}),
    "RequestDecision": _object({"action": {"type": "string", "enum": list(REQUEST_DECISIONS)}},
                               {"reason": {"type": "string", "maxLength": 500}}),
    "RequestDecided": _object({"id": _INT, "address": _STR, "action": _STR, "outcome": _STR, "done": _BOOL}),
    "Ban": _object({"id": _INT, "pattern": _STR, "regex": _BOOL, "reason": _STR, "created_at": _STR}),
    "BanPage": _page_of("Ban", {"list": _STR}),
    "NewBan": _object({"pattern": {"type": "string", "minLength": 1, "maxLength": 320,
                                   "description": "an address, or a regular expression over the address starting with ^"}},
                      {"reason": {"type": "string", "maxLength": 300}}),
    "Lifted": _object({"removed": _STR}),
    "Invalid": _object({"error": _STR, "detail": _STR}, {"fields": {"type": "object", "additionalProperties": {
        "type": "array", "items": _STR}}}),
}


def _error(description: str, schema: str = "Error") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


_COMMON = {
    "401": _error("no token, or one revoked, expired or never made"),
    "405": _error("method not allowed"),
    "429": _error("too many requests (API_RATE per token and per client)"),
}
_ON_LIST = {
    **_COMMON,
    "403": _error("the list is readable but the token's account lacks the role"),
    "404": _error("no such list or item (a list the account may not read answers the same)"),
}


def _op(summary: str, op_id: str, params: list[dict], ok: tuple[str, str, str], errors: dict[str, Any],
        body: str | None = None, extra: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    status, schema, text = ok
    operation: dict[str, Any] = {
        "summary": summary, "operationId": op_id, "parameters": params, "security": [{"token": []}],
        "responses": {status: {"description": text, "content": {"application/json": {"schema": _ref(schema)}}},
                      **errors, **(extra or {})},
    }  # fmt: skip
    if body:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(body)}}}
    return operation


def _param(name: str, where: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": where, "required": where == "path", "description": description, "schema": schema}


def manage_paths() -> dict[str, Any]:
    mlist = _param("list_name", "path", {"type": "string", "pattern": LIST_NAME}, "the list's short name")
    pages = [_param("page", "query", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, "page number, from 1"),
             _param("per_page", "query", {"type": "integer", "minimum": 1}, f"items per page (at most {MAX_PER_PAGE})")]
    member_id = _param("member_id", "path", {"type": "integer", "minimum": 0}, "the member row's id")
    held_id = _param("held_id", "path", {"type": "integer", "minimum": 0}, "the held post's id")
    request_id = _param("request_id", "path", {"type": "integer", "minimum": 0}, "the waiting request's id")
    ban_id = _param("ban_id", "path", {"type": "integer", "minimum": 0}, "the ban's id")
    filters = [_param("q", "query", _STR, "address or name starts with (else contains)"),
               _param("role", "query", {"type": "string", "enum": _ROLES}, "only this role"),
               _param("moderated", "query", {"type": "string", "enum": ["yes", "no"]}, "moderation flag"),
               _param("disabled", "query", {"type": "string", "enum": ["bounces", "any"]}, "delivery disabled")]
    bad = {"400": _error("malformed parameter or body")}
    invalid = {"400": _error("a setting unknown or not valid (nothing saved): why, per field", "Invalid")}
    return {
        "/api/manage/lists": {
            "get": _op("The lists the token's account owns or moderates", "manage_lists", pages,
                       ("200", "ManagedListPage", "a page of lists"), {**_COMMON, **bad, "404": _error("a page past the end")}),
        },
        "/api/manage/lists/{list_name}/members": {
            "get": _op("The roster, filtered (owners)", "manage_members", [mlist, *pages, *filters],
                       ("200", "MemberPage", "a page of members"), {**_ON_LIST, **bad}),
            "post": _op("Add members, as the members page's mass subscribe does (owners)", "manage_add_members",
                        [mlist], ("201", "AddReport", "added"), {**_ON_LIST, **bad}, "NewMembers",
                        {"200": {"description": "none added (all there already or not valid)",
                                 "content": {"application/json": {"schema": _ref("AddReport")}}}}),
        },
        "/api/manage/lists/{list_name}/members/{member_id}": {
            "get": _op("One member row (owners)", "manage_member", [mlist, member_id],
                       ("200", "Member", "the member"), _ON_LIST),
            "patch": _op("Change the member's name, role, delivery, moderation flag and options, or re-enable delivery, "
                         "as the member page does (owners)", "manage_change_member", [mlist, member_id],
                         ("200", "Member", "changed"), {**_ON_LIST, **bad,
                         "409": _error("the address already holds that role on the list")}, "MemberChange"),
            "delete": _op("Remove the member row (owners)", "manage_remove_member", [mlist, member_id],
                          ("200", "Removed", "removed"), _ON_LIST),
        },
        "/api/manage/lists/{list_name}/requests": {
            "get": _op("Requests to join or leave waiting for an owner's approval, oldest first (owners)",
                       "manage_requests", [mlist, *pages], ("200", "RequestPage", "a page of requests"),
                       {**_ON_LIST, **bad}),
        },
        "/api/manage/lists/{list_name}/requests/{request_id}": {
            "get": _op("One waiting request (owners)", "manage_request", [mlist, request_id],
                       ("200", "Request", "the request"), _ON_LIST),
            "post": _op("Approve, refuse or discard a request, as the requests page does (owners); refusing tells "
                        "the address, with the reason; discarding does not (spam sign-ups); each decision is "
                        "recorded with the token's account", "manage_decide_request", [mlist, request_id],
                        ("200", "RequestDecided", "decided"), {**_ON_LIST, **bad}, "RequestDecision"),
        },
        "/api/manage/lists/{list_name}/bans": {
            "get": _op("The list's bans (moderators and owners)", "manage_bans", [mlist, *pages],
                       ("200", "BanPage", "a page of bans"), {**_ON_LIST, **bad}),
            "post": _op("Ban an address or a ^regex from posting and subscribing (moderators and owners)",
                        "manage_add_ban", [mlist], ("201", "Ban", "banned"), {**_ON_LIST, **bad}, "NewBan",
                        {"200": {"description": "banned already (the reason kept)",
                                 "content": {"application/json": {"schema": _ref("Ban")}}}}),
        },
        "/api/manage/lists/{list_name}/bans/{ban_id}": {
            "get": _op("One ban", "manage_ban", [mlist, ban_id], ("200", "Ban", "the ban"), _ON_LIST),
            "delete": _op("Lift the ban (moderators and owners)", "manage_lift_ban", [mlist, ban_id],
                          ("200", "Lifted", "lifted"), _ON_LIST),
        },
        "/api/manage/lists/{list_name}/held": {
            "get": _op("Held posts, newest first (moderators and owners)", "manage_held", [mlist, *pages],
                       ("200", "HeldPage", "a page of held posts"), {**_ON_LIST, **bad}),
        },
        "/api/manage/lists/{list_name}/held/{held_id}": {
            "get": _op("One held post", "manage_held_post", [mlist, held_id], ("200", "Held", "the post"), _ON_LIST),
            "post": _op("Decide a held post (the held queue's actions)", "manage_decide", [mlist, held_id],
                        ("200", "Decided", "decided"), {**_ON_LIST, **bad}, "HeldDecision"),
        },
        "/api/manage/lists/{list_name}/settings": {
            "get": _op("The list's settings (owners)", "manage_settings", [mlist], ("200", "Settings", "the settings"),
                       _ON_LIST),
            "patch": _op("Change settings, validated as the settings page does; recorded in the list's history",
                         "manage_change_settings", [mlist], ("200", "Settings", "saved"), {**_ON_LIST, **invalid},
                         "SettingsChange"),
        },
    }


SECURITY_SCHEMES = {"token": {"type": "http", "scheme": "bearer",
                              "description": "an account's API token (/accounts/api-token/, `listhaven api-token`)"}}  # fmt: skip
