"""A whole thread on one page, nested by reply."""

from __future__ import annotations

from collections import defaultdict

from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
)
from django.shortcuts import render
from django.urls import reverse

from listhaven.archive.models import Attachment, Message, Thread, ThreadAlias
from listhaven.mail.presenter import Presenter
from listhaven.web.access import get_readable_list
from listhaven.web.display import reply_mailto
from listhaven.web.fragments import thread_items
from listhaven.web.links import ArchiveUrls
from listhaven.web.navigation import MAX_INDENT
from listhaven.web.page_cache import archive_page

_FIELDS = (
    "id", "public_id", "message_id", "subject", "sender_name", "sender_email", "date", "utc_offset",
    "body_text", "has_attachments", "thread_depth", "thread_order", "msgid_conflict",
)  # fmt: skip


@archive_page
def thread_page(request: HttpRequest, list_name: str, thread_id: str) -> HttpResponse:
    mlist = get_readable_list(request, list_name)
    thread = Thread.objects.filter(mailing_list=mlist, public_id=thread_id).first()
    if thread is None:
        alias = ThreadAlias.objects.filter(mailing_list=mlist, public_id=thread_id).select_related("thread").first()
        if alias is None:
            raise Http404(f"No thread {thread_id} in the {mlist.title} archive.")
        return HttpResponsePermanentRedirect(reverse("thread", args=[mlist.name, alias.thread.public_id]))
    messages = list(Message.objects.filter(thread=thread).order_by("thread_order", "id").rows(*_FIELDS))
    attachments = _attachments([m["id"] for m in messages if m["has_attachments"] and not m["hidden"]])
    base = min((m["thread_depth"] for m in messages), default=0)
    previous_subject = None
    for m in messages:
        depth = m["thread_depth"] - base
        m["indent"] = min(depth, MAX_INDENT)
        m["deep"] = depth > MAX_INDENT
        m["depth"] = depth
        m["attachments"] = attachments.get(m["id"], [])
        m["reply_href"] = reply_mailto(mlist.address, m["message_id"], m["subject"])
        # Show a subject only where it changes, as a mail client's thread view does.
        m["subject_changed"] = m["subject"] != previous_subject
        previous_subject = m["subject"]
    present = Presenter.for_list(mlist)
    items = thread_items(messages, ArchiveUrls(mlist.name), present)
    context = {"mlist": mlist, "thread": thread, "items": items, "present": present}
    return render(request, "listhaven/thread.html", context)


def _attachments(message_pks: list[int]) -> dict[int, list[Attachment]]:
    found: dict[int, list[Attachment]] = defaultdict(list)
    for start in range(0, len(message_pks), 500):
        chunk = message_pks[start : start + 500]
        for attachment in Attachment.objects.filter(message_id__in=chunk).only(
            "message_id", "index", "filename", "content_type", "size"
        ):
            found[attachment.message_id].append(attachment)
    return found
