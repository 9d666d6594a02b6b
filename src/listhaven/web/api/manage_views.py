"""The JSON API's owner and moderator endpoints, under /api/manage/: the lists a token's account
runs, their members, held posts and settings.

Authenticated by `Authorization: Bearer TOKEN` only (web/api/tokens.py). The session cookie is never
read here: with no cookie in play there is nothing for a cross-site request to ride on, so no CSRF
token is asked. Each view asks web/access.py as the pages do (a list the account may not read: 404
like one that does not exist; readable without the role: 403) and calls the pages' own services
(lists/held_actions.act, web/manage/members.subscribe, the settings form and its history).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.paginator import EmptyPage, Paginator
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django_ratelimit.core import is_ratelimited

from listhaven.lists.held_actions import ACTIONS, act
from listhaven.lists.members import MEMBER_OPTIONS, RoleTaken, member_summary
from listhaven.lists.models import HeldMessage, MailingList, Member
from listhaven.lists.moderation import HeldNotFound, held_summary
from listhaven.web import access
from listhaven.web.accounts.throttle import client_of
from listhaven.web.api.http import ApiError, bad_request, error_response, not_found
from listhaven.web.api.pagination import page_request
from listhaven.web.api.tokens import bearer, user_of_token
from listhaven.web.manage.list_settings import save_settings
from listhaven.web.manage.members import FILTERS, change_recorded, filtered, subscribe
from listhaven.web.manage.settings_form import FIELDS, SettingsForm

CHECKS: dict[str, Callable[[Any, MailingList], bool]] = {
    "moderate": access.can_moderate,
    "administer": access.can_administer,
}
MAX_BODY = 1024 * 1024
View = Callable[..., HttpResponseBase]


def token_view(methods: tuple[str, ...], need: str | None = None) -> Callable[[View], View]:
    """Bearer token, rate limit, allowed methods, the list (when the URL names one) and the role `need`."""

    def wrap(view: View) -> View:
        @csrf_exempt  # bearer token only: no cookie is read, so a forged cross-site request carries nothing
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            try:
                _authenticate(request)
                if "list_name" in kwargs:  # before the method: a list they may not see is 404 whatever the method
                    kwargs["mlist"] = _list(request, kwargs.pop("list_name"), need or "moderate")
                if request.method not in (*methods, *(("HEAD",) if "GET" in methods else ())):
                    response = error_response(405, "method_not_allowed", f"{request.method} is not allowed here")
                    response["Allow"] = ", ".join(methods)
                    return response
                return view(request, *args, **kwargs)
            except ApiError as exc:
                response = error_response(exc.status, exc.error, exc.detail)
                if exc.status == 401:
                    response["WWW-Authenticate"] = 'Bearer realm="listhaven"'
                return response

        wrapped.api_need = need  # type: ignore[attr-defined]
        return wrapped

    return wrap


def _authenticate(request: HttpRequest) -> None:
    token = bearer(request)
    # The client's address as sign-in throttling reads it (no REMOTE_ADDR behind some servers: "unknown").
    if is_ratelimited(request, group="api-token:client", key=lambda _g, r: client_of(r), rate=settings.API_RATE,
                      increment=True):  # fmt: skip
        raise ApiError(429, "too_many_requests", "too many requests from this address; wait a minute")
    user = user_of_token(token) if token else None
    if user is None:
        # Never the session: a page's cookie must not open these endpoints.
        raise ApiError(401, "unauthorized", "send Authorization: Bearer TOKEN (made on /accounts/api-token/)"
                       if token is None else "this token is not valid (revoked, expired or never made)")
    if is_ratelimited(request, group="api-token:user", key=lambda _g, _r: str(user.pk), rate=settings.API_RATE,
                      increment=True):  # fmt: skip
        raise ApiError(429, "too_many_requests", "too many requests with this token; wait a minute")
    request.user = user


def _list(request: HttpRequest, list_name: str, need: str) -> MailingList:
    mlist = MailingList.objects.filter(name=list_name).first()
    if mlist is None or not access.may_see_manage_pages(request, mlist):
        raise not_found(f"no list named {list_name[:100]!r}")
    if not CHECKS[need](request, mlist):
        raise ApiError(403, "forbidden", f"your role on {mlist.name} does not allow this")
    return mlist


def read_json(request: HttpRequest) -> dict[str, Any]:
    if len(request.body) > MAX_BODY:
        raise ApiError(413, "too_large", f"a request body of at most {MAX_BODY} bytes")
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise bad_request("the body must be a JSON object") from None
    if not isinstance(data, dict):
        raise bad_request("the body must be a JSON object")
    return data


def read_decision(request: HttpRequest, actions: Iterable[str], reason_note: str) -> tuple[str, str]:
    """The body's "action" (one of `actions`) and its optional "reason", stripped; a clear 400 otherwise."""
    data = read_json(request)
    action, reason = data.get("action"), data.get("reason", "")
    if action not in actions or not isinstance(reason, str):
        raise bad_request(f'"action" is one of {", ".join(actions)}; "reason" ({reason_note}) a string')
    return action, reason.strip()


