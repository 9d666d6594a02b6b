"""/manage/LIST/bans/: addresses (or ^regexes) that may not post to the list."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from listhaven.lists.bans import InvalidBan, add_ban, lift_ban
from listhaven.lists.models import Ban, MailingList
from listhaven.web.manage.guard import manage


@manage("moderate")
@require_http_methods(["GET", "POST"])
def bans(request: HttpRequest, mlist: MailingList) -> HttpResponse:
    if request.method == "POST":
        if "remove" in request.POST:
            removed = request.POST.get("remove", "")
            if removed.isdigit() and lift_ban(mlist, int(removed)) is not None:
                messages.success(request, "Ban lifted.")
            return redirect("manage-bans", list_name=mlist.name)
        try:
            add_ban(mlist, request.POST.get("pattern", ""), request.POST.get("reason", ""))
        except InvalidBan as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Banned.")
        return redirect("manage-bans", list_name=mlist.name)
    rows = Ban.objects.filter(mailing_list=mlist).order_by("pattern")
    return render(request, "listhaven/manage/bans.html", {"mlist": mlist, "bans": rows})
