"""Who may read a list's archive: the ONE function every endpoint calls (pages, search, API,
feeds, exports, raw). A list the reader may not see is indistinguishable from one that does
not exist: 404 either way."""

from __future__ import annotations

from django.http import Http404, HttpRequest

from listhaven.lists.models import MailingList


def can_read(request: HttpRequest, mlist: MailingList) -> bool:
    if not mlist.is_private:
        return True
    user = getattr(request, "user", None)
    return bool(user and user.is_authenticated and (user.is_staff or _is_member(user, mlist)))


def _is_member(user: object, mlist: MailingList) -> bool:
    # Membership lives in the lists app; until a list has members, private means staff only.
    return False


def get_readable_list(request: HttpRequest, list_name: str) -> MailingList:
    """The list named in the URL when this reader may see it; Http404 otherwise."""
    mlist = MailingList.objects.filter(name=list_name).first()
    if mlist is None or not can_read(request, mlist):
        raise Http404(f"No list named “{list_name}” here.")
    return mlist


def readable_lists(request: HttpRequest):
    """Every list this reader may see (for the index, cross-list search and the API)."""
    lists = MailingList.objects.all()
    user = getattr(request, "user", None)
    if user and user.is_authenticated and user.is_staff:
        return lists
    return lists.filter(is_private=False)


def can_administer_site(request: HttpRequest) -> bool:
    """Site administrators (staff): the outbox and other site-wide management pages."""
    user = getattr(request, "user", None)
    return bool(user and user.is_authenticated and user.is_active and user.is_staff)


def require_site_administrator(request: HttpRequest) -> None:
    """Http404 for anyone else: a page they may not see looks like one that does not exist."""
    if not can_administer_site(request):
        raise Http404("No such page.")
