"""The long repeated parts of pages (a month's rows, a thread's messages) written in Python.

A Django template loop costs tens of microseconds per row; a month or a thread has hundreds, and
the pages must render in a few milliseconds. These functions build the same markup with
f-strings; every value taken from a message goes through `escape` (bodies through
listhaven.mail.render, which escapes), so the result is safe to mark as such.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from django.utils.safestring import SafeString, mark_safe

from listhaven.mail.presenter import Presenter
from listhaven.web.bodies import rendered_body
from listhaven.web.display import UNKNOWN_SENDER, format_local, format_size, format_utc, iso_utc
from listhaven.web.links import ArchiveUrls

REMOVED = "(message removed)"


def _time(row: dict) -> str:
    return (
        f'<time datetime="{iso_utc(row["date"])}" title="{format_utc(row["date"])}">'
        f'{format_local(row["date"], row["utc_offset"])}</time>'
    )


def _who(row: dict, present: Presenter) -> str:
    return escape(present.author(row["sender_name"] or "", row["sender_email"] or "") or UNKNOWN_SENDER)


def month_rows(rows: Iterable[dict], urls: ArchiveUrls, present: Presenter) -> SafeString:
    """``<li>`` per message: subject link, author, date; indented by reply depth in thread order."""
    out = []
    for row in rows:
        css = f"d{row.get('indent', 0)}" + (" new-thread" if row.get("new_thread") else "")
        deep = '<span class="deep" title="deeper reply">…</span>' if row.get("deep") else ""
        href = urls.message(row["public_id"])
        if row["hidden"]:
            link, who = f'<a href="{href}">{REMOVED}</a>', ""
        elif row.get("same_subject"):
            link, who = f'<a class="reply" href="{href}">{_who(row, present)}</a>', ""
        else:
            link = f'<a href="{href}">{escape(row["subject"] or "(no subject)")}</a>'
            who = f' <span class="who">{_who(row, present)}</span>'
        out.append(f'<li class="{css}" id="m-{row["public_id"]}">{deep}{link}{who} {_time(row)}</li>\n')
    return mark_safe("".join(out))  # every value above is escaped


def _attachments(urls: ArchiveUrls, public_id: str, attachments: list) -> str:
    if not attachments:
        return ""
    items = "".join(
        f'<li><a href="{escape(urls.attachment(public_id, a.index, a.filename))}" download>{escape(a.filename)}</a> '
        f'<span class="meta">{escape(a.content_type)}, {format_size(a.size)}</span></li>'
        for a in attachments
    )
    return f'<ul class="attachments">{items}</ul>'


def _summary(m: dict, present: Presenter, first: bool) -> str:
    deep = f'<span class="deep" title="reply depth {m["depth"]}">{m["depth"]}</span> ' if m["deep"] else ""
    if m["hidden"]:
        return f'<summary>{deep}<span class="who">{REMOVED}</span> {_time(m)}</summary>'
    who = f'<span class="who">{_who(m, present)}</span>'
    if m["sender_name"] and m["sender_email"]:
        who += f' <span class="addr">{escape(present.address(m["sender_email"]))}</span>'
    subject = f' <span class="subj">{escape(m["subject"])}</span>' if m["subject_changed"] and not first else ""
    return f"<summary>{deep}{who} {_time(m)}{subject}</summary>"


def thread_items(messages: list[dict], urls: ArchiveUrls, present: Presenter) -> SafeString:
    """``<li>`` per message of a thread page: a ``<details open>`` with the body, nested by depth."""
    out = []
    for n, m in enumerate(messages):
        pid = m["public_id"]
        out.append(
            f'<li class="tm d{m["indent"]}" id="m-{pid}" data-depth="{m["depth"]}" tabindex="-1">'
            f"<details open>{_summary(m, present, n == 0)}"
        )
        if m["hidden"]:
            out.append('<p class="notice">This message was removed from the archive.</p>')
        else:
            if m["msgid_conflict"]:
                out.append('<p class="notice">Another message in this archive has the same Message-ID.</p>')
            out.append(f'<div class="body">{rendered_body(m["body_text"], present)}</div>')
            out.append(_attachments(urls, pid, m["attachments"]))
            out.append(
                f'<p class="tm-actions"><a href="{urls.message(pid)}">Permalink</a> '
                f'<a href="{escape(m["reply_href"])}">Reply</a></p>'
            )
        out.append("</details></li>\n")
    return mark_safe("".join(out))  # every value above is escaped
