"""A member's own one-click unsubscribe link (RFC 8058): ``SITE_URL/LIST/unsubscribe/TOKEN``.

The token (listhaven.lists.tokens) names the member's address, is bound to the purpose
``unsubscribe`` and to the list's address, and is signed with the key of the TOKEN_KEY setting (or,
unset, one derived from SECRET_KEY), so no database row exists per copy sent. Rotating: put the old
value in TOKEN_KEY_PREVIOUS and a new one in TOKEN_KEY; links signed with the old key keep working
until TOKEN_KEY_PREVIOUS is removed (the grace period). The web view that receives the link checks it
with `check_unsubscribe_token`.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

from listhaven.lists.tokens import check_token, make_token
from listhaven.site.public_urls import site_url

PURPOSE = "unsubscribe"
MAX_AGE = 90 * 24 * 3600  # a copy read months after it was sent still unsubscribes


def token_keys() -> list[bytes]:
    """The signing key first, then the previous one while it is set (tokens.py tries every key)."""
    current = settings.TOKEN_KEY or settings.SECRET_KEY
    return [_derived(value) for value in (current, settings.TOKEN_KEY_PREVIOUS) if value]


def _derived(secret: str) -> bytes:
    # A fixed-length key whatever the setting's length, and never the setting itself.
    return hmac.digest(secret.encode(), b"listhaven unsubscribe tokens", hashlib.sha256)


def unsubscribe_token(list_address: str, address: str, issued: int, keys: list[bytes] | None = None) -> str:
    return make_token(keys or token_keys(), PURPOSE, list_address, address, issued)


def unsubscribe_url(list_name: str, token: str) -> str:
    return site_url(f"/{list_name}/unsubscribe/{token}")


def check_unsubscribe_token(list_address: str, token: str, now: int) -> str | None:
    """The address the token names, or None (forged, expired, for another list)."""
    return check_token(token_keys(), token, PURPOSE, list_address, max_age=MAX_AGE, now=now)
