"""/LIST/held/withdraw/TOKEN: the poster takes back a post that waits for a moderator (the link of
the "your post is held" notice). GET shows a button, so a mail scanner following links withdraws
nothing; POST withdraws (recorded as discarded by the poster)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from listhaven.lists.held_tokens import WITHDRAW, held_for_token
from listhaven.lists.models import MailingList
from listhaven.lists.moderation import HeldNotFound, moderate
from listhaven.web.access import can_read, mark_personal, not_found


@require_http_methods(["GET", "HEAD", "POST"])
def withdraw(request: HttpRequest, list_name: str, token: str) -> HttpResponse:
    mlist = _list(list_name)
    held = held_for_token(mlist, token, WITHDRAW)
    context = {"mlist": mlist, "held": held, "done": False}
    if held is None:
        if not can_read(request, mlist):
            raise not_found(list_name)  # without a valid token, a private list stays unseen
        return render(request, "listhaven/withdraw.html", context, status=404)
    mark_personal(request)  # the poster's own held post
    if request.method == "POST":
        try:
            moderate(mlist, held.pk, "discard", "withdrawn by the poster")
        except HeldNotFound:
            return render(request, "listhaven/withdraw.html", {**context, "held": None}, status=404)
        context["done"] = True
    return render(request, "listhaven/withdraw.html", context)


def _list(list_name: str) -> MailingList:
    # Not can_read: the poster of a private list's held post is usually no member; the token decides.
    mlist = MailingList.objects.filter(name=list_name).first()
    if mlist is None:
        raise not_found(list_name)
    return mlist
