"""Mailman 2's Pipermail links, answered with 301 to the pages that replace them.

``/pipermail/LIST/``                        → ``/LIST/``
``/pipermail/LIST/2014-August/``            → ``/LIST/2014-08/``
``/pipermail/LIST/2014-August/date.html``   → ``/LIST/2014-08/?sort=date`` (thread, subject, author alike)
``/pipermail/LIST/2014-August/012345.html`` → the message whose archive number is 12345
``/pipermail/LIST/2014-August.txt(.gz)``    → the month's text download
``/pipermail/LIST/attachments/20140801/1a2b3c4d/report.pdf`` → that attachment of its message (or the message)
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime, time, timedelta

from django.http import Http404, HttpRequest, HttpResponsePermanentRedirect
from django.urls import reverse

from listhaven.archive.models import Attachment, Message
from listhaven.web.access import get_readable_list
from listhaven.web.months import parse_pipermail_month

_ORDER_PAGES = {"": "thread", "index.html": "thread", "thread.html": "thread", "date.html": "date",
                "subject.html": "subject", "author.html": "author"}  # fmt: skip
_MESSAGE_PAGE = re.compile(r"^(\d{1,9})\.html$")
_TEXT_ARCHIVE = re.compile(r"^(\d{4}-[A-Za-z]+)\.txt(?:\.gz)?$")


def list_root(request: HttpRequest, list_name: str) -> HttpResponsePermanentRedirect:
    mlist = get_readable_list(request, list_name)
    return HttpResponsePermanentRedirect(reverse("list", args=[mlist.name]))


def period_page(request: HttpRequest, list_name: str, period: str, page: str) -> HttpResponsePermanentRedirect:
    mlist = get_readable_list(request, list_name)
    month = parse_pipermail_month(period)
    if month is None:
        raise Http404(f"“{period}” is not a Pipermail month (they are written like 2014-August).")
    if page in _ORDER_PAGES:
        sort = _ORDER_PAGES[page]
        url = reverse("month", args=[mlist.name, month.key])
        return HttpResponsePermanentRedirect(url if sort == "thread" else f"{url}?sort={sort}")
    number = _MESSAGE_PAGE.match(page)
    if number is None:
        raise Http404(f"The old archive page “{page}” has no counterpart here.")
    public_id = (
        Message.objects.filter(mailing_list=mlist, archive_number=int(number.group(1)))
        .values_list("public_id", flat=True)
        .first()
    )
    if public_id is None:
        raise Http404(f"The {mlist.title} archive has no message numbered {number.group(1)}.")
    return HttpResponsePermanentRedirect(reverse("message", args=[mlist.name, public_id]))


def text_archive(request: HttpRequest, list_name: str, archive_file: str) -> HttpResponsePermanentRedirect:
    mlist = get_readable_list(request, list_name)
    match = _TEXT_ARCHIVE.match(archive_file)
    month = parse_pipermail_month(match.group(1)) if match else None
    if month is None:
        raise Http404(f"“{archive_file}” is not a monthly archive file (they are named like 2014-August.txt.gz).")
    return HttpResponsePermanentRedirect(reverse("month-text", args=[mlist.name, month.pipermail]))


def attachment(request: HttpRequest, list_name: str, day: str, digest: str, filename: str) -> HttpResponsePermanentRedirect:
    """Pipermail kept each message's attachments under ``attachments/YYYYMMDD/HASH/``: the day its
    Date field gives (in the sender's time), and the first and last four hex digits of the SHA-1 of
    its Message-ID field (Mailman 2's Scrubber). The message of that day with that hash is found
    here; the link lands on its attachment of that file name, else on the message."""
    mlist = get_readable_list(request, list_name)
    try:
        when = date(int(day[:4]), int(day[4:6]), int(day[6:]))
    except ValueError:
        raise Http404(f"“{day}” is not a day.") from None
    start = datetime.combine(when, time.min, UTC) - timedelta(days=1)  # senders' offsets reach ±14 hours
    candidates = Message.objects.filter(mailing_list=mlist, date__gte=start, date__lt=start + timedelta(days=3))
    for pk, public_id, message_id, sent, offset in candidates.values_list(
        "pk", "public_id", "message_id", "date", "utc_offset"
    ):
        found = hashlib.sha1(f"<{message_id}>".encode("utf-8", "surrogateescape"), usedforsecurity=False).hexdigest()
        if (sent + timedelta(minutes=offset)).date() != when or found[:4] + found[-4:] != digest.lower():
            continue
        return attachment_redirect(mlist.name, pk, public_id, filename)
    raise Http404(f"The {mlist.title} archive has no message whose attachments were kept under {day}/{digest}.")


def attachment_redirect(list_name: str, pk: int, public_id: str, filename: str) -> HttpResponsePermanentRedirect:
    """The attachment of message `pk` named `filename` (the first, if several are), else the message."""
    listed = Attachment.objects.filter(message_id=pk, filename=filename).order_by("index").first()
    if listed is None:
        return HttpResponsePermanentRedirect(reverse("message", args=[list_name, public_id]))
    return HttpResponsePermanentRedirect(reverse("attachment", args=[list_name, public_id, listed.index, listed.filename]))
