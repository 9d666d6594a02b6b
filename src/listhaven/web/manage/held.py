"""/manage/LIST/held/: posts waiting for a moderator, newest first, each readable (rendered as the
archive renders a message: escaped, attachments listed and never served, every header field listed
as text), decided one at a time or in bulk."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from listhaven.lists.held_actions import ACTIONS, LABELS, act
from listhaven.lists.models import HeldMessage, MailingList
from listhaven.lists.moderation import HeldNotFound, held_bytes
from listhaven.mail.headers import field_lines
from listhaven.mail.message import SourceMessage
from listhaven.mail.parse import UnparseableMessage, parse_message
from listhaven.mail.presenter import Presenter
from listhaven.web.manage.guard import manage

T = "listhaven/manage/"
PER_PAGE = 50
BULK_ACTIONS = ("accept", "reject", "discard", "defer")
# The fields a held post's page shows above its body (all of them are listed under it): whom the
# post was written to and when, what a hold for too many recipients or an implicit destination is about.
ADDRESSED = ("to", "cc", "date")


@manage("moderate")
@require_http_methods(["GET", "POST"])
def held_queue(request: HttpRequest, mlist: MailingList) -> HttpResponse:
    if request.method == "POST":
        return _bulk(request, mlist)
    rows = HeldMessage.objects.filter(mailing_list=mlist).defer("data").order_by("-held_at", "-id")
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    # each row's link is held_url plus the post's id (/held/ID/): one reverse() a page, not fifty
    context = {"mlist": mlist, "page": page, "bulk_actions": [(a, LABELS[a]) for a in BULK_ACTIONS],
               "held_url": reverse("manage-held", args=[mlist.name])}  # fmt: skip
    return render(request, T + "held.html", context)


def _bulk(request: HttpRequest, mlist: MailingList) -> HttpResponse:
    action = request.POST.get("action", "")
    if action not in BULK_ACTIONS:
        messages.error(request, "Choose what to do with the posts.")
        return redirect("manage-held", list_name=mlist.name)
    ids = [int(i) for i in request.POST.getlist("held") if i.isdigit()]
    if not ids:
        messages.error(request, "Select the posts first, then what to do with them.")
        return redirect("manage-held", list_name=mlist.name)
    done, stopped = 0, []
    for held_id in ids:
        try:
            decision = act(mlist, held_id, action, request.POST.get("reason", "").strip())
            done += 1
        except HeldNotFound:
            continue  # decided meanwhile by someone else
        if decision.result != decision.action:
            stopped.append(f"#{held_id} {decision.summary}")
    messages.success(request, f"{LABELS[action]}: {done} post(s).")
    if stopped:  # approved, but content filtering left nothing of them: what the list did instead
        messages.warning(request, f"{len(stopped)} of them: " + "; ".join(stopped))
    return redirect("manage-held", list_name=mlist.name)


@manage("moderate")
@require_http_methods(["GET", "POST"])
def held_post(request: HttpRequest, mlist: MailingList, held_id: int) -> HttpResponse:
    held = HeldMessage.objects.filter(mailing_list=mlist, pk=held_id).first()
    if held is None:
        raise Http404("No such held post (decided already?).")
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in ACTIONS:
            messages.error(request, "Choose what to do with the post.")
            return redirect("manage-held-post", list_name=mlist.name, held_id=held_id)
        try:
            decision = act(mlist, held_id, action, request.POST.get("reason", "").strip())
        except HeldNotFound:
            messages.error(request, "Someone decided this post meanwhile.")
        else:
            said = f"{LABELS[action]}: “{held.subject or '(no subject)'}” from {held.sender}"
            if decision.result == decision.action:
                messages.success(request, said + ".")
            else:  # approved, but content filtering left nothing of it: what the list did instead
                messages.warning(request, f"{said}: {decision.summary}.")
        return redirect("manage-held", list_name=mlist.name)
    raw = held_bytes(held)
    fields = field_lines(raw)
    context = {"mlist": mlist, "held": held, "message": _parsed(held, raw), "present": Presenter(obfuscates=False),
               "actions": list(LABELS.items()), "fields": fields,
               "addressed": [(name, value) for name, value in fields if name.lower() in ADDRESSED]}  # fmt: skip
    return render(request, T + "held_post.html", context)


def _parsed(held: HeldMessage, raw: bytes) -> object | None:
    try:
        return parse_message(SourceMessage(raw, f"held #{held.pk}"))
    except UnparseableMessage:
        return None
