"""Mail about an account (password reset, sign-in link) leaves through the outgoing queue like
every other message. The queue files each message under a list: the first list on which the
address has a role, else the site's first list."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from listhaven.lists.addresses import InvalidAddress, canonical_address
from listhaven.lists.models import MailingList, Member
from listhaven.lists.queue import enqueue
from listhaven.lists.routing import service_address


def carrier_list(address: str) -> MailingList | None:
    try:
        key = canonical_address(address)
    except InvalidAddress:
        return None
    row = Member.objects.filter(address=key).order_by("id").select_related("mailing_list").first()
    return row.mailing_list if row else MailingList.objects.order_by("id").first()


def send_account_mail(to: str, subject: str, text: str) -> bool:
    """Queues one plain-text message to `to`; False when the site has no list to send it with."""
    mlist = carrier_list(to)
    if mlist is None:
        return False
    message = EmailMessage()
    message["From"] = f"{settings.SITE_NAME} <{service_address(mlist, 'owner')}>"
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = make_msgid(domain=mlist.address.rpartition("@")[2])
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    with transaction.atomic():
        enqueue(mlist, message.as_bytes(), [to], kind="notice", personalised=False)
    return True
