"""Downloads and feeds: raw messages, mbox files (message, thread, month, search, whole list),
Pipermail monthly text, attachments and Atom feeds.

Every view gets its list through `get_readable_list`. Raw messages and mbox files are the bytes as
received (that is their point); attachments are served with a type that cannot run in the
browser, and every response says ``nosniff``. The large downloads are streamed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from django.db.models import Count, Max, QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.utils import timezone
from django.utils.http import parse_http_date_safe
from django.views.decorators.http import require_safe

from listhaven.archive import export
from listhaven.archive.compression import decompress
from listhaven.archive.models import VISIBLE, Attachment, Message, RawMessage
from listhaven.lists.models import MailingList
from listhaven.mail.attachments import extract_attachment
from listhaven.mail.filenames import safe_filename
from listhaven.mail.presenter import Presenter
from listhaven.web.access import can_administer, get_readable_list
from listhaven.web.api.http import (
    Freshness,
    apply_cache_headers,
    conditional,
    not_modified,
)
from listhaven.web.feeds import ListMessagesFeed, ListThreadsFeed, ThreadFeed
from listhaven.web.page_cache import SETTLED, archive_page

GZIP_TYPE = "application/gzip"
# Shown inline only when a browser cannot run them; everything else is a download.
INLINE_TYPES = frozenset({"text/plain", "application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"})
_SANDBOX = "default-src 'none'; sandbox"
_ASCII_UNSAFE = re.compile(r'[^\x20-\x7e]|["\\%;]')


def content_disposition(filename: str, inline: bool = False) -> str:
    """RFC 6266: a quoted ASCII fallback and the exact name as RFC 5987 ``filename*``."""
    from urllib.parse import quote

    fallback = _ASCII_UNSAFE.sub("_", filename) or "download"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _message(mlist: MailingList, message_hash: str) -> Message:
    message = Message.objects.filter(mailing_list=mlist, public_id=message_hash).first()
    if message is None:
        raise Http404("No such message in this list.")
    return message


def _gone() -> HttpResponse:
    response = HttpResponse(
        "This message was removed from the archive.\n", status=410, content_type="text/plain; charset=utf-8"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _version(messages: QuerySet[Message], *parts: object) -> Freshness:
    """A validator for a set of messages (hidden ones included): it changes when one is added or redacted."""
    found = messages.aggregate(
        n=Count("pk", filter=VISIBLE), last=Max("pk", filter=VISIBLE),
        changed=Max("imported_at"), removed=Max("redacted_at"), rewritten=Max("changed_at"),
    )  # fmt: skip
    # A removal or a rewrite (an address anonymised) changes the file as much as an arrival does:
    # a client holding it must get no 304, whether it asks by ETag or by date.
    dates = (found["changed"], found["removed"], found["rewritten"])
    last_modified: datetime | None = max((d for d in dates if d), default=None)
    return Freshness.of(*parts, found["n"], found["last"], last_modified, last_modified=last_modified)


def closed(end: datetime) -> bool:
    """A month whose last day is SETTLED behind us: late mail dated in it is no longer expected."""
    return end + SETTLED <= timezone.now()


def _stream(chunks, filename: str, content_type: str = GZIP_TYPE) -> StreamingHttpResponse:
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = content_disposition(filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_safe
def raw_message(request: HttpRequest, list_name: str, message_hash: str) -> HttpResponseBase:
    mlist = get_readable_list(request, list_name)
    message = _message(mlist, message_hash)
    # A hidden message's bytes are kept for its owners (to review a removal); a purged one has none.
    if message.is_hidden and (message.is_purged or not can_administer(request, mlist)):
        return _gone()
    freshness = Freshness.of("raw", message.pk, message.content_hash, last_modified=message.last_changed)

    def build() -> HttpResponse:
        data = RawMessage.objects.filter(pk=message.pk).values_list("data", flat=True).first()
        if data is None:
            raise Http404("The original of this message is not stored.")
        response = HttpResponse(decompress(data), content_type="text/plain; charset=utf-8")
        response["Content-Security-Policy"] = _SANDBOX
        return response

    return conditional(request, mlist, freshness, build, lasting=True)


@require_safe
def message_mbox(request: HttpRequest, list_name: str, message_hash: str) -> HttpResponseBase:
    mlist = get_readable_list(request, list_name)
    message = _message(mlist, message_hash)
    if message.is_hidden:
        return _gone()
    freshness = Freshness.of("mbox", message.pk, message.content_hash, last_modified=message.last_changed)
    return conditional(
        request, mlist, freshness, lambda: _stream(export.mbox_chunks(export.iter_raw([message.pk])), f"{message.public_id}.mbox.gz"),
        lasting=True,
    )


@require_safe
def thread_mbox(request: HttpRequest, list_name: str, thread_id: str) -> HttpResponseBase:
    mlist = get_readable_list(request, list_name)
    thread = export.find_thread(mlist, thread_id)
    if thread is None:
        raise Http404("No such thread in this list.")
    freshness = _version(Message.objects.filter(thread=thread), "thread", thread.pk)

    def build() -> StreamingHttpResponse:
        pks = export.thread_message_pks(thread)
        return _stream(export.mbox_chunks(export.iter_raw(pks)), f"{mlist.name}-thread-{thread.public_id}.mbox.gz")

    return conditional(request, mlist, freshness, build)


def _month(value: str) -> tuple[int, int]:
    try:
        return export.parse_month(value)
    except ValueError as exc:
        raise Http404(str(exc)) from exc


@require_safe
def month_mbox(request: HttpRequest, list_name: str, month: str) -> HttpResponseBase:
    mlist = get_readable_list(request, list_name)
    year, number = _month(month)
    start, end = export.month_bounds(year, number)
    messages = Message.objects.filter(mailing_list=mlist, date__gte=start, date__lt=end)
    freshness = _version(messages, "month", mlist.pk, month)

    def build() -> StreamingHttpResponse:
        pks = export.month_message_pks(mlist, year, number)
        if not pks:
            raise Http404(f"No messages in {month}.")
        return _stream(export.mbox_chunks(export.iter_raw(pks)), f"{mlist.name}-{month}.mbox.gz")

    return conditional(request, mlist, freshness, build, lasting=closed(end))


@require_safe
def list_mbox(request: HttpRequest, list_name: str) -> HttpResponseBase:
    mlist = get_readable_list(request, list_name)
    freshness = _version(Message.objects.filter(mailing_list=mlist), "list", mlist.pk)
    return conditional(
        request, mlist, freshness, lambda: _stream(export.mbox_chunks(export.iter_list_raw(mlist)), f"{mlist.name}.mbox.gz")
    )


@require_safe
def search_mbox(request: HttpRequest, list_name: str) -> HttpResponseBase:
    mlist = get_readable_list(request, list_name)
    query = request.GET.get("q", "").strip()
    if not query:
        return HttpResponseBadRequest("Say what to search for: ?q=…\n", content_type="text/plain; charset=utf-8")
    try:
        pks = export.search_message_pks(mlist, query)
    except ValueError as exc:
        return HttpResponseBadRequest(f"{exc}\n", content_type="text/plain; charset=utf-8")
    # The same hits give the same file: a validator over them allows 304 without a date to go by.
    freshness = Freshness.of("search", mlist.pk, query, *pks)

    def build() -> StreamingHttpResponse:
        return _stream(export.mbox_chunks(export.iter_raw(pks)), f"{mlist.name}-search.mbox.gz")

    return conditional(request, mlist, freshness, build)


@require_safe
def month_pipermail_text(request: HttpRequest, list_name: str, period: str) -> HttpResponseBase:
    mlist = get_readable_list(request, list_name)
    try:
        year, number = export.parse_pipermail_period(period)
    except ValueError as exc:
        raise Http404(str(exc)) from exc
    start, end = export.month_bounds(year, number)
    messages = Message.objects.filter(mailing_list=mlist, date__gte=start, date__lt=end)
    freshness = _version(messages, "pipermail", mlist.pk, period, Presenter.for_list(mlist).obfuscates)

    def build() -> StreamingHttpResponse:
        pks = export.month_message_pks(mlist, year, number)
        if not pks:
            raise Http404(f"No messages in {period}.")
        chunks = export.pipermail_chunks(export.iter_pipermail_text(mlist, pks))
        return _stream(chunks, f"{period}.txt.gz")

    return conditional(request, mlist, freshness, build, lasting=closed(end))


@require_safe
def attachment(request: HttpRequest, list_name: str, message_hash: str, index: int, filename: str) -> HttpResponseBase:
    mlist = get_readable_list(request, list_name)
    message = _message(mlist, message_hash)
    if message.is_hidden:
        return _gone()
    listed = Attachment.objects.filter(message=message, index=index).first()
    if listed is None:
        raise Http404("This message has no such attachment.")
    freshness = Freshness.of("attachment", message.pk, message.content_hash, index, last_modified=message.last_changed)
    return conditional(request, mlist, freshness, lambda: _attachment_response(message, listed), lasting=True)


def _attachment_response(message: Message, listed: Attachment) -> HttpResponse:
    data = RawMessage.objects.filter(pk=message.pk).values_list("data", flat=True).first()
    part = extract_attachment(decompress(data), listed.index) if data is not None else None
    if part is None:
        raise Http404("This attachment cannot be read from the stored message.")
    declared = listed.content_type.lower()
    inline = declared in INLINE_TYPES
    if not inline:
        content_type = "application/octet-stream"
    elif declared == "text/plain":
        content_type = "text/plain; charset=" + _charset(part.charset)
    else:
        content_type = declared
    response = HttpResponse(part.data, content_type=content_type)
    name = safe_filename(listed.filename, listed.index, declared)
    response["Content-Disposition"] = content_disposition(name, inline=inline)
    response["Content-Security-Policy"] = _SANDBOX
    return response


def _charset(declared: str | None) -> str:
    import codecs

    if declared and re.fullmatch(r"[A-Za-z0-9._:-]{1,40}", declared):
        try:
            codecs.lookup(declared)
            return declared
        except LookupError:
            pass
    return "utf-8"


def _feed_view(feed):
    """A feed with the archive's caching: ETag over the document, 304 when the reader has it."""

    @require_safe
    def view(request: HttpRequest, **kwargs: str) -> HttpResponseBase:
        mlist = get_readable_list(request, kwargs["list_name"])
        response = feed(request, **kwargs)
        modified = response.headers.get("Last-Modified")
        stamp = parse_http_date_safe(modified) if modified else None
        last_modified = datetime.fromtimestamp(stamp, UTC) if stamp else None
        freshness = Freshness.of("feed", response.content, last_modified=last_modified)
        early = not_modified(request, mlist, freshness)
        if early is not None:
            return early
        apply_cache_headers(response, mlist, freshness)
        return response

    return view


messages_feed = archive_page(_feed_view(ListMessagesFeed()))
threads_feed = archive_page(_feed_view(ListThreadsFeed()))
thread_feed = archive_page(_feed_view(ThreadFeed()))
