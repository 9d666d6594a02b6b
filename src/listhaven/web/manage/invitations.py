"""/manage/LIST/members/invite/: an owner invites addresses (Postorius's "invite" beside mass subscription).

Each address gets the list's invitation notice and joins only when it accepts, by the notice's link
(/confirm/TOKEN: a button, then POST) or by replying to it; no owner approval follows, the owner asked.
Members, banned and invalid addresses are reported, not invited.
"""

from __future__ import annotations

from collections import Counter

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from listhaven.lists.addresses import InvalidAddress, parse_named_address
from listhaven.lists.members import read_address_file
from listhaven.lists.models import MailingList
from listhaven.lists.subscriptions import Status, invite
from listhaven.web.manage.guard import manage

# Each invitation is a mail: one form sends at most this many (more: the command line, `listhaven members invite`).
MAX_INVITATIONS = 1000
_SHOWN_ERRORS = 20


@manage("administer")
@require_POST
def invite_members(request: HttpRequest, mlist: MailingList) -> HttpResponse:
    entries = read_address_file(request.POST.get("addresses", "").splitlines())
    if not entries:
        messages.error(request, "Name the addresses to invite, one a line.")
    elif len(entries) > MAX_INVITATIONS:
        messages.error(request, f"{len(entries)} addresses: at most {MAX_INVITATIONS} invitations a form; "
                       "nobody was invited.")  # fmt: skip
    else:
        _invite_all(request, mlist, entries)
    return redirect("manage-members", list_name=mlist.name)


def _invite_all(request: HttpRequest, mlist: MailingList, entries: list[str]) -> None:
    inviter = getattr(request.user, "email", "") or "an owner"
    counts: Counter[Status] = Counter()
    problems: list[str] = []
    for entry in entries:
        try:
            named = parse_named_address(entry)
        except InvalidAddress as exc:
            counts[Status.INVALID] += 1
            problems.append(f"{entry}: {exc}")
            continue
        outcome = invite(mlist, named.address, display_name=named.display_name, inviter=inviter)
        counts[outcome.status] += 1
        if outcome.status in (Status.BANNED, Status.INVALID):
            problems.append(f"{entry}: {outcome.detail or outcome.status}")
    messages.success(request, f"{counts[Status.INVITED]} invited, {counts[Status.ALREADY]} already members, "
                     f"{counts[Status.BANNED]} banned, {counts[Status.INVALID]} not valid.")  # fmt: skip
    for problem in problems[:_SHOWN_ERRORS]:
        messages.error(request, problem)
