"""The front page: every list this reader may see. (A list's information page: views/members/listinfo.py.)"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from listhaven.web.access import readable_lists
from listhaven.web.months import list_activity

_LIST_FIELDS = ("id", "name", "address", "display_name", "description", "archive_policy", "next_archive_number", "created_at")


def lists_index(request: HttpRequest) -> HttpResponse:
    mlists = list(readable_lists(request).only(*_LIST_FIELDS))
    activity = list_activity(mlists)
    rows = [(mlist, activity[mlist.pk]) for mlist in mlists]
    return render(request, "listhaven/index.html", {"rows": rows})
