"""Removing a list, from the site administrators' page.

With its archive: every row of the list goes (messages, threads, raw bytes, members, queue), the
search index's rows first (the index needs the text it was given to forget it), and its addresses
leave Postfix's tables (postfix_maps.py). Keeping the archive: the list stops running (members, bans,
held posts and unsent mail go; every post is then from a non-member and rejected with that reason)
while its archive stays readable at its URLs and its addresses stay in Postfix's tables (the LMTP
server still takes them, to answer with that rejection).
"""

from __future__ import annotations

from django.db import connection, transaction

from listhaven.archive.models import Message
from listhaven.lists.models import Ban, HeldMessage, MailingList, Member, Outgoing
from listhaven.lists.postfix_maps import write_maps_after_commit
from listhaven.search.backends import backend_for
from listhaven.search.documents import document_for_message

_CHUNK = 500


def remove_list(mlist: MailingList, *, keep_archive: bool) -> None:
    with transaction.atomic():
        if keep_archive:
            _stop(mlist)
        else:
            _unindex(mlist)
            # The messages first: a thread cannot go while a message points at it (PROTECT), and
            # Django's cascade from the list would try the threads with their messages still there.
            Message.objects.filter(mailing_list=mlist).delete()
            mlist.delete()
            write_maps_after_commit()  # its addresses leave Postfix's tables


def _stop(mlist: MailingList) -> None:
    Member.objects.filter(mailing_list=mlist).delete()
    Ban.objects.filter(mailing_list=mlist).delete()
    HeldMessage.objects.filter(mailing_list=mlist).delete()
    Outgoing.objects.filter(mailing_list=mlist).delete()
    mlist.nonmember_action = "reject"
    mlist.emergency = False
    mlist.save(update_fields=["nonmember_action", "emergency"])


def _unindex(mlist: MailingList) -> None:
    backend = backend_for(connection)
    pks = list(Message.objects.filter(mailing_list=mlist, redacted=False).order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(pks), _CHUNK):
        chunk = Message.objects.filter(pk__in=pks[start : start + _CHUNK]).select_related("raw").prefetch_related(
            "attachments"
        )
        with connection.cursor() as cursor:
            backend.remove(cursor, [document_for_message(m) for m in chunk])
