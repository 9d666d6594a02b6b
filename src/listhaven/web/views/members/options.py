"""`/LIST/options/`: a member's own options, and leaving the list.

Who is the member: a signed-in account whose address is on the list (shared decisions: memberships
link to accounts by address), or whoever opened a one-time link mailed to the address
(`/LIST/options/TOKEN`: GET shows a button, POST uses the token and remembers the address in the
session for this list). Anyone else gets a form that mails such a link, answering the same whether
or not the address is on the list. A member changes their address here too (on this list or every
list): the new address confirms by a mailed link (lists/subscriptions.request_address_change)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from listhaven.lists.addresses import InvalidAddress, canonical_address
from listhaven.lists.members import find_member, valid_display_name
from listhaven.lists.models import MailingList, Member
from listhaven.lists.models.member import DELIVERY_MODES
from listhaven.lists.subscriptions import (
    Status,
    find_pending,
    leave,
    request_address_change,
    request_options_link,
    use_pending,
)
from listhaven.web.access import get_list_by_proof, user_address
from listhaven.web.views.members import guard

SESSION_KEY = "listhaven_options"  # {list id: address proven by a one-time link}
FLAGS = ("receive_own_posts", "acknowledge_posts", "hide_address")


def _proven_address(request: HttpRequest, mlist: MailingList) -> str:
    signed_in = user_address(getattr(request, "user", None))
    if signed_in:
        return signed_in
    return str(request.session.get(SESSION_KEY, {}).get(str(mlist.pk), ""))


def _proven_member(request: HttpRequest, mlist: MailingList) -> Member | None:
    address = _proven_address(request, mlist)
    return find_member(mlist, address) if address else None


@require_http_methods(["GET", "HEAD", "POST"])
def options(request: HttpRequest, list_name: str) -> HttpResponse:
    # A member proven by their account or a one-time link reaches their options whatever the archive policy.
    mlist, member = get_list_by_proof(request, list_name, lambda found: _proven_member(request, found))
    if member is None:
        return _ask_for_link(request, mlist)
    saved = False
    if request.method == "POST":
        if request.POST.get("action") == "change_address":
            return _change_address(request, mlist, member)
        if request.POST.get("action") == "leave":
            leave(mlist, member.address, origin="options")
            request.session.get(SESSION_KEY, {}).pop(str(mlist.pk), None)
            request.session.modified = True
            return render(request, "listhaven/members/left.html", {"mlist": mlist, "address": member.address})
        error = _save(member, request)
        if error:
            context = {"mlist": mlist, "member": member, "modes": DELIVERY_MODES, "saved": False, "options_error": error}
            return render(request, "listhaven/members/options.html", context, status=400)
        saved = True
    context = {"mlist": mlist, "member": member, "modes": DELIVERY_MODES, "saved": saved}
    return render(request, "listhaven/members/options.html", context)


def _change_address(request: HttpRequest, mlist: MailingList, member: Member) -> HttpResponse:
    """Mails the confirmation to the new address (within the subscribe form's rate limits); the page
    says so, or why not (not an address, the same address)."""
    new, everywhere = request.POST.get("new_address", ""), request.POST.get("everywhere") == "on"
    context = {"mlist": mlist, "member": member, "modes": DELIVERY_MODES, "saved": False, "new_address": new}
    try:
        counted = canonical_address(new)
    except InvalidAddress:
        counted = new
    # the subscribe form's counts: the address gets one budget of confirmations (lists/answer_limits.py)
    if guard.over_limit(request, "subscribe", counted):
        context["change_sent"] = new  # as if sent: a limit is not told apart from a mail on its way
        return render(request, "listhaven/members/options.html", context)
    outcome = request_address_change(mlist, member, new, everywhere=everywhere)
    if outcome.status != Status.CONFIRM_SENT:
        context["change_error"] = "That is not an email address." if outcome.status == Status.INVALID else (
            f"{member.address} is the address subscribed already.")  # fmt: skip
        return render(request, "listhaven/members/options.html", context, status=400)
    context["change_sent"] = outcome.address
    return render(request, "listhaven/members/options.html", context)


def _save(member: Member, request: HttpRequest) -> str:
    """Saves the options form; "" when saved, else why nothing was (a name the owners' member page
    would refuse too: lists/members.valid_display_name)."""
    try:
        name = valid_display_name(request.POST.get("display_name", member.display_name))
    except ValueError as exc:
        return f"That name cannot be used: {exc}. Nothing was changed."
    mode = request.POST.get("delivery_mode", member.delivery_mode)
    if mode in dict(DELIVERY_MODES):
        member.delivery_mode = mode
    for flag in FLAGS:
        setattr(member, flag, request.POST.get(flag) == "on")
    member.display_name = name
    member.save(update_fields=["delivery_mode", "display_name", *FLAGS])
    return ""


def _ask_for_link(request: HttpRequest, mlist: MailingList) -> HttpResponse:
    context = {"mlist": mlist, "stamp": guard.form_stamp(), "honeypot": guard.HONEYPOT, "error": ""}
    if request.method == "POST":
        error = _mail_link(request, mlist)
        if not error:
            return render(request, "listhaven/members/options_sent.html", {"mlist": mlist})
        context["error"] = error
    return render(request, "listhaven/members/options_login.html", context, status=400 if context["error"] else 200)


def _mail_link(request: HttpRequest, mlist: MailingList) -> str:
    if guard.honeypot_filled(request):
        return ""
    if guard.too_fast_or_forged(request):
        return "The form came back too quickly (or had expired). Please send it again."
    try:
        address = canonical_address(request.POST.get("address", ""))
    except InvalidAddress:
        return "That is not an email address."
    if not guard.over_limit(request, "options", address):
        request_options_link(mlist, address)
    return ""


@require_http_methods(["GET", "HEAD", "POST"])
def options_link(request: HttpRequest, list_name: str, token: str) -> HttpResponse:
    mlist, pending = get_list_by_proof(
        request, list_name, lambda found: find_pending(token, purposes={"options"}, mlist=found)
    )
    if pending is None:
        return render(request, "listhaven/members/token_invalid.html", {"mlist": mlist}, status=404)
    if request.method != "POST":
        context = {"mlist": mlist, "token": token, "address": pending.address}
        return render(request, "listhaven/members/options_open.html", context)
    if not use_pending(pending):
        return render(request, "listhaven/members/token_invalid.html", {"mlist": mlist}, status=404)
    proven = dict(request.session.get(SESSION_KEY, {}))
    proven[str(mlist.pk)] = pending.address
    request.session.cycle_key()  # a new session id for a newly proven identity
    request.session[SESSION_KEY] = proven
    return redirect("member-options", list_name=mlist.name)
