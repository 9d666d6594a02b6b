"""HyperKitty's links (Mailman 3's archive), answered with 301 to the pages that replace them.
HyperKitty served them under ``/hyperkitty/`` or, on many sites, ``/archives/``:

``/hyperkitty/list/ADDRESS/``                → ``/LIST/``
``/hyperkitty/list/ADDRESS/YYYY/M/`` (``/D/``) → ``/LIST/YYYY-MM/``
``/hyperkitty/list/ADDRESS/message/HASH/``   → ``/LIST/message/HASH/``
``/hyperkitty/list/ADDRESS/thread/HASH/``    → ``/LIST/thread/ID/``: the same hash (the thread's first
                                                message's), or the thread holding the message of that hash

Message and thread ids are the same hashes HyperKitty uses (base32 SHA-1 of the Message-ID). A list
the reader may not read answers 404, exactly like one that does not exist (web/access.py).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponsePermanentRedirect
from django.urls import reverse

from listhaven.archive.models import Message, Thread, ThreadAlias
from listhaven.lists.models import MailingList
from listhaven.web.access import admit


def _readable(request: HttpRequest, address: str) -> MailingList:
    mlist = MailingList.objects.filter(address=address.strip().lower()).first()
    if mlist is None or not admit(request, mlist):
        raise Http404(f"No list with the address “{address}” here.")
    return mlist


def list_root(request: HttpRequest, address: str) -> HttpResponsePermanentRedirect:
    return HttpResponsePermanentRedirect(reverse("list", args=[_readable(request, address).name]))


def month(request: HttpRequest, address: str, year: str, month: str, day: str = "") -> HttpResponsePermanentRedirect:
    mlist = _readable(request, address)
    if not 1 <= int(month) <= 12:
        raise Http404(f"{month} is not a month.")
    return HttpResponsePermanentRedirect(reverse("month", args=[mlist.name, f"{int(year):04d}-{int(month):02d}"]))


def message(request: HttpRequest, address: str, message_hash: str) -> HttpResponsePermanentRedirect:
    mlist = _readable(request, address)
    if not Message.objects.filter(mailing_list=mlist, public_id=message_hash).exists():
        raise Http404(f"The {mlist.title} archive has no message {message_hash}.")
    return HttpResponsePermanentRedirect(reverse("message", args=[mlist.name, message_hash]))


def attachment(request: HttpRequest, address: str, message_hash: str, counter: str, filename: str
               ) -> HttpResponsePermanentRedirect:  # fmt: skip
    """HyperKitty's ``message/HASH/attachment/COUNTER/NAME``: the message's attachment of that file
    name here (HyperKitty's counter numbers the parts its own way), else the message."""
    from listhaven.web.views.pipermail import attachment_redirect

    mlist = _readable(request, address)
    pk = Message.objects.filter(mailing_list=mlist, public_id=message_hash).values_list("pk", flat=True).first()
    if pk is None:
        raise Http404(f"The {mlist.title} archive has no message {message_hash}.")
    return attachment_redirect(mlist.name, pk, message_hash, filename)


def thread(request: HttpRequest, address: str, thread_id: str) -> HttpResponsePermanentRedirect:
    mlist = _readable(request, address)
    found = Thread.objects.filter(mailing_list=mlist, public_id=thread_id).values_list("public_id", flat=True).first()
    if found is None:
        found = (ThreadAlias.objects.filter(mailing_list=mlist, public_id=thread_id)
                 .values_list("thread__public_id", flat=True).first())  # fmt: skip
    if found is None:  # HyperKitty's thread began elsewhere: the thread holding that message here
        found = (Message.objects.filter(mailing_list=mlist, public_id=thread_id)
                 .values_list("thread__public_id", flat=True).first())  # fmt: skip
    if found is None:
        raise Http404(f"The {mlist.title} archive has no thread {thread_id}.")
    return HttpResponsePermanentRedirect(reverse("thread", args=[mlist.name, found]))
