"""Archive rows as the JSON objects of the API (docs/api.md, the OpenAPI document in openapi.py).

With obfuscation on (the default for a list), no complete address of a poster leaves here:
authors and recipients show ``user at host``, and addresses inside bodies and names are
rewritten the same way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.urls import reverse

from listhaven.archive.models import Attachment, Message, Thread
from listhaven.lists.models import MailingList
from listhaven.mail.presenter import Presenter


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _text(mlist: MailingList, text: str) -> str:
    return Presenter.for_list(mlist).text(text)


def person(mlist: MailingList, name: str, email: str) -> dict[str, str | None]:
    present = Presenter.for_list(mlist)
    return {"name": present.text(name) or None, "address": present.address(email) or None}


def list_summary(mlist: MailingList, messages: int | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": mlist.name,
        "address": mlist.address,
        "title": mlist.title,
        "description": mlist.description,
        "private": mlist.is_private,
        "archive": mlist.archive_policy,
        "url": reverse("list", kwargs={"list_name": mlist.name}),
        "api_url": reverse("api-list", kwargs={"list_name": mlist.name}),
    }
    if messages is not None:
        data["messages"] = messages
    return data


def list_detail(mlist: MailingList, messages: int) -> dict[str, Any]:
    data = list_summary(mlist, messages)
    name = mlist.name
    data["links"] = {
        "months": reverse("api-months", kwargs={"list_name": name}),
        "threads": reverse("api-threads", kwargs={"list_name": name}),
        "search": reverse("api-search", kwargs={"list_name": name}),
        "stats": reverse("api-stats", kwargs={"list_name": name}),
        "feed": reverse("feed-messages", kwargs={"list_name": name}),
        "threads_feed": reverse("feed-threads", kwargs={"list_name": name}),
        "mbox": reverse("list-mbox", kwargs={"list_name": name}),
        "listinfo": reverse("listinfo", kwargs={"list_name": name}),
    }
    return data


def month(mlist: MailingList, key: str, count: int) -> dict[str, Any]:
    kwargs = {"list_name": mlist.name, "month": key}
    return {
        "month": key,
        "messages": count,
        "url": reverse("month", kwargs=kwargs),
        "mbox_url": reverse("month-mbox", kwargs=kwargs),
    }


def thread_summary(mlist: MailingList, thread: Thread) -> dict[str, Any]:
    kwargs = {"list_name": mlist.name, "thread_id": thread.public_id}
    return {
        "id": thread.public_id,
        "subject": thread.subject,
        "message_count": thread.message_count,
        "participant_count": thread.participant_count,
        "participant_names": [_text(mlist, str(p)) for p in (thread.participants or [])],
        "first_date": iso(thread.first_date),
        "last_date": iso(thread.last_date),
        "url": reverse("thread", kwargs=kwargs),
        "api_url": reverse("api-thread", kwargs=kwargs),
        "mbox_url": reverse("thread-mbox", kwargs=kwargs),
        "feed_url": reverse("feed-thread", kwargs=kwargs),
    }


def _message_links(mlist: MailingList, public_id: str) -> dict[str, str]:
    kwargs = {"list_name": mlist.name, "message_hash": public_id}
    return {
        "url": reverse("message", kwargs=kwargs),
        "api_url": reverse("api-message", kwargs=kwargs),
    }


def thread_entry(mlist: MailingList, message: Message, parent_public_id: str | None) -> dict[str, Any]:
    """One message in a thread's tree: enough to draw it, without the body."""
    data: dict[str, Any] = {
        "id": message.public_id,
        "parent": parent_public_id,
        "depth": message.thread_depth,
        "date": iso(message.date),
        "redacted": message.is_hidden,
        **_message_links(mlist, message.public_id),
    }
    if message.is_hidden:
        data.update(subject=None, author=None, has_attachments=False)
    else:
        data.update(
            subject=message.subject,
            author=person(mlist, message.sender_name, message.sender_email),
            has_attachments=message.has_attachments,
        )
    return data


def attachment(mlist: MailingList, message: Message, item: Attachment) -> dict[str, Any]:
    url = reverse(
        "attachment",
        kwargs={
            "list_name": mlist.name,
            "message_hash": message.public_id,
            "index": item.index,
            "filename": item.filename or f"attachment-{item.index + 1}",
        },
    )
    return {
        "index": item.index,
        "filename": item.filename,
        "content_type": item.content_type,
        "size": item.size,
        "url": url,
    }


def _recipients(mlist: MailingList, pairs: list) -> list[dict[str, str | None]]:
    return [person(mlist, str(pair[0]), str(pair[1])) for pair in pairs if len(pair) == 2]


def message_detail(
    mlist: MailingList, message: Message, parent_public_id: str | None, attachments: list[Attachment]
) -> dict[str, Any]:
    kwargs = {"list_name": mlist.name, "message_hash": message.public_id}
    thread_kwargs = {"list_name": mlist.name, "thread_id": message.thread.public_id}
    recipients = message.recipients or {}
    return {
        "id": message.public_id,
        "message_id": message.message_id,
        "list": mlist.name,
        "thread": message.thread.public_id,
        "parent": parent_public_id,
        "depth": message.thread_depth,
        "subject": message.subject,
        "date": iso(message.date),
        "utc_offset_minutes": message.utc_offset,
        "author": person(mlist, message.sender_name, message.sender_email),
        "to": _recipients(mlist, recipients.get("to", [])),
        "cc": _recipients(mlist, recipients.get("cc", [])),
        "in_reply_to": message.in_reply_to or None,
        "references": message.reference_list,
        "body": _text(mlist, message.body_text),
        "body_source": message.body_source,
        "size": message.size,
        "attachments": [attachment(mlist, message, a) for a in attachments],
        "links": {
            **_message_links(mlist, message.public_id),
            "raw": reverse("message-raw", kwargs=kwargs),
            "mbox": reverse("message-mbox", kwargs=kwargs),
            "thread": reverse("thread", kwargs=thread_kwargs),
            "thread_api": reverse("api-thread", kwargs=thread_kwargs),
            "thread_mbox": reverse("thread-mbox", kwargs=thread_kwargs),
        },
    }


def search_hit(mlist: MailingList, hit: Any) -> dict[str, Any]:
    """A `listhaven.search.results.SearchHit` (its author and address already obfuscated per the list)."""
    kwargs = {"list_name": mlist.name, "message_hash": hit.public_id}
    return {
        "id": hit.public_id,
        "thread": hit.thread_id,
        "thread_size": hit.thread_size,
        "subject": hit.subject,
        "date": iso(hit.date),
        "author": {"name": hit.author if hit.author != hit.address else None, "address": hit.address or None},
        "snippet_html": hit.snippet_html,
        "score": hit.score,
        "url": reverse("message", kwargs=kwargs),
        "api_url": reverse("api-message", kwargs=kwargs),
    }
