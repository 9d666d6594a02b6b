"""Lists named by address: ``/ltp@lists.linux.it/…`` answers 301 to the same page under the
list's short name (``/ltp/…``), so a link written with the address keeps working. Short names
are unique (lists/directory.py gives a second list of the same local part ``local-domain``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.utils.encoding import iri_to_uri

from listhaven.lists.models import MailingList
from listhaven.mail.addresses import normalise_email
from listhaven.web.access import admit, not_found


def list_by_address(request: HttpRequest, address: str, rest: str) -> HttpResponsePermanentRedirect:
    wanted = normalise_email(address)
    mlist = MailingList.objects.filter(address__in={wanted, wanted.lower()}).first()
    if mlist is None or not admit(request, mlist):
        raise not_found(address)
    query = request.META.get("QUERY_STRING", "")
    target = iri_to_uri(f"/{mlist.name}/{rest}") + (f"?{query}" if query else "")
    return HttpResponsePermanentRedirect(target)