def paged(request: HttpRequest, rows: Any, serialize: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    wanted = page_request(request)
    paginator = Paginator(rows, wanted.per_page)
    try:
        page = paginator.page(wanted.page)
    except EmptyPage:
        if wanted.page > 1:
            raise not_found(f"page {wanted.page} does not exist: there are {paginator.num_pages}") from None
        return {"page": 1, "per_page": wanted.per_page, "total": 0, "items": []}
    return {"page": page.number, "per_page": wanted.per_page, "total": paginator.count,
            "items": [serialize(row) for row in page.object_list]}  # fmt: skip


def ok(data: Any, status: int = 200) -> JsonResponse:
    response = JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response


@token_view(("GET",))
def lists(request: HttpRequest) -> HttpResponseBase:
    rows = access.managed_lists(request).order_by("name", "pk")

    def row(mlist: MailingList) -> dict[str, Any]:
        role = access.role_of(request, mlist)
        return {"name": mlist.name, "address": mlist.address, "role": role.value if role else None,
                "held": HeldMessage.objects.filter(mailing_list=mlist).count(),
                "members": Member.objects.filter(mailing_list=mlist, role="member").count()}  # fmt: skip

    return ok(paged(request, rows, row))


def _member(row: Member) -> dict[str, Any]:
    return {"id": row.pk, **member_summary(row)}


@token_view(("GET", "POST"), "administer")
def members(request: HttpRequest, mlist: MailingList) -> HttpResponseBase:
    if request.method == "POST":
        return _add_members(request, mlist)
    params = {k: request.GET.get(k, "") for k in FILTERS}
    rows, _ = filtered(mlist, params)
    return ok({"list": mlist.name, **paged(request, rows, _member)})


def _add_members(request: HttpRequest, mlist: MailingList) -> HttpResponseBase:
    data = read_json(request)
    addresses = data.get("addresses")
    if not isinstance(addresses, list) or not addresses or not all(isinstance(a, str) for a in addresses):
        raise bad_request('"addresses": a non-empty array of addresses ("Name <address>" or "address")')
    role = data.get("role", "member")
    if role not in ("member", "moderator", "owner", "nonmember"):
        raise bad_request('"role" is one of member, moderator, owner, nonmember')
    report = subscribe(mlist, addresses[:10000], role, welcome=bool(data.get("welcome", False)))
    body = {"added": report.added, "existing": report.existing,
            "invalid": [{"given": given, "reason": why} for given, why in report.invalid]}  # fmt: skip
    return ok(body, status=201 if report.added else 200)


@token_view(("GET", "PATCH", "DELETE"), "administer")
def member(request: HttpRequest, mlist: MailingList, member_id: int) -> HttpResponseBase:
    row = Member.objects.filter(mailing_list=mlist, pk=member_id).first()
    if row is None:
        raise not_found(f"no member #{member_id} on {mlist.name}")
    if request.method == "DELETE":
        row.delete()
        return ok({"removed": row.address, "role": row.role})
    if request.method == "PATCH":
        _change_member(request, mlist, row, read_json(request))
    return ok(_member(row))


MEMBER_CHANGES = ("role", "delivery_mode", "display_name", "enable", *MEMBER_OPTIONS)


def _change_member(request: HttpRequest, mlist: MailingList, row: Member, data: dict[str, Any]) -> None:
    """The member page's changes (lists/members.change_member): role, delivery mode, the name (recorded
    in the list's history under the token's account, as on the page), the flags, and `"enable": true`
    to turn delivery back on (after bounces, say) with the bounce score reset."""
    unknown = sorted(set(data) - set(MEMBER_CHANGES))
    if unknown:
        raise bad_request(f"no member field named {', '.join(unknown)[:200]}; one of {', '.join(MEMBER_CHANGES)}")
    flags = {name: data[name] for name in ("enable", *MEMBER_OPTIONS) if name in data}
    if not all(isinstance(value, bool) for value in flags.values()):
        raise bad_request(f"{', '.join(n for n, v in flags.items() if not isinstance(v, bool))}: true or false")
    for name in ("role", "delivery_mode", "display_name"):
        if name in data and not isinstance(data[name], str):
            raise bad_request(f'"{name}" is a string')
    try:
        change_recorded(request, mlist, row, role=data.get("role"), delivery_mode=data.get("delivery_mode"),
                        enable=bool(data.get("enable")), display_name=data.get("display_name"),
                        options={name: data[name] for name in MEMBER_OPTIONS if name in data})  # fmt: skip
    except RoleTaken as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    except ValueError as exc:
        raise bad_request(str(exc)[:300]) from None


@token_view(("GET",), "moderate")
def held(request: HttpRequest, mlist: MailingList) -> HttpResponseBase:
    rows = HeldMessage.objects.filter(mailing_list=mlist).defer("data").order_by("-held_at", "-id")
    return ok({"list": mlist.name, **paged(request, rows, held_summary)})


@token_view(("GET", "POST"), "moderate")
def held_post(request: HttpRequest, mlist: MailingList, held_id: int) -> HttpResponseBase:
    row = HeldMessage.objects.filter(mailing_list=mlist, pk=held_id).defer("data").first()
    if row is None:
        raise not_found(f"no held post #{held_id} on {mlist.name} (decided already?)")
    if request.method == "GET":
        return ok(held_summary(row))
    action, reason = read_decision(request, ACTIONS, "optional")
    try:
        decision = act(mlist, held_id, action, reason[:1000])
    except HeldNotFound:
        raise not_found(f"held post #{held_id} was decided meanwhile") from None
    return ok({"id": held_id, "action": action, "decision": decision.action, "result": decision.result,
               "summary": decision.summary, "notified": decision.notified})  # fmt: skip


def _value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_value(v) for v in value]
    return str(value)


