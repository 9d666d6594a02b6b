"""Mailman 2's Pipermail links, answered with 301 to the pages that replace them.

``/pipermail/LIST/``                        → ``/LIST/``
``/pipermail/LIST/2014-August/``            → ``/LIST/2014-08/``
``/pipermail/LIST/2014-August/date.html``   → ``/LIST/2014-08/?sort=date`` (thread, subject, author alike)
``/pipermail/LIST/2014-August/012345.html`` → the message whose archive number is 12345
``/pipermail/LIST/2014-August.txt(.gz)``    → the month's text download
"""

from __future__ import annotations

import re

from django.http import Http404, HttpRequest, HttpResponsePermanentRedirect
from django.urls import reverse

from listhaven.archive.models import Message
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
