"""`/listinfo/LIST`: about the list, and its subscribe form.

The answer to a posted form is the same page whatever became of the request (subscribed, asked to
confirm, already a member, banned, rate-limited, caught by the honeypot): the page says nothing
about who is on the list. Only a form posted too fast (or without its signed stamp), an address
that is not an address and a name the owners' member page would refuse (a line break, a control
character, over 200 characters) get the form back, which says nothing about anyone either."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from listhaven.lists.addresses import InvalidAddress, canonical_address
from listhaven.lists.members import valid_display_name
from listhaven.lists.subscriptions import request_subscription
from listhaven.mail.presenter import Presenter
from listhaven.web.access import get_readable_list
from listhaven.web.months import list_activity
from listhaven.web.views.members import guard

log = logging.getLogger(__name__)


@require_http_methods(["GET", "HEAD", "POST"])
def listinfo(request: HttpRequest, list_name: str) -> HttpResponse:
    mlist = get_readable_list(request, list_name)
    error = ""
    if request.method == "POST":
        error = _subscribe(request, mlist)
        if not error:
            return render(request, "listhaven/members/subscribe_sent.html", {"mlist": mlist})
    activity = list_activity([mlist])[mlist.pk]
    context = {
        "mlist": mlist, "activity": activity, "present": Presenter.for_list(mlist), "error": error,
        "stamp": guard.form_stamp(), "honeypot": guard.HONEYPOT, "by_mail": _service_addresses(mlist.address),
        "address": request.POST.get("address", "")[:320], "display_name": request.POST.get("name", "")[:200],
    }  # fmt: skip
    return render(request, "listhaven/listinfo.html", context, status=400 if error else 200)


def _service_addresses(address: str) -> dict[str, str]:
    """The addresses that take subscribing and leaving by mail (lists/routing.py routes them)."""
    local, _, domain = address.rpartition("@")
    return {role: f"{local}-{role}@{domain}" for role in ("request", "join", "leave", "owner")}


def _subscribe(request: HttpRequest, mlist) -> str:  # type: ignore[no-untyped-def]
    """'' when the request was taken (whatever became of it); else what the form must say."""
    if guard.honeypot_filled(request):
        log.info("subscribe form for %s: honeypot filled, nothing sent", mlist.name)
        return ""
    if guard.too_fast_or_forged(request):
        return "The form came back too quickly (or had expired). Please send it again."
    try:
        address = canonical_address(request.POST.get("address", ""))
    except InvalidAddress:
        return "That is not an email address."
    try:  # as the owners' member page checks a name (it goes into mail headers and the roster)
        name = valid_display_name(request.POST.get("name", ""))
    except ValueError as exc:
        return f"That name cannot be used: {exc}."
    if guard.over_limit(request, "subscribe", address):
        log.info("subscribe form for %s: rate limit reached, nothing sent", mlist.name)
        return ""
    outcome = request_subscription(mlist, address, display_name=name, origin="web")
    log.info("subscribe form for %s: %s", mlist.name, outcome.status)
    return ""
