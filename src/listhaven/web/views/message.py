"""One message (the page Pipermail showed) and the redirect by Message-ID."""

from __future__ import annotations

from django.conf import settings
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from listhaven.archive.models import Attachment, Message, Thread
from listhaven.mail.ids import normalise_message_id
from listhaven.mail.presenter import Presenter
from listhaven.web.access import get_readable_list
from listhaven.web.display import reply_mailto
from listhaven.web.links import ArchiveUrls
from listhaven.web.months import Month
from listhaven.web.navigation import next_by_date, previous_by_date, thread_outline
from listhaven.web.page_cache import SETTLED, archive_page

_THREAD_FIELDS = ("id", "public_id", "subject", "message_count", "participant_count", "first_date", "last_date")


@archive_page
def message_page(request: HttpRequest, list_name: str, message_hash: str) -> HttpResponse:
    mlist = get_readable_list(request, list_name)
    message = Message.objects.filter(mailing_list=mlist, public_id=message_hash).defer(
        "recipients", "references", "defects", "content_hash", "subject_normalised"
    ).first()
    if message is None:
        raise Http404(f"No message {message_hash} in the {mlist.title} archive.")
    thread = Thread.objects.only(*_THREAD_FIELDS).get(pk=message.thread_id)
    attachments = (
        list(Attachment.objects.filter(message=message).only("index", "filename", "content_type", "size"))
        if message.has_attachments and not message.is_hidden
        else []
    )
    urls = ArchiveUrls(mlist.name)
    outline = thread_outline(message, thread)
    before, after = previous_by_date(message), next_by_date(message)
    for row in [before, after, *outline.rows]:
        if row is not None:
            row["url"] = urls.message(row["public_id"])
    date_utc = message.date
    context = {
        "mlist": mlist,
        "message": message,
        "thread": thread,
        "attachments": attachments,
        "month": Month(date_utc.year, date_utc.month),
        "previous_by_date": before,
        "next_by_date": after,
        "outline": outline,
        "reply_href": reply_mailto(mlist.address, message.message_id, message.subject),
        "present": Presenter.for_list(mlist),
    }
    # A purged message's links are Gone (410); a hidden one's page says it was removed.
    response = render(request, "listhaven/message.html", context, status=410 if message.is_purged else 200)
    if mlist.archive_policy == "public" and _settled(message, thread, after):
        response["Cache-Control"] = f"public, max-age={settings.IMMUTABLE_MAX_AGE}"
    return response


def _settled(message: Message, thread: Thread, after: object) -> bool:
    """Whether the page will stay as it is: its thread has had nothing new for SETTLED (the
    outline is fixed) and a later message exists (the "next by date" link is fixed)."""
    return not message.is_hidden and after is not None and thread.last_date + SETTLED <= timezone.now()


def _candidates(raw: str) -> list[str]:
    """The id as given, and without angle brackets or a trailing slash the URL may have added."""
    found = []
    for value in (raw, raw.rstrip("/")):
        normalised = normalise_message_id(value)
        for candidate in (normalised, value.strip().strip("<>")):
            if candidate and candidate not in found:
                found.append(candidate)
    return found


def by_message_id(request: HttpRequest, list_name: str, message_id: str) -> HttpResponse:
    mlist = get_readable_list(request, list_name)
    candidates = _candidates(message_id)[:4]
    public_id = (
        Message.objects.filter(mailing_list=mlist, message_id__in=candidates)
        .order_by("id")
        .values_list("public_id", flat=True)
        .first()
        if candidates
        else None
    )
    if public_id is None:
        raise Http404(
            f"No message with the Message-ID <{message_id.strip('<>')}> is in the {mlist.title} archive. "
            "It may not have reached the list, or belong to another list."
        )
    return HttpResponsePermanentRedirect(reverse("message", args=[mlist.name, public_id]))
