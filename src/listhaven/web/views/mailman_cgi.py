"""Mailman 2's web links other than the archive, answered with 301 to the pages that replace them.

Every post a Mailman 2 list ever sent carries them (its footer, List-Unsubscribe, List-Help), and so do
the archive, bookmarks and other sites:

``/mailman/listinfo/LIST``            → ``/listinfo/LIST``
``/mailman/subscribe/LIST``           → ``/listinfo/LIST`` (the subscribe form's target)
``/mailman/options/LIST[/ADDRESS]``   → ``/LIST/options/``
``/mailman/admin/LIST[/CATEGORY]``    → ``/manage/LIST/`` (``/mailman/admindb/LIST`` → its held posts)
``/mailman/private/LIST/...``         → as ``/pipermail/LIST/...`` (the private archive; web/views/pipermail.py)
``/mailman/listinfo``, ``/pipermail/`` → ``/`` (and ``/mailman/admin`` → ``/manage/``)

Mailman 2 matched list names without regard to case; so do these. A list this reader may not read answers
404 exactly like a list that does not exist (web/access.py).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.urls import reverse

from listhaven.web.access import get_readable_list


def site_root(request: HttpRequest) -> HttpResponsePermanentRedirect:
    return HttpResponsePermanentRedirect(reverse("index"))


def listinfo(request: HttpRequest, list_name: str) -> HttpResponsePermanentRedirect:
    mlist = get_readable_list(request, list_name.lower())
    return HttpResponsePermanentRedirect(reverse("listinfo", args=[mlist.name]))


def options(request: HttpRequest, list_name: str) -> HttpResponsePermanentRedirect:
    mlist = get_readable_list(request, list_name.lower())
    return HttpResponsePermanentRedirect(reverse("member-options", args=[mlist.name]))


def admin(request: HttpRequest, list_name: str = "", held: bool = False) -> HttpResponsePermanentRedirect:
    """To the list's owner pages, which send the signed-out to sign in first."""
    if not list_name:
        return HttpResponsePermanentRedirect(reverse("manage"))
    mlist = get_readable_list(request, list_name.lower())
    return HttpResponsePermanentRedirect(reverse("manage-held" if held else "manage-list", args=[mlist.name]))
