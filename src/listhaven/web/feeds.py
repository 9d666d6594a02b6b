"""Atom feeds (RFC 4287): a list's new messages, its new threads, and the messages of one thread.

Every link is absolute and starts with SITE_URL (site/public_urls.py), not the request's Host header.
Each entry links to the message page, names its author (the display name, else the obfuscated
address, when the list obfuscates), carries the date and a plain-text summary. Characters XML
cannot carry are stripped from everything taken from mail, so a hostile message cannot make a
feed ill-formed.
"""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape

from listhaven.archive.export import find_thread, strip_control
from listhaven.archive.models import Message, Thread, visible_through
from listhaven.lists.models import MailingList
from listhaven.mail.presenter import Presenter
from listhaven.site.public_urls import list_url, message_url, site_url, thread_url
from listhaven.web.access import get_readable_list

FEED_ITEMS = 50
SUMMARY_CHARS = 500
_FIELDS = (
    "pk", "public_id", "subject", "sender_name", "sender_email", "date", "body_text", "thread__public_id",
)  # fmt: skip


def author_name(mlist: MailingList, name: str, email: str) -> str:
    """Who wrote it, as a feed shows it: never a complete address when the list obfuscates."""
    return strip_control(Presenter.for_list(mlist).author(strip_control(name), email)) or "unknown"


def summary(mlist: MailingList, body: str) -> str:
    text = Presenter.for_list(mlist).text(strip_control(body[: SUMMARY_CHARS * 2]).strip())
    if len(text) > SUMMARY_CHARS:
        text = text[:SUMMARY_CHARS].rstrip() + " …"
    # Atom1Feed writes summaries as type="html": escaped, the text shows as written.
    return escape(text)


class _MessageFeed(Feed):
    """Entries are Message rows; subclasses choose which and set the titles."""

    feed_type = Atom1Feed

    def item_title(self, item: Message) -> str:
        return strip_control(item.subject).strip() or "(no subject)"

    def item_description(self, item: Message) -> str:
        return summary(item.mailing_list, item.body_text)

    def item_link(self, item: Message) -> str:
        return message_url(item.mailing_list.name, item.public_id)

    def item_guid(self, item: Message) -> str:
        return f"urn:listhaven:{item.mailing_list.name}:message:{item.public_id}"

    def item_pubdate(self, item: Message):
        return item.date

    def item_updateddate(self, item: Message):
        return item.date

    def item_author_name(self, item: Message) -> str:
        return author_name(item.mailing_list, item.sender_name, item.sender_email)

    def author_name(self, obj) -> str:
        mlist = obj if isinstance(obj, MailingList) else obj.mailing_list
        return strip_control(mlist.title)

    def link(self, obj) -> str:
        mlist = obj if isinstance(obj, MailingList) else obj.mailing_list
        return list_url(mlist.name)

    def feed_url(self, obj) -> str:
        if isinstance(obj, Thread):
            path = reverse("feed-thread", kwargs={"list_name": obj.mailing_list.name, "thread_id": obj.public_id})
        else:
            path = reverse(self.url_name, kwargs={"list_name": obj.name})
        return site_url(path)

    def _messages(self, mlist: MailingList):
        return (
            Message.objects.visible().filter(mailing_list=mlist)
            .select_related("mailing_list")
            .only(*_FIELDS[:-1], "mailing_list")
        )


class ListMessagesFeed(_MessageFeed):
    url_name = "feed-messages"

    def get_object(self, request: HttpRequest, list_name: str) -> MailingList:
        return get_readable_list(request, list_name)

    def title(self, obj: MailingList) -> str:
        return f"{strip_control(obj.title)}: new messages"

    def subtitle(self, obj: MailingList) -> str:
        return strip_control(obj.description)

    def feed_guid(self, obj: MailingList) -> str:
        return f"urn:listhaven:{obj.name}:messages"

    def items(self, obj: MailingList):
        return self._messages(obj).order_by("-date", "-pk")[:FEED_ITEMS]


class ListThreadsFeed(_MessageFeed):
    """New threads, each entry the thread's first message."""

    url_name = "feed-threads"

    def get_object(self, request: HttpRequest, list_name: str) -> MailingList:
        return get_readable_list(request, list_name)

    def title(self, obj: MailingList) -> str:
        return f"{strip_control(obj.title)}: new threads"

    def feed_guid(self, obj: MailingList) -> str:
        return f"urn:listhaven:{obj.name}:threads"

    def items(self, obj: MailingList):
        threads = (
            Thread.objects.filter(visible_through("root_message"), mailing_list=obj)
            .order_by("-first_date", "-pk")
            .values_list("root_message_id", flat=True)[:FEED_ITEMS]
        )
        roots = self._messages(obj).in_bulk(list(threads))
        return sorted(roots.values(), key=lambda m: (m.date, m.pk), reverse=True)

    def item_guid(self, item: Message) -> str:
        return f"urn:listhaven:{item.mailing_list.name}:thread-start:{item.public_id}"


class ThreadFeed(_MessageFeed):
    def get_object(self, request: HttpRequest, list_name: str, thread_id: str) -> Thread:
        mlist = get_readable_list(request, list_name)
        thread = find_thread(mlist, thread_id)
        if thread is None:
            raise Http404("No such thread.")
        return thread

    def title(self, obj: Thread) -> str:
        return strip_control(obj.subject).strip() or "(no subject)"

    def feed_guid(self, obj: Thread) -> str:
        return f"urn:listhaven:{obj.mailing_list.name}:thread:{obj.public_id}"

    def link(self, obj: Thread) -> str:
        return thread_url(obj.mailing_list.name, obj.public_id)

    def items(self, obj: Thread):
        return self._messages(obj.mailing_list).filter(thread=obj).order_by("-date", "-pk")[:FEED_ITEMS]
