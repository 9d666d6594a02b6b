"""The front page (every list this reader may see) and a list's information page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from listhaven.mail.presenter import Presenter
from listhaven.web.access import get_readable_list, readable_lists
from listhaven.web.months import list_activity

_LIST_FIELDS = ("id", "name", "address", "display_name", "description", "next_archive_number", "created_at")


def lists_index(request: HttpRequest) -> HttpResponse:
    mlists = list(readable_lists(request).only(*_LIST_FIELDS))
    activity = list_activity(mlists)
    rows = [(mlist, activity[mlist.pk]) for mlist in mlists]
    return render(request, "listhaven/index.html", {"rows": rows})


def listinfo(request: HttpRequest, list_name: str) -> HttpResponse:
    mlist = get_readable_list(request, list_name)
    activity = list_activity([mlist])[mlist.pk]
    context = {"mlist": mlist, "activity": activity, "present": Presenter.for_list(mlist)}
    return render(request, "listhaven/listinfo.html", context)
