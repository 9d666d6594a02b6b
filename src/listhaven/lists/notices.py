"""The list's own messages: a held post's notice to the moderators, a rejection to the poster,
the daily summary of what still waits, and the notices to members and would-be members (welcome,
goodbye, confirmation, invitation, options link, ...). Each is queued (lists/queue.py) like any other mail.

Member notices come from templates: `NOTICES` holds the site's default subject and body of each,
plain text with named placeholders (``{list_name}``, ``{confirm_url}``); a list's owners override any
of them in `MailingList.notice_templates` (``{name: {"subject": ..., "body": ...}}``). Placeholders are
substituted plainly (mail/footer.py `render_footer`), never with str.format: owners write these texts.

    send_notice(mlist, "welcome", "ann@example.org", options_url=...)   # rendered, queued, returns Outgoing

Every notice gets the list's values (`list_values`) for free; the caller passes the rest. A name
another part adds (digests, bounces) is one more entry in NOTICES (or `register_notice`).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.conf import settings
from django.utils import timezone

from listhaven.lists.models import HeldMessage, MailingList, Outgoing
from listhaven.lists.post import parse_post_bytes
from listhaven.lists.queue import enqueue
from listhaven.lists.routing import service_address
from listhaven.mail.footer import render_footer


def _notice(
    mlist: MailingList, to: str, subject: str, text: str, original: bytes | None = None, reply_to: str = ""
) -> bytes:
    message = EmailMessage()
    message["From"] = f"{mlist.title} <{service_address(mlist, 'owner')}>"
    message["To"] = to
    if reply_to:
        message["Reply-To"] = reply_to
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = make_msgid(domain=mlist.address.rpartition("@")[2])
    # RFC 3834: automatic mail; vacation responders and other lists must not answer it.
    message["Auto-Submitted"] = "auto-generated"
    message["Precedence"] = "bulk"
    message.set_content(text)
    if original is not None:
        message.add_attachment(parse_post_bytes(original), disposition="inline")  # message/rfc822
    return message.as_bytes()


def _site_url() -> str:
    return str(getattr(settings, "SITE_URL", "")).rstrip("/")


def held_notice(mlist: MailingList, held: HeldMessage, original: bytes) -> bytes:
    """To the owners and moderators: one post waits for them. A reply decides it (lists/moderation_mail.py).

    The subject always begins with ``confirm TOKEN``, whatever the list's template says: a reply decides
    the post by that token."""
    from listhaven.lists.held_tokens import MODERATE, held_token

    token = held_token(held, MODERATE)
    local, _, domain = service_address(mlist, "confirm").rpartition("@")
    subject, text = render_notice(mlist, "held", _held_values(mlist, held))
    return _notice(mlist, service_address(mlist, "owner"), f"confirm {token} {subject}", text, original,
                   reply_to=f"{local}+{token}@{domain}")  # fmt: skip


def _held_values(mlist: MailingList, held: HeldMessage) -> dict[str, object]:
    return {
        "sender": held.sender or "(no address)", "subject": held.subject or "(no subject)", "reason": held.reason,
        "expires": f"{held.expires_at:%Y-%m-%d %H:%M} UTC", "held_id": held.pk,
        "held_url": f"{_site_url()}/manage/{mlist.name}/held/{held.pk}/",
        "approve_by_mail": "put the moderator password on the first line (or in an Approved: header)"
        if mlist.moderator_password else "not by mail, since the list has no moderator password (an owner can "
        "set one on the list's settings page)",
    }  # fmt: skip


def held_subject(mlist: MailingList, held: HeldMessage) -> str:
    """The held notice's subject after ``confirm TOKEN``: a moderator's reply quotes it, and only the words
    they add to it decide (a sender called reject@... must not reject their own post)."""
    return render_notice(mlist, "held", _held_values(mlist, held))[0]


def poster_held_notice(mlist: MailingList, held: HeldMessage) -> bytes:
    """To the poster: the post waits for a moderator; a link withdraws it."""
    from listhaven.lists.held_tokens import withdraw_url

    subject, text = render_notice(mlist, "held_poster", {
        "subject": held.subject or "(no subject)", "reason": held.reason, "withdraw_url": withdraw_url(held),
    })  # fmt: skip
    return _notice(mlist, held.sender, subject, text)


def rejection_notice(mlist: MailingList, to: str, subject: str, reason: str, original: bytes) -> bytes:
    """To the poster: the post was not sent to the list, and why."""
    values = {"subject": subject or "(no subject)", "reason": textwrap.fill(reason, 72)}
    title, text = render_notice(mlist, "rejected", values)
    return _notice(mlist, to, title, text, original)


def filtered_notice(mlist: MailingList, sender: str, subject: str, reason: str, original: bytes) -> bytes:
    """To the owners: a post content filtering left nothing of, not sent to the list (filter_action
    forward, Mailman's forward to the list owner); the only copy is attached."""
    values = {"sender": sender or "(no address)", "subject": subject or "(no subject)", "reason": textwrap.fill(reason, 72)}
    title, text = render_notice(mlist, "filtered", values)
    return _notice(mlist, service_address(mlist, "owner"), title, text, original)


def acknowledgement(mlist: MailingList, to: str, subject: str) -> bytes:
    """To a member who asked for one: the post was sent to the list."""
    title, text = render_notice(mlist, "acknowledgement", {"subject": subject or "(no subject)"})
    return _notice(mlist, to, title, text)


def summary_notice(mlist: MailingList, waiting: Sequence[HeldMessage]) -> bytes:
    """To the owners and moderators: every post still waiting, oldest first."""
    lines = [f"{len(waiting)} post(s) to {mlist.address} wait for a moderator:\n"]
    for held in waiting:
        lines.append(f"  #{held.pk}  {held.held_at:%Y-%m-%d}  {held.sender or '(no address)'}")
        lines.append(f"        {held.subject or '(no subject)'}\n        {held.reason}")
    lines.append(f"\nDecide with `listhaven moderate {mlist.name} ID accept|reject|discard|defer`"
                 f" or on {_site_url()}/manage/{mlist.name}/held/\n")  # fmt: skip
    subject = f"{mlist.title}: {len(waiting)} post(s) wait for a moderator"
    return _notice(mlist, service_address(mlist, "owner"), subject, "\n".join(lines))


@dataclass(frozen=True)
class NoticeTemplate:
    subject: str
    body: str
    meaning: str  # for the owners' settings page
    placeholders: tuple[str, ...] = ()  # beyond LIST_PLACEHOLDERS, what the caller fills in


LIST_PLACEHOLDERS = ("list_name", "list_title", "list_address", "description", "listinfo_url", "archive_url",
                     "owner_address", "request_address", "site_url")  # fmt: skip

NOTICES: dict[str, NoticeTemplate] = {}


def register_notice(name: str, subject: str, body: str, meaning: str, placeholders: tuple[str, ...] = ()) -> None:
    """Declares notice `name` with its site default (other modules add theirs: digests, bounces)."""
    NOTICES[name] = NoticeTemplate(subject, body, meaning, placeholders)


# The confirmations' subject is "confirm TOKEN" and nothing else, as Mailman's: a reply keeps it
# ("Re: confirm TOKEN"), which is how a reply to -request confirms (mail/commands.py).
register_notice(
    "confirm_subscribe", "confirm {token}",
    "Someone, probably you, asked to subscribe {address} to the {list_title} mailing list\n"
    "({list_address}).\n\nTo confirm, open this page and press its button:\n\n    {confirm_url}\n\n"
    "or reply to this message, keeping its subject, or send a message to\n\n    {confirm_address}\n\n"
    "If you did not ask for this, ignore this message: nothing happens without your answer.\n"
    "The link expires in {expires_days} days.\n",
    "to an address asking to join: the link (and reply) that confirms it",
    ("address", "token", "confirm_url", "confirm_address", "expires_days"),
)
register_notice(
    "confirm_unsubscribe", "confirm {token}",
    "Someone, probably you, asked to remove {address} from the {list_title} mailing list.\n\n"
    "To confirm, open this page and press its button:\n\n    {confirm_url}\n\n"
    "or reply to this message, keeping its subject. If you did not ask for this, ignore this\n"
    "message: you stay subscribed. The link expires in {expires_days} days.\n",
    "to a member asking to leave, where the list wants it confirmed",
    ("address", "token", "confirm_url", "confirm_address", "expires_days"),
)
register_notice(
    "confirm_address_change", "confirm {token}",
    "Someone, probably you, asked to change the address {old_address} to {address} on\n"
    "{where} ({list_address}), keeping its options.\n\n"
    "To confirm, open this page and press its button:\n\n    {confirm_url}\n\n"
    "or reply to this message, keeping its subject. If you did not ask for this, ignore this\n"
    "message: nothing changes. The link expires in {expires_days} days.\n",
    "to the new address of a member changing their address: the link (and reply) that confirms it",
    ("address", "old_address", "where", "token", "confirm_url", "confirm_address", "expires_days"),
)
register_notice(
    "invitation", "confirm {token}",
    "The owners of the {list_title} mailing list ({list_address}) invite {address} to join.\n\n"
    "{description}\n\nTo accept, open this page and press its button:\n\n    {confirm_url}\n\n"
    "or reply to this message, keeping its subject. To decline, do nothing.\n"
    "The invitation expires in {expires_days} days.\n",
    "to an address an owner invited",
    ("address", "token", "confirm_url", "confirm_address", "expires_days"),
)
register_notice(
    "approve_request", "confirm {token}",
    "{address} asks to {action} the {list_title} mailing list ({list_address}).\n\n"
    "To approve, open this page and press its button:\n\n    {confirm_url}\n\n"
    "or reply to this message, keeping its subject. To refuse, reply with the word\n"
    "reject after the token in the subject (the address is told), or do nothing:\n"
    "the request expires in {expires_days} days. All waiting requests: {requests_url}\n",
    "to the owners, when a subscription or departure needs their approval",
    ("address", "action", "token", "confirm_url", "confirm_address", "expires_days", "requests_url"),
)
register_notice(
    "request_refused", "{list_title}: your request to {action} was refused",
    "Your request to {action} the {list_title} mailing list ({list_address}) with the address\n"
    "{address} was refused by the list's owners: {reason}\n\n"
    "The owners can be reached at {owner_address}.\n",
    "to an address whose request to join or leave an owner refused",
    ("address", "action", "reason"),
)
register_notice(
    "welcome", "Welcome to {list_title}",
    "Welcome to the {list_title} mailing list, {address}.\n\n{description}\n\n"
    "To post, write to {list_address}.\nThe archive: {archive_url}\n"
    "Your options (delivery, digests, leaving): {options_url}\n"
    "To leave, send a message to {request_address} with the word \"unsubscribe\".\n",
    "to each new member (unless the list turns it off)",
    ("address", "options_url"),
)
register_notice(
    "goodbye", "You have left {list_title}",
    "{address} is no longer subscribed to the {list_title} mailing list ({list_address}).\n\n"
    "To join again: {listinfo_url}\n",
    "to each leaving member (unless the list turns it off)",
    ("address",),
)
register_notice(
    "already_member", "{list_title}: you are already subscribed",
    "Someone, probably you, asked to subscribe {address} to the {list_title} mailing list, to which\n"
    "it already belongs. Nothing has changed.\n\nYour options: {options_url}\n",
    "to an address that asked to join a list it already belongs to",
    ("address", "options_url"),
)
register_notice(
    "options_link", "{list_title}: your options",
    "Someone, probably you, asked for a link to the options of {address} on the {list_title}\n"
    "mailing list. It works once and expires in {expires_days} days:\n\n    {options_url}\n\n"
    "If you did not ask for it, ignore this message.\n",
    "to a member who asked for a link to their options page",
    ("address", "options_url", "expires_days"),
)
register_notice(
    "command_results", "Re: {subject}",
    "The results of your mail to {request_address}:\n\n{results}\n",
    "the answer to mail sent to -request, -join, -leave and -confirm addresses",
    ("subject", "results"),
)
register_notice(
    "help", "{list_title}: how to use the list's addresses",
    "Commands go to {request_address}, in the subject or one per line in the body:\n\n"
    "    subscribe [address=ADDRESS] [digest=mime|plain|no]\n    unsubscribe [address=ADDRESS]\n"
    "    who              (the list's members, where the list allows it)\n    help\n\n"
    "Or send any message to {join_address} to join and {leave_address} to leave.\n"
    "On the web: {listinfo_url}\n",
    "the help text, sent for 'help' and with any answer to a command not understood",
    ("join_address", "leave_address"),
)
register_notice(
    "bounce_disabled", "{list_title}: your mail delivery is disabled",
    "Mail from the {list_title} mailing list ({list_address}) to {address} has been bouncing,\n"
    "so the list no longer sends it mail.\n\nTo receive the list's mail again, open this page and press its button:\n\n"
    "    {reenable_url}\n\nThis is warning {warning} of {warnings}. Without an answer the address is removed\n"
    "from the list on {removal_date}.\n",
    "to a member whose delivery bounces disabled, then a week apart until the removal (lists/bounces.py)",
    ("address", "reenable_url", "warning", "warnings", "removal_date"),
)
register_notice(
    "bounce_owner_disabled", "{list_title}: delivery to {address} disabled by bounces",
    "Delivery to {address} on {list_address} was disabled: its bounce score reached {score}.\n"
    "It gets {warnings} warning(s) and is removed on {removal_date} unless it turns delivery back on.\n",
    "to the owners, when bounces disable a member (list setting bounce_notify_owners)",
    ("address", "score", "warnings", "removal_date"),
)
register_notice(
    "bounce_owner_removed", "{list_title}: {address} removed",
    "{address} was removed from {list_address}: {reason}.\n",
    "to the owners, when bounces or a complaint remove a member (list setting bounce_notify_owners)",
    ("address", "reason"),
)

# Notices about posts. The held notice's subject is prefixed with "confirm TOKEN" by held_notice.
register_notice(
    "held", "{list_title}: post from {sender} held for approval",
    "A post to {list_address} waits for a moderator.\n\n"
    "  From:    {sender}\n  Subject: {subject}\n  Reason:  {reason}\n"
    "  Expires: {expires} (it is discarded then)\n\n"
    "Decide on {held_url}\n"
    "or reply to this message, keeping the subject:\n"
    "  approve: {approve_by_mail};\n"
    "  reject or discard: add the word reject or discard to the subject.\n"
    "or: listhaven moderate {list_name} {held_id} accept|reject|discard|defer [--reason TEXT]\n\n"
    "The post is attached.\n",
    "to the owners and moderators, for each held post (the subject always begins with confirm TOKEN)",
    ("sender", "subject", "reason", "expires", "held_id", "held_url", "approve_by_mail"),
)
register_notice(
    "held_poster", "Your message to {list_title} awaits approval",
    "Your message to {list_address} with the subject\n\n    {subject}\n\n"
    "waits for a moderator's approval: {reason}\n\nTo withdraw it, open:\n\n  {withdraw_url}\n",
    "to the poster of a held post, with the link that withdraws it",
    ("subject", "reason", "withdraw_url"),
)
register_notice(
    "rejected", "Your message to {list_title} was rejected",
    "Your message to {list_address} with the subject\n\n    {subject}\n\n"
    "was not sent to the list: {reason}\n\n"
    "The list's owners can be reached at {owner_address}.\n",
    "to the poster of a rejected post, with the reason (the post is attached)",
    ("subject", "reason"),
)
register_notice(
    "filtered", "{list_title}: content filtered post from {sender}",
    "A post to {list_address} was not sent to the list: content filtering left nothing of it.\n\n"
    "  From:    {sender}\n  Subject: {subject}\n  Reason:  {reason}\n\n"
    "The list's filter_action is forward: the attached post is the only copy kept.\n",
    "to the owners, for a post content filtering left nothing of (filter_action forward; the post is attached)",
    ("sender", "subject", "reason"),
)
register_notice(
    "acknowledgement", "{list_title} post acknowledgement",
    "Your message to {list_address} with the subject\n\n    {subject}\n\n"
    "was received and sent to the list's members.\n",
    "to a member who asked to have their posts acknowledged",
    ("subject",),
)


def list_values(mlist: MailingList) -> dict[str, str]:
    """The placeholders every notice of `mlist` can use (LIST_PLACEHOLDERS)."""
    from listhaven.site.public_urls import list_url, site_url

    return {
        "list_name": mlist.name, "list_title": mlist.title, "list_address": mlist.address,
        "description": mlist.description, "listinfo_url": site_url(f"/listinfo/{mlist.name}"),
        "archive_url": list_url(mlist.name), "owner_address": service_address(mlist, "owner"),
        "request_address": service_address(mlist, "request"), "join_address": service_address(mlist, "join"),
        "leave_address": service_address(mlist, "leave"), "site_url": _site_url(),
    }  # fmt: skip


def notice_text(mlist: MailingList, name: str) -> tuple[str, str]:
    """(subject, body) template of notice `name` for `mlist`: the list's own text, else the site's."""
    default = NOTICES[name]
    override = (mlist.notice_templates or {}).get(name) or {}
    return str(override.get("subject") or default.subject), str(override.get("body") or default.body)


def render_notice(mlist: MailingList, name: str, values: Mapping[str, object]) -> tuple[str, str]:
    """(subject, body) of notice `name` filled with the list's values and `values`."""
    filled = list_values(mlist) | {key: str(value) for key, value in values.items()}
    subject, body = notice_text(mlist, name)
    # A subject is one line whatever an owner or a value put in it.
    return " ".join(render_footer(subject, filled).split()), render_footer(body, filled)


def send_notice(
    mlist: MailingList, name: str, to: str | Sequence[str], *, reply_to: str = "", **values: object
) -> Outgoing:
    """Renders notice `name` and queues it for `to` (an address or several). Call inside the transaction
    that decided it, so the decision and its notice commit together."""
    recipients = [to] if isinstance(to, str) else list(to)
    subject, body = render_notice(mlist, name, values)
    message = _notice(mlist, ", ".join(recipients), subject, body, reply_to=reply_to)
    return enqueue(mlist, message, recipients, kind="notice", personalised=False)
