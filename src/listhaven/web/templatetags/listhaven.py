"""Template filters and tags of the archive pages: dates, sizes, people, message bodies, assets."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.conf import settings
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from listhaven.mail.presenter import Presenter
from listhaven.web import display
from listhaven.web.assets import asset_url
from listhaven.web.bodies import rendered_body

register = template.Library()


@register.simple_tag
def asset(path: str) -> str:
    """``{% asset 'listhaven/listhaven.css' %}`` → a versioned /static/ URL."""
    return asset_url(path)


@register.simple_tag
def site_name() -> str:
    return str(getattr(settings, "SITE_NAME", "Listhaven"))


@register.filter
def localdate(date: datetime | None, offset: int = 0) -> str:
    """``{{ m.date|localdate:m.utc_offset }}`` → ``2014-08-17 09:05 −0600``."""
    return display.format_local(date, offset or 0)


@register.filter
def utcdate(date: datetime | None) -> str:
    return display.format_utc(date)


@register.filter
def utcminute(date: datetime | None) -> str:
    return display.format_utc(date, seconds=False)


@register.filter
def utcminute_breaks(date: datetime | None) -> SafeString:
    """utcminute's text with its day in a ``span.day``, kept whole by the owners' tables' CSS: a time in a
    crowded table wraps at its spaces ("2026-12-02" / "13:50 UTC"), never after a hyphen of its day."""
    day, _, minute = display.format_utc(date, seconds=False).partition(" ")
    return format_html('<span class="day">{}</span> {}', day, minute) if day else mark_safe("")


@register.filter
def isodate(date: datetime | None) -> str:
    return display.iso_utc(date)


@register.filter
def day(date: datetime | None) -> str:
    return display.format_day(date)


@register.filter
def filesize(size: int) -> str:
    return display.format_size(int(size or 0))


@register.filter
def address(email: str, present: Presenter) -> str:
    """``{{ m.sender_email|address:present }}``, `present` being the list's Presenter."""
    return present.address(email or "")


@register.filter
def address_breaks(email: str) -> SafeString:
    """An address that may wrap only after its "@" and before a "." (``<wbr>`` there), as mail clients
    break one, with CSS that breaks it nowhere else (the outbox's ``td.address``)."""
    from django.utils.html import escape

    return mark_safe(escape(email or "").replace("@", "@<wbr>").replace(".", "<wbr>."))  # escaped first


@register.filter
def shown(text: str, present: Presenter) -> str:
    """Free text (a display name) with its addresses shown as the list's Presenter says."""
    return present.text(text or "")


@register.filter
def author(row: object, present: Presenter) -> str:
    """The name of whoever wrote a message row (a dict or a Message), else its shown address."""
    get = row.get if isinstance(row, dict) else lambda key: getattr(row, key, "")
    return present.author(get("sender_name") or "", get("sender_email") or "") or display.UNKNOWN_SENDER


@register.filter
def body(text: str, present: Presenter) -> SafeString:
    """A message body as safe HTML (listhaven.mail.render escapes everything it takes from the text)."""
    return mark_safe(rendered_body(text or "", present))  # render_body escapes everything


@register.filter
def percent(value: int, total: int) -> int:
    return round(100 * value / total) if total else 0
