"""Tokens about one held post: the moderators' (in the held-post notice: a reply carrying it decides
the post) and the poster's (the link in "your post is held" withdraws it).

Stateless HMAC tokens (lists/tokens.py) naming the held post's id, bound to their purpose and to
the list, expiring with the post; a decided post is deleted, so a token works at most once."""

from __future__ import annotations

import time

from listhaven.lists.models import HeldMessage, MailingList
from listhaven.lists.tokens import check_token, make_token
from listhaven.lists.unsubscribe import token_keys
from listhaven.site.public_urls import site_url

MODERATE = "moderate-held"
WITHDRAW = "withdraw-held"


def _max_age(mlist: MailingList) -> int:
    return (mlist.hold_days + 1) * 86400


def held_token(held: HeldMessage, purpose: str) -> str:
    return make_token(token_keys(), purpose, held.mailing_list.address, str(held.pk), int(time.time()))


def held_for_token(mlist: MailingList, token: str, purpose: str) -> HeldMessage | None:
    """The held post `token` names, when the token is genuine and the post still waits."""
    named = check_token(token_keys(), token, purpose, mlist.address, max_age=_max_age(mlist), now=int(time.time()))
    if named is None or not named.isdigit():
        return None
    return HeldMessage.objects.filter(mailing_list=mlist, pk=int(named)).defer("data").first()


def withdraw_url(held: HeldMessage) -> str:
    return site_url(f"/{held.mailing_list.name}/held/withdraw/{held_token(held, WITHDRAW)}")
