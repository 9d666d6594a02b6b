"""/manage/LIST/message/HASH/remove/: an owner hides or purges a message (archive/redaction.py,
the same service as `listhaven redact`)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from listhaven.archive.models import Message
from listhaven.archive.redaction import purge, redact
from listhaven.lists.models import MailingList
from listhaven.web.manage.guard import manage


@manage("administer")
@require_http_methods(["GET", "POST"])
def remove_message(request: HttpRequest, mlist: MailingList, message_hash: str) -> HttpResponse:
    message = Message.objects.filter(mailing_list=mlist, public_id=message_hash).first()
    if message is None:
        raise Http404("No such message in this list.")
    if request.method == "POST":
        how = purge if request.POST.get("purge") else redact
        done = how(message, request.POST.get("reason", "")[:2000], by=request.user.get_username())
        verb = "purged" if how is purge else "hidden"
        messages.success(request, f"Message {verb}." if done.changed else "The message was already removed.")
        return redirect("message", list_name=mlist.name, message_hash=message.public_id)
    return render(request, "listhaven/manage/remove_message.html", {"mlist": mlist, "message": message})
