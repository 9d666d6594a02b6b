"""Building a `Post`: what the rules need to know about the list and the sender, read once."""

from __future__ import annotations

from django.db.models import Q
from django.db.models.functions import Lower

from listhaven.lists.addresses import sender_address
from listhaven.lists.models import Ban, MailingList, Member
from listhaven.lists.post import Action, Policy, Post, Role, Standing, parse_post_bytes
from listhaven.mail.content_filter import ContentRules


def list_id(mlist: MailingList) -> str:
    """The list's RFC 2919 identifier: `name@lists.example.org` → `name.lists.example.org`."""
    return mlist.address.replace("@", ".", 1)


def policy_for(mlist: MailingList) -> Policy:
    bans = Ban.objects.filter(Q(mailing_list=mlist) | Q(mailing_list__isnull=True)).values_list("pattern", flat=True)
    return Policy(
        list_address=mlist.address,
        list_id=list_id(mlist),
        moderator_password=mlist.moderator_password,
        emergency=mlist.emergency,
        disabled_rules=frozenset(mlist.disabled_rules or ()),
        member_moderation_action=Action(mlist.member_moderation_action),
        nonmember_action=Action(mlist.nonmember_action),
        max_message_kb=mlist.max_message_kb,
        max_recipients=mlist.max_recipients,
        acceptable_aliases=tuple(mlist.acceptable_aliases or ()),
        header_filters=tuple(mlist.header_filters or ()),
        ban_patterns=tuple(bans),
        content_rules=content_rules(mlist),
        filter_action=mlist.filter_action,
    )


def content_rules(mlist: MailingList) -> ContentRules | None:
    """The list's content filtering settings, or None when it does not filter."""
    if not mlist.filter_content:
        return None
    return ContentRules(
        filter_types=tuple(mlist.filter_types or ()), pass_types=tuple(mlist.pass_types or ()),
        filter_extensions=tuple(mlist.filter_extensions or ()), pass_extensions=tuple(mlist.pass_extensions or ()),
        collapse_alternatives=mlist.collapse_alternatives, html_to_plaintext=mlist.convert_html_to_plaintext,
    )  # fmt: skip


def standing_for(mlist: MailingList, address: str) -> Standing:
    """The sender's roles and options on `mlist`: the rows of `address` as written, else (as Mailman, whose
    lookups ignore case) those of the address without case, so a member whose program writes
    Ann@example.org posts as ann@example.org does."""
    columns = ("role", "moderated", "action")
    rows = list(Member.objects.filter(mailing_list=mlist, address=address).values_list(*columns))
    if not rows and address:
        # LOWER(address) within the list: answered from the member_address_ci index, not a scan of the roster.
        lowered = Member.objects.alias(address_ci=Lower("address")).filter(mailing_list=mlist, address_ci=address.lower())
        found = list(lowered.order_by("id").values_list("address", *columns))
        if found:
            address = found[0][0]  # the member's own spelling: their options and notices are under it
            rows = [row[1:] for row in found if row[0] == address]
    roles = frozenset(Role(role) for role, _, _ in rows)
    moderated = any(m for role, m, _ in rows if role == Role.MEMBER)
    action = next((a for role, _, a in rows if role == Role.NONMEMBER), "defer")
    return Standing(address, roles - {Role.NONMEMBER}, moderated=moderated, action=action)


def build_post(mlist: MailingList, raw: bytes, envelope_sender: str | None = None, origin: str = "lmtp") -> Post:
    message = parse_post_bytes(raw)
    standing = standing_for(mlist, sender_address(message, envelope_sender or ""))
    return Post(raw, message, policy_for(mlist), standing, envelope_sender=envelope_sender, origin=origin)
