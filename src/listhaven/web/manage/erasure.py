"""Erasing a person's address (a GDPR request), the same service as `listhaven erase-address`
(lists/erasure.py): /manage/erase/ for a site administrator (every list and the account, or one
list), /manage/LIST/erase/ for the list's owners (that list only: access.can_erase; the address of
an owner or moderator of the list or of a site administrator is refused to them with the reason,
access.erasure_refusal). Both ask what becomes of the archive and the address typed twice; the page
then shows what was removed, and the audit row (lists_erasure) keeps it with the address as a keyed
hash only."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from listhaven.delivery.outbox import remove_copies
from listhaven.lists.addresses import InvalidAddress, canonical_address
from listhaven.lists.erasure import POSTS, erase_address
from listhaven.lists.models import Erasure, MailingList
from listhaven.web import access
from listhaven.web.manage.guard import manage

T = "listhaven/manage/erase.html"


@manage("site")
@require_http_methods(["GET", "HEAD", "POST"])
def erase(request: HttpRequest) -> HttpResponse:
    lists = MailingList.objects.order_by("name").values_list("name", flat=True)
    return _erase(request, None, lists, Erasure.objects.order_by("-id")[:20])


@manage("erase")
@require_http_methods(["GET", "HEAD", "POST"])
def erase_on_list(request: HttpRequest, mlist: MailingList) -> HttpResponse:
    """An owner's erasure: this list's roster, held posts, queue and archive; the outbox's copies
    this list sent. The account and the other lists are the site administrators' (/manage/erase/)."""
    return _erase(request, mlist, [], Erasure.objects.filter(list_pk=mlist.pk).order_by("-id")[:20])


def _erase(request: HttpRequest, fixed: MailingList | None, lists: object, recent: QuerySet[Erasure]) -> HttpResponse:
    """The page for both: `fixed` is the owner's list (no choice of list), None for the site's page."""
    action = reverse("manage-list-erase", args=[fixed.name]) if fixed else reverse("manage-erase")
    context = {"mlist": fixed, "action": action, "lists": lists, "modes": POSTS, "recent": recent, "error": "",
               "report": None, "form": {"address": "", "list": "", "posts": "hide"}}  # fmt: skip
    if request.method != "POST":
        return render(request, T, context)
    form = {name: request.POST.get(name, "").strip() for name in ("address", "again", "list", "posts")}
    context["form"] = form
    mlist = fixed or (MailingList.objects.filter(name=form["list"]).first() if form["list"] else None)
    try:
        address = canonical_address(form["address"])
    except InvalidAddress:
        address = ""
    if not address or form["again"].lower() != form["address"].lower():
        context["error"] = "Give the address, and type it again exactly to confirm."
    elif form["posts"] not in POSTS or (not fixed and form["list"] and mlist is None):
        context["error"] = "Choose what becomes of the archived messages, and a list or every list."
    if context["error"]:
        return render(request, T, context, status=400)
    refusal = access.erasure_refusal(request, fixed, address) if fixed else ""
    if refusal:  # an owner asking to erase a co-owner, a moderator or a site administrator
        context["error"] = refusal
        return render(request, T, context, status=403)
    report = erase_address(address, mlist=mlist, posts=form["posts"], by=request.user.get_username())
    report.counts["outbox copies"] = remove_copies(address=address, of_list=mlist.address if mlist else "")
    context.update(report=report, form={"address": "", "list": "", "posts": "hide"})
    return render(request, T, context)
