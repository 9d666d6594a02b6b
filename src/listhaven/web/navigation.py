"""The queries behind a message page's links: previous/next by date, its place in its thread.

Each is one indexed query that reads only the columns a link needs: (mailing_list, date) for
date order (SQLite's index entries end with the row id, so ``ORDER BY date, id`` walks the
index), (thread, thread_order) for the thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from listhaven.archive.models import Message, Thread

# What a line in a list of messages needs (month pages, thread outlines, neighbours), read with
# `Message.objects.rows(*ROW_FIELDS)`, which adds "hidden".
ROW_FIELDS = (
    "id", "public_id", "subject", "sender_name", "sender_email", "date", "utc_offset",
    "thread_id", "thread_depth", "thread_order",
)  # fmt: skip
THREAD_CONTEXT = 6  # messages shown before and after this one in the thread outline
MAX_INDENT = 10


# Written as "date <= d AND NOT (date = d AND id >= pk)" rather than "date < d OR (date = d AND
# id < pk)": SQLite uses the index range for the former but scans the whole list for the OR.


def previous_by_date(message: Message) -> dict | None:
    rows = (
        Message.objects.filter(mailing_list_id=message.mailing_list_id, date__lte=message.date)
        .exclude(date=message.date, id__gte=message.pk)
        .order_by("-date", "-id")
        .rows(*ROW_FIELDS)[:1]
    )
    return next(iter(rows), None)


def next_by_date(message: Message) -> dict | None:
    rows = (
        Message.objects.filter(mailing_list_id=message.mailing_list_id, date__gte=message.date)
        .exclude(date=message.date, id__lte=message.pk)
        .order_by("date", "id")
        .rows(*ROW_FIELDS)[:1]
    )
    return next(iter(rows), None)


@dataclass
class ThreadOutline:
    """A window of the thread around one message, for the message page."""

    thread: Thread
    rows: list[dict] = field(default_factory=list)
    previous: dict | None = None
    next: dict | None = None
    hidden_before: int = 0
    hidden_after: int = 0


def thread_outline(message: Message, thread: Thread) -> ThreadOutline:
    """Up to THREAD_CONTEXT messages either side of `message` in thread order, indented relative
    to the shallowest one shown."""
    order = message.thread_order
    rows = list(
        Message.objects.filter(
            thread_id=thread.pk, thread_order__gte=order - THREAD_CONTEXT, thread_order__lte=order + THREAD_CONTEXT
        )
        .order_by("thread_order", "id")
        .rows(*ROW_FIELDS)
    )
    outline = ThreadOutline(thread=thread, rows=rows)
    if not rows:
        return outline
    here = next((i for i, row in enumerate(rows) if row["id"] == message.pk), None)
    if here is not None:
        outline.previous = rows[here - 1] if here > 0 else None
        outline.next = rows[here + 1] if here + 1 < len(rows) else None
    base = min(row["thread_depth"] for row in rows)
    for row in rows:
        row["indent"] = min(row["thread_depth"] - base, MAX_INDENT)
        row["deep"] = row["thread_depth"] - base > MAX_INDENT
        row["current"] = row["id"] == message.pk
    outline.hidden_before = max(0, rows[0]["thread_order"])
    outline.hidden_after = max(0, thread.message_count - 1 - rows[-1]["thread_order"])
    return outline
