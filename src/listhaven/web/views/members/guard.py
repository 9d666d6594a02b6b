"""What stands between a public form that sends mail and a robot that would use it to mail-bomb a
stranger: a hidden honeypot field, a minimum time between showing and posting the form (a signed
timestamp in the form), and rate limits per address and per client (django-ratelimit, counted in the
database cache so every web process shares them)."""

from __future__ import annotations

import time

from django.conf import settings
from django.core import signing
from django.http import HttpRequest
from django_ratelimit.core import is_ratelimited

HONEYPOT = "website"  # a field people never see (hidden by CSS) and robots fill in
STAMP = "shown"
_SALT = "listhaven.members.form-shown"
MAX_FORM_AGE = 24 * 3600


def form_stamp() -> str:
    """The signed time the form is shown, for its hidden STAMP field."""
    return signing.dumps(int(time.time()), salt=_SALT)


def too_fast_or_forged(request: HttpRequest) -> bool:
    """True when the form came back sooner than SUBSCRIBE_FORM_MIN_SECONDS, too late, or without a
    genuine stamp: the person is asked to send it again."""
    try:
        shown = int(signing.loads(request.POST.get(STAMP, ""), salt=_SALT, max_age=MAX_FORM_AGE))
    except (signing.BadSignature, ValueError, TypeError):
        return True
    return time.time() - shown < settings.SUBSCRIBE_FORM_MIN_SECONDS


def honeypot_filled(request: HttpRequest) -> bool:
    return bool(request.POST.get(HONEYPOT, "").strip())


def over_limit(request: HttpRequest, group: str, address: str) -> bool:
    """Counts this request against the address's and the client's limits; True when either is
    exceeded (the caller then sends nothing, and answers as if it had)."""
    by_address = is_ratelimited(request, group=f"{group}:address", key=lambda _g, _r: address.lower(),
                                rate=settings.SUBSCRIBE_RATE_ADDRESS, increment=True)  # fmt: skip
    by_client = is_ratelimited(request, group=f"{group}:client", key="ip", rate=settings.SUBSCRIBE_RATE_CLIENT,
                               increment=True)  # fmt: skip
    return by_address or by_client
