"""/manage/erase/: a site administrator erases a person's address (a GDPR request), the same
service as `listhaven erase-address` (lists/erasure.py), with what became of the archive chosen
and the address typed twice; the page then shows what was removed, and the audit row keeps it
with the address as a keyed hash only."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from listhaven.delivery.outbox import remove_copies
from listhaven.lists.addresses import InvalidAddress, canonical_address
from listhaven.lists.erasure import POSTS, erase_address
from listhaven.lists.models import Erasure, MailingList
from listhaven.web.manage.guard import manage

T = "listhaven/manage/erase.html"


@manage("site")
@require_http_methods(["GET", "HEAD", "POST"])
def erase(request: HttpRequest) -> HttpResponse:
    context = {"lists": MailingList.objects.order_by("name").values_list("name", flat=True), "modes": POSTS,
               "recent": Erasure.objects.order_by("-id")[:20], "error": "", "report": None,
               "form": {"address": "", "list": "", "posts": "hide"}}  # fmt: skip
    if request.method != "POST":
        return render(request, T, context)
    form = {name: request.POST.get(name, "").strip() for name in ("address", "again", "list", "posts")}
    context["form"] = form
    mlist = MailingList.objects.filter(name=form["list"]).first() if form["list"] else None
    try:
        address = canonical_address(form["address"])
    except InvalidAddress:
        address = ""
    if not address or form["again"].lower() != form["address"].lower():
        context["error"] = "Give the address, and type it again exactly to confirm."
    elif form["posts"] not in POSTS or (form["list"] and mlist is None):
        context["error"] = "Choose what becomes of the archived messages, and a list or every list."
    if context["error"]:
        return render(request, T, context, status=400)
    report = erase_address(address, mlist=mlist, posts=form["posts"], by=request.user.get_username())
    report.counts["outbox copies"] = remove_copies(address=address)
    context.update(report=report, form={"address": "", "list": "", "posts": "hide"})
    return render(request, T, context)
