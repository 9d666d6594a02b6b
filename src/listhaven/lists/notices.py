"""The list's own messages: a held post's notice to the moderators, a rejection to the poster,
the daily summary of what still waits. Each is queued (lists/queue.py) like any other mail."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.conf import settings
from django.utils import timezone

from listhaven.lists.models import HeldMessage, MailingList
from listhaven.lists.post import parse_post_bytes
from listhaven.lists.routing import service_address


def _notice(mlist: MailingList, to: str, subject: str, text: str, original: bytes | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = f"{mlist.title} <{service_address(mlist, 'owner')}>"
    message["To"] = to
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
    """To the owners and moderators: one post waits for them."""
    text = (
        f"A post to {mlist.address} waits for a moderator.\n\n"
        f"  From:    {held.sender or '(no address)'}\n"
        f"  Subject: {held.subject or '(no subject)'}\n"
        f"  Reason:  {held.reason}\n"
        f"  Expires: {held.expires_at:%Y-%m-%d %H:%M} UTC (it is discarded then)\n\n"
        f"Decide with:\n  listhaven moderate {mlist.name} {held.pk} accept|reject|discard|defer [--reason TEXT]\n"
        f"or on {_site_url()}/manage/{mlist.name}/held/\n\nThe post is attached.\n"
    )
    subject = f"{mlist.title}: post from {held.sender or 'unknown sender'} held for approval"
    return _notice(mlist, service_address(mlist, "owner"), subject, text, original)


def rejection_notice(mlist: MailingList, to: str, subject: str, reason: str, original: bytes) -> bytes:
    """To the poster: the post was not sent to the list, and why."""
    text = (
        f"Your message to {mlist.address} with the subject\n\n    {subject or '(no subject)'}\n\n"
        f"{textwrap.fill(f'was not sent to the list: {reason}', 72)}\n\n"
        f"The list's owners can be reached at {service_address(mlist, 'owner')}.\n"
    )
    return _notice(mlist, to, f"Your message to {mlist.title} was rejected", text, original)


def acknowledgement(mlist: MailingList, to: str, subject: str) -> bytes:
    """To a member who asked for one: the post was sent to the list."""
    text = (
        f"Your message to {mlist.address} with the subject\n\n    {subject or '(no subject)'}\n\n"
        f"was received and sent to the list's members.\n"
    )
    return _notice(mlist, to, f"{mlist.title} post acknowledgement", text)


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
