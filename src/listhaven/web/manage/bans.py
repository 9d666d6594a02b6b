"""/manage/LIST/bans/: addresses (or ^regexes) that may not post to the list."""

from __future__ import annotations

import re

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from listhaven.lists.addresses import InvalidAddress, canonical_address
from listhaven.lists.models import Ban, MailingList
from listhaven.web.manage.guard import manage


@manage("moderate")
@require_http_methods(["GET", "POST"])
def bans(request: HttpRequest, mlist: MailingList) -> HttpResponse:
    if request.method == "POST":
        if "remove" in request.POST:
            Ban.objects.filter(mailing_list=mlist, pk=request.POST.get("remove")).delete()
            messages.success(request, "Ban lifted.")
            return redirect("manage-bans", list_name=mlist.name)
        error = _add(mlist, request.POST.get("pattern", ""), request.POST.get("reason", ""))
        if error:
            messages.error(request, error)
        else:
            messages.success(request, "Banned.")
        return redirect("manage-bans", list_name=mlist.name)
    rows = Ban.objects.filter(mailing_list=mlist).order_by("pattern")
    return render(request, "listhaven/manage/bans.html", {"mlist": mlist, "bans": rows})


def _add(mlist: MailingList, pattern: str, reason: str) -> str:
    pattern = pattern.strip()
    if pattern.startswith("^"):
        try:
            re.compile(pattern)
        except re.error as exc:
            return f"{pattern!r} is not a valid regular expression: {exc}"
    else:
        try:
            pattern = canonical_address(pattern)
        except InvalidAddress as exc:
            return str(exc)
    Ban.objects.get_or_create(mailing_list=mlist, pattern=pattern, defaults={"reason": reason.strip()[:300]})
    return ""
