"""The door of every /manage/ page: `@manage(NEED)` signs the anonymous in, finds the list named
in the URL and asks web/access.py whether this user may come in, for GET and POST alike.

NEED is one of:
  "any"        someone who moderates or owns at least one list (or a site administrator)
  "moderate"   owners, moderators and site administrators of the list in the URL
  "administer" owners and site administrators of the list
  "erase"      who may erase an address from the list (access.can_erase: owners, site administrators)
  "site"       site administrators

Answers: anonymous → the sign-in page; a list the user may not read and does not moderate (or that
does not exist) → 404 (access.may_see_manage_pages); a list they may see without the role → 403. The access matrix test reads `manage_need`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from listhaven.lists.models import MailingList
from listhaven.web import access

NEEDS = ("any", "moderate", "administer", "erase", "site")

_LIST_CHECKS: dict[str, Callable[[HttpRequest, MailingList], bool]] = {
    "moderate": access.can_moderate,
    "administer": access.can_administer,
    "erase": access.can_erase,
    "site": lambda request, mlist: access.can_administer_site(request),
}


# What the 403 page (templates/403.html) says to someone without the role a page needs.
_REFUSALS = {
    "any": "These pages are for the owners and moderators of a list, and you own or moderate none here.",
    "moderate": "Only the moderators and owners of {title} may open this page.",
    "administer": "Only the owners of {title} may open this page.",
    "erase": "Only the owners of {title} may erase an address from it.",
    "site": "This page is for the site's administrators.",
}


def manage(need: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    if need not in NEEDS:
        raise ValueError(f"unknown need {need!r}")

    def wrap(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            list_name = kwargs.pop("list_name", None)
            if list_name is None:
                _check_site(request, need)
                return view(request, *args, **kwargs)
            mlist = MailingList.objects.filter(name=list_name).first()
            if mlist is None or not access.may_see_manage_pages(request, mlist):
                raise Http404(f"No list named “{list_name}” here.")
            if not _LIST_CHECKS.get(need, access.can_moderate)(request, mlist):
                raise PermissionDenied(_REFUSALS.get(need, _REFUSALS["moderate"]).format(title=mlist.title))
            return view(request, mlist, *args, **kwargs)

        guarded.manage_need = need  # type: ignore[attr-defined]
        return guarded

    return wrap


def _check_site(request: HttpRequest, need: str) -> None:
    if need == "site" and not access.can_administer_site(request):
        raise PermissionDenied(_REFUSALS["site"])
    if need == "any" and not access.managed_lists(request).exists():
        raise PermissionDenied(_REFUSALS["any"])
