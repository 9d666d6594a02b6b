"""Template tags of the owners' and moderators' pages: what the signed-in user may do on a list."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html

from listhaven.lists.models import MailingList
from listhaven.web import access
from listhaven.web.manage.counts import held_waiting, requests_waiting

register = template.Library()


@register.simple_tag(takes_context=True)
def signed_in_user(context: Any) -> Any:
    """The signed-in user of the page's request, or None: for the footer's own links (their address,
    their lists, sign out) instead of "Sign in". Asked through access.signed_in, which loads no
    session for a reader without one, so an anonymous reader's page stays what the page cache keeps.
    The footer's "Sign out" is a link to /accounts/logout/, whose page asks with a button: a form
    here would put a CSRF token, different at every rendering, in every page of a signed-in
    reader, and no page of theirs would keep its ETag (nor answer 304)."""
    request = context.get("request")
    return request.user if request is not None and access.signed_in(request) else None


@register.simple_tag(takes_context=True)
def held_badge(context: Any, mlist: MailingList | None) -> str:
    """` (3)` after a list's name for those who moderate it: the posts waiting for them."""
    request = context.get("request")
    if mlist is None or request is None or not access.signed_in(request) or not access.can_moderate(request, mlist):
        return ""
    count = held_waiting(request, mlist)
    return format_html(' <a class="held-count" href="/manage/{}/held/" title="held posts">{} held</a>', mlist.name,
                       count) if count else ""  # fmt: skip


@register.simple_tag(takes_context=True)
def held_tab_count(context: Any, mlist: MailingList) -> str:
    """` (3)` inside the Held posts tab (plain text: the tab is already the link; the header's badge,
    a link of its own, nested inside it made two links)."""
    count = held_waiting(context.get("request"), mlist)
    return f" ({count})" if count else ""


@register.simple_tag(takes_context=True)
def requests_tab_count(context: Any, mlist: MailingList) -> str:
    """` (2)` inside the Requests tab: subscriptions and departures waiting for an owner."""
    count = requests_waiting(context.get("request"), mlist)
    return f" ({count})" if count else ""


@register.filter
def may_administer(request: Any, mlist: MailingList) -> bool:
    return access.can_administer(request, mlist)
