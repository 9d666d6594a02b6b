"""Mail about an account (password reset, sign-in link) leaves through the outgoing queue like every
other message, as the site's own mail: from the site's address (site/public_urls.site_address),
belonging to no list, so an account whose address is on no list, on a site with no list yet, gets
it too."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from listhaven.lists.queue import enqueue
from listhaven.site.public_urls import site_address


def send_account_mail(to: str, subject: str, text: str) -> None:
    """Queues one plain-text message from the site to `to`."""
    sender = site_address()
    message = EmailMessage()
    message["From"] = f"{settings.SITE_NAME} <{sender}>"
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    with transaction.atomic():
        enqueue(None, message.as_bytes(), [to], kind="notice", personalised=False)
