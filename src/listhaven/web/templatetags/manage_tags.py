"""Template tags of the owners' and moderators' pages: what the signed-in user may do on a list."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html

from listhaven.lists.models import HeldMessage, MailingList
from listhaven.web import access

register = template.Library()


def held_count(mlist: MailingList) -> int:
    """The posts waiting on this list, counted once per page: the header's badge and the Held posts
    tab both show it. Kept on the list object, which lives as long as the request that loaded it."""
    if (count := getattr(mlist, "_held_waiting", None)) is None:
        count = mlist._held_waiting = HeldMessage.objects.filter(mailing_list=mlist).count()
    return int(count)


@register.simple_tag(takes_context=True)
def held_badge(context: Any, mlist: MailingList | None) -> str:
    """` (3)` after a list's name for those who moderate it: the posts waiting for them."""
    request = context.get("request")
    if mlist is None or request is None or not request.user.is_authenticated or not access.can_moderate(request, mlist):
        return ""
    count = held_count(mlist)
    return format_html(' <a class="held-count" href="/manage/{}/held/" title="held posts">{} held</a>', mlist.name,
                       count) if count else ""  # fmt: skip


@register.simple_tag
def held_tab_count(mlist: MailingList) -> str:
    """` (3)` inside the Held posts tab (plain text: the tab is already the link; the header's badge,
    a link of its own, nested inside it made two links)."""
    count = held_count(mlist)
    return f" ({count})" if count else ""


@register.simple_tag
def requests_tab_count(mlist: MailingList) -> str:
    """` (2)` inside the Requests tab: subscriptions and departures waiting for an owner."""
    from listhaven.lists.subscriptions import waiting_approval

    count = waiting_approval(mlist).count()
    return f" ({count})" if count else ""


@register.filter
def may_administer(request: Any, mlist: MailingList) -> bool:
    return access.can_administer(request, mlist)
