"""Decoration: a received post made into what the list sends, once per post.

`decorate` runs, in order: cleanse (private and upstream-list fields), DMARC wrap (when asked), subject tag,
Reply-To policy, DMARC From munging (when asked), footer, the list's header fields, and last the removal of
the DKIM signatures those steps broke. Everything else of the post stays byte for byte (line ends become
CRLF). The result is a `Template`: with `personal` true it holds markers for each member's unsubscribe URL,
options URL and address, filled per copy by `listhaven.mail.personalise.personalise`; with `personal` false
(bulk delivery) its `data` is the message every member gets.

Whether to mitigate DMARC is the caller's decision (it needs a DNS lookup: `listhaven.mail.dmarc`); this
module only applies the chosen `Mitigation`.
"""

from __future__ import annotations

from email.utils import getaddresses
from enum import StrEnum

from listhaven.mail.cleanse import cleanse, drop_broken_signatures
from listhaven.mail.dmarc_mitigation import munge_from, wrap_message
from listhaven.mail.footer import add_footer, render_footer
from listhaven.mail.identity import ListIdentity, ReplyTo
from listhaven.mail.listheaders import add_list_fields
from listhaven.mail.personalise import MEMBER_FIELDS, Template, marker, nonce_for
from listhaven.mail.rawedit import EditableMessage, fold_tokens, mailbox_tokens, split_raw
from listhaven.mail.subject_tag import tag_subject


class Mitigation(StrEnum):
    """What decoration does about DMARC for this post."""

    NONE = "none"
    MUNGE_FROM = "munge_from"
    WRAP = "wrap"


def decorate(raw: bytes, identity: ListIdentity, *, personal: bool = True, archived_at: str = "",
             mitigation: Mitigation = Mitigation.NONE, sender: str = "") -> Template:
    """The decorated post as a `Template` (see the module docstring).

    `archived_at`: the post's archive URL (``Archived-At``), empty to leave the field out. `sender`: the
    envelope sender, used by DMARC munging when From holds no single address.
    """
    nonce = nonce_for(raw) if personal else ""
    message = split_raw(raw)
    touched = cleanse(message)
    drop_broken_signatures(message, touched, body_changed=False)
    if mitigation is Mitigation.WRAP:
        message = wrap_message(message, identity, sender)
    if tag_subject(message, identity.subject_tag):
        touched.add("subject")
    touched |= apply_reply_to(message, identity)
    if mitigation is Mitigation.MUNGE_FROM:
        touched |= munge_from(message, identity, sender)
    footer = render_footer(identity.footer, footer_values(identity, nonce))
    uses_address = bool(nonce) and marker(nonce, "member_address") in footer
    body_changed = add_footer(message, footer, utf8_only=uses_address)
    if body_changed:
        touched |= {"content-type", "content-transfer-encoding", "mime-version"}
    unsubscribe = marker(nonce, "unsubscribe_url") if nonce else identity.unsubscribe_url or identity.listinfo_url
    touched |= add_list_fields(message, identity, unsubscribe, archived_at=archived_at, one_click=bool(nonce))
    drop_broken_signatures(message, touched, body_changed)
    return Template(message.to_bytes(), nonce)


def apply_reply_to(message: EditableMessage, identity: ListIdentity) -> set[str]:
    """Set Reply-To by the list's policy; returns {'reply-to'} when it changed the field, else empty.

    As Mailman (its first_strip_reply_to off, the default), the poster's own Reply-To addresses are kept:
    the list's address is added after them (replies to the list), the explicit address before them.
    """
    if identity.reply_to is ReplyTo.NONE:
        return set()
    own = [(name, address) for name, address in getaddresses([f.text() for f in message.get_all("Reply-To")])
           if "@" in address]  # fmt: skip
    if identity.reply_to is ReplyTo.LIST:
        wanted = [*own, ("", identity.address)]
    else:
        wanted = [("", identity.reply_to_address), *own]
    seen: set[str] = set()
    tokens: list[str] = []
    for name, address in wanted:
        if address.lower() in seen:
            continue
        seen.add(address.lower())
        if tokens:
            tokens[-1] += ","
        tokens += mailbox_tokens(name, address)
    message.replace("Reply-To", fold_tokens("Reply-To", tokens))
    return {"reply-to"}


def footer_values(identity: ListIdentity, nonce: str = "") -> dict[str, str]:
    """The values of the footer's placeholders: markers for a member's own values when `nonce` is set,
    else the list-wide pages (and an empty member address)."""
    values = {
        "list_name": identity.display_name,
        "list_address": identity.address,
        "list_id": identity.list_id,
        "description": identity.description,
        "listinfo_url": identity.listinfo_url,
        "archive_url": identity.archive_url,
        "help_url": identity.help_url or identity.listinfo_url,
        "owner_address": identity.owner_address,
        "request_address": identity.request_address,
        "unsubscribe_url": identity.unsubscribe_url or identity.listinfo_url,
        "options_url": identity.options_url or identity.listinfo_url,
        "member_address": "",
    }
    if nonce:
        values.update({name: marker(nonce, name) for name in MEMBER_FIELDS})
    return values
