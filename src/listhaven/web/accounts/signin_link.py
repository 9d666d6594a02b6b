"""Signing in by a link mailed to the address: the mail proves the address, so an account is
created for an address that holds a role on a list. The token is Django's password-reset kind
(it covers the last sign-in time, so a used link is dead) with its own salt and a one-hour life."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.encoding import force_bytes, force_str
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode

from listhaven.lists.addresses import InvalidAddress, canonical_address
from listhaven.lists.models import Member

MAX_AGE = 3600


class SignInTokens(PasswordResetTokenGenerator):
    key_salt = "listhaven.web.accounts.signin_link"

    def check_token(self, user: Any, token: str | None) -> bool:
        if not token or "-" not in token:
            return False
        try:
            issued = base36_to_int(token.split("-", 1)[0])
        except ValueError:
            return False
        if self._num_seconds(self._now()) - issued > MAX_AGE:
            return False
        return super().check_token(user, token)


tokens = SignInTokens()


def account_for(address: str) -> Any | None:
    """The account of `address`: the existing one, or a new one (no password) when the address
    holds a role on some list; None for an address the site does not know."""
    try:
        key = canonical_address(address)
    except InvalidAddress:
        return None
    users = get_user_model().objects
    found = users.filter(email__iexact=key).first()
    if found is not None:
        return found if found.is_active else None
    if len(key) > 150 or not Member.objects.filter(address=key).exclude(role="nonmember").exists():
        return None
    user = users.create_user(username=key, email=key)
    user.set_unusable_password()
    user.save(update_fields=["password"])
    return user


def link_path_parts(user: Any) -> tuple[str, str]:
    return urlsafe_base64_encode(force_bytes(user.pk)), tokens.make_token(user)


def user_for_link(uidb64: str, token: str, *, for_update: bool = False) -> Any | None:
    """The account a link signs in, or None. `for_update`: its row taken until the caller's transaction
    ends (the sign-in that spends the link)."""
    try:
        pk = force_str(urlsafe_base64_decode(uidb64))
        users = get_user_model().objects.filter(pk=int(pk), is_active=True)
        user = (users.select_for_update() if for_update else users).first()
    except (ValueError, TypeError, OverflowError):
        return None
    return user if user is not None and tokens.check_token(user, token) else None