def current_settings(mlist: MailingList) -> dict[str, Any]:
    return {name: _value(getattr(mlist, name)) for name in FIELDS}


def _form_data(mlist: MailingList, changes: dict[str, Any]) -> dict[str, Any]:
    """The settings form's POST as the page would send it: every field as it is, then the changes."""
    form = SettingsForm(instance=mlist)
    data: dict[str, Any] = {}
    for name in FIELDS:
        value = changes[name] if name in changes else getattr(mlist, name)
        if isinstance(value, bool):
            if value:
                data[name] = "on"  # a checkbox left out is false, as in the browser
            continue
        if isinstance(value, list):
            value = "\n".join(str(v) for v in value)
        data[name] = form.fields[name].prepare_value(value) if value is not None else ""
    if "moderator_password" in changes:
        data["moderator_password"] = changes["moderator_password"]
    return data


@token_view(("GET", "PATCH"), "administer")
def list_settings(request: HttpRequest, mlist: MailingList) -> HttpResponseBase:
    if request.method == "GET":
        return ok({"list": mlist.name, "settings": current_settings(mlist)})
    changes = read_json(request)
    unknown = sorted(set(changes) - set(FIELDS) - {"moderator_password"})
    if unknown:
        raise bad_request(f"no setting named {', '.join(unknown)[:200]}; GET shows them all")
    wrong = [k for k, v in changes.items() if not isinstance(v, (str, int, float, bool, list)) or
             (isinstance(v, list) and not all(isinstance(x, str) for x in v))]  # fmt: skip
    if wrong:
        raise bad_request(f"{', '.join(wrong)}: a string, number, boolean or array of strings")
    before = {name: getattr(mlist, name) for name in FIELDS}
    form = SettingsForm(_form_data(mlist, changes), instance=mlist)
    if not form.is_valid():
        errors = {field: [str(e) for e in errs] for field, errs in form.errors.items()}
        response = ok({"error": "invalid", "detail": "nothing was saved", "fields": errors}, status=400)
        return response
    save_settings(request, mlist, form, before)
    mlist.refresh_from_db()
    return ok({"list": mlist.name, "settings": current_settings(mlist)})
