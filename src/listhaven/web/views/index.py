"""The front page: every list this reader may see. (A list's information page: views/members/listinfo.py.)"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from listhaven.web.access import readable_lists_for_index
from listhaven.web.months import list_activity


def lists_index(request: HttpRequest) -> HttpResponse:
    mlists = readable_lists_for_index(request)
    activity = list_activity(mlists)
    rows = [(mlist, activity[mlist.pk]) for mlist in mlists]
    return render(request, "listhaven/index.html", {"rows": rows})
