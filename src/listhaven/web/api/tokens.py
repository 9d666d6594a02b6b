"""API tokens: made and revoked by their account (/accounts/api-token/, `listhaven api-token`), shown
once, stored as a SHA-256 digest, checked in constant time, expiring after API_TOKEN_DAYS."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from listhaven.web.models import ApiToken

PREFIX = "lh_"
# last_used_at is written at most this often per token: not one database write per request.
LAST_USED_STEP = timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def create_token(user: Any) -> str:
    """A new token for `user`, replacing any it had. The only time the token itself exists: the
    caller shows it once."""
    token = PREFIX + secrets.token_urlsafe(32)  # 256 random bits
    expires = timezone.now() + timedelta(days=settings.API_TOKEN_DAYS)
    with transaction.atomic():
        ApiToken.objects.filter(user=user).delete()
        ApiToken.objects.create(user=user, digest=_digest(token), prefix=token[:10], expires_at=expires)
    return token


def revoke_token(user: Any) -> bool:
    """Deletes `user`'s token; True when there was one."""
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    return bool(deleted)


def token_of(user: Any) -> ApiToken | None:
    return ApiToken.objects.filter(user=user).first() if user is not None and user.pk else None


def bearer(request: HttpRequest) -> str | None:
    """The token of an `Authorization: Bearer TOKEN` header; None without one."""
    scheme, _, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def user_of_token(token: str) -> Any | None:
    """The active account whose unexpired token this is; None otherwise."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    digest = _digest(token)
    row = ApiToken.objects.select_related("user").filter(digest=digest).first()
    # The lookup is by digest (an index cannot compare in constant time); comparing the digests again
    # in constant time costs nothing and keeps the check itself free of early exits.
    if row is None or not hmac.compare_digest(row.digest, digest):
        return None
    now = timezone.now()
    if row.expires_at <= now or not row.user.is_active:
        return None
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_STEP:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user
