"""/manage/LIST/message/HASH/remove/: an owner hides or purges a message (archive/redaction.py,
the same service as `listhaven redact`)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from listhaven.archive.models import Message
from listhaven.archive.redaction import redact
from listhaven.delivery.outbox import remove_copies
from listhaven.lists.erasure import purge_message
from listhaven.lists.models import MailingList
from listhaven.web.manage.guard import manage


@manage("administer")
@require_http_methods(["GET", "POST"])
def remove_message(request: HttpRequest, mlist: MailingList, message_hash: str) -> HttpResponse:
    message = Message.objects.filter(mailing_list=mlist, public_id=message_hash).first()
    if message is None:
        raise Http404("No such message in this list.")
    if request.method == "POST":
        reason, by = request.POST.get("reason", "")[:2000], request.user.get_username()
        if request.POST.get("purge"):  # with the list server's copies and the outbox's
            changed, verb = purge_message(message, reason, by=by).changed, "purged"
            remove_copies(message_id=message.message_id)
        else:
            changed, verb = redact(message, reason, by=by).changed, "hidden"
        messages.success(request, f"Message {verb}." if changed else "The message was already removed.")
        return redirect("message", list_name=mlist.name, message_hash=message.public_id)
    return render(request, "listhaven/manage/remove_message.html", {"mlist": mlist, "message": message})
