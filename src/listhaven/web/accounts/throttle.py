"""Counting failures per key in a window (failed sign-ins per account and per client, account
mail asked for per client and per address). Rows in the database (web.models.LoginFailure), so every web
process and every worker thread counts together; a row whose window has lapsed counts nothing and is
deleted by the worker's `throttle-purge` job (purge_lapsed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac

from listhaven.web.models import LoginFailure


@dataclass(frozen=True)
class Limit:
    prefix: str
    attempts: int
    window: timedelta


ACCOUNT = Limit("account", 5, timedelta(minutes=15))
CLIENT = Limit("client", 20, timedelta(minutes=15))
ACCOUNT_MAIL = Limit("mail", 10, timedelta(hours=1))
# Account mail (sign-in links, password resets) to one address, whoever asks: the per-client limit
# alone let many clients together fill a stranger's mailbox.
ACCOUNT_MAIL_TO = Limit("mail-to", 3, timedelta(hours=1))
LIMITS = (ACCOUNT, CLIENT, ACCOUNT_MAIL, ACCOUNT_MAIL_TO)


def client_of(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def address_key(address: str) -> str:
    """Who ACCOUNT_MAIL_TO counts: a keyed hash of the address (the site's secret key), not the
    address. Anyone may type any address into the sign-in link and password reset forms, and a
    stranger's address must not stay in the table because someone asked for it."""
    return salted_hmac("listhaven.throttle.mail-to", address.strip().lower(), algorithm="sha256").hexdigest()


def _key(limit: Limit, who: str) -> str:
    return f"{limit.prefix}:{who.strip().lower()}"[:400]


def is_blocked(limit: Limit, who: str) -> bool:
    """True when `who` used up its attempts in the current window."""
    row = LoginFailure.objects.filter(key=_key(limit, who)).first()
    return bool(row and row.first_at > timezone.now() - limit.window and row.count >= limit.attempts)


def count(limit: Limit, who: str) -> None:
    """One more attempt (a failure, a mail sent) for `who`; a lapsed window starts again."""
    now = timezone.now()
    with transaction.atomic():
        row, created = LoginFailure.objects.select_for_update().get_or_create(
            key=_key(limit, who), defaults={"count": 1, "first_at": now}
        )
        if created:
            return
        if row.first_at <= now - limit.window:
            row.count, row.first_at = 1, now
        else:
            row.count += 1
        row.save(update_fields=["count", "first_at"])


def clear(limit: Limit, who: str) -> None:
    LoginFailure.objects.filter(key=_key(limit, who)).delete()


def purge_lapsed() -> int:
    """Deletes the rows whose window has lapsed (they count nothing: `count` would start them again);
    the worker runs it hourly (delivery/schedule.py), so a client's or account's row lasts about as
    long as its window. Returns how many went."""
    longest = max(limit.window for limit in LIMITS)
    deleted, _ = LoginFailure.objects.filter(first_at__lte=timezone.now() - longest).delete()
    return deleted
