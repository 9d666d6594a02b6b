"""The hostile message set: enough messages, every attack category, payloads a browser test can trap."""

from __future__ import annotations

import email
import html
import re
from collections.abc import Callable
from email.header import decode_header
from email.message import Message
from email.utils import parsedate_to_datetime
from functools import cache

import pytest

from tests.support.hostile import (
    EVIL,
    HOSTILE_CATEGORIES,
    HOSTILE_MARKERS,
    LIST_ADDRESS,
    hostile_messages,
    unsafe_markup,
)


@cache
def _messages() -> tuple[tuple[str, bytes], ...]:
    return tuple(hostile_messages())


def _header_text(value: str) -> str:
    """A header as a reader would see it: encoded words decoded, lenient about broken ones."""
    out = []
    for chunk, charset in decode_header(value):
        if isinstance(chunk, bytes):
            try:
                out.append(chunk.decode(charset or "ascii", "replace"))
            except LookupError:
                out.append(chunk.decode("latin-1"))
        else:
            out.append(chunk)
    return "".join(out)


def _utf8(value: str) -> str:
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _view(raw: bytes) -> str:
    """Everything a reader's page could show: decoded headers, filenames, decoded text of each part."""
    msg = email.message_from_bytes(raw)
    # Raw 8-bit header bytes come back as surrogates; show them as the UTF-8 they were written in.
    out = [f"{k}: {_header_text(_utf8(str(v)))}" for k, v in msg.items()]
    for part in msg.walk():
        for name in ("Content-Type", "Content-Disposition"):
            if name in part:
                out.append(_header_text(_utf8(str(part[name]))))
        filename = part.get_filename()
        if filename:
            out.append(f"filename={filename}")
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            out.append(payload.decode("utf-8", "replace"))
    # Raw 8-bit header parameters reach the parser's sub-part headers only as U+FFFD; keep the original text too.
    out.append(raw.decode("utf-8", "replace"))
    return "\n".join(out)


def _by_category() -> dict[str, list[tuple[str, bytes]]]:
    groups: dict[str, list[tuple[str, bytes]]] = {}
    for name, raw in _messages():
        groups.setdefault(name.split(":", 1)[0], []).append((name, raw))
    return groups


def _html_parts(raw: bytes) -> list[str]:
    parts = []
    for part in email.message_from_bytes(raw).walk():
        if part.get_content_type() in ("text/html", "application/xhtml+xml", "image/svg+xml"):
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            parts.append(payload.decode("utf-8", "replace"))
    return parts


def _filenames(msg: Message) -> list[str]:
    return [
        str(p.get_param("filename", "", "content-disposition") or p.get_param("name", "")) for p in msg.walk()
    ]  # fmt: skip


def test_at_least_sixty_messages_with_unique_names_and_ids() -> None:
    messages = _messages()
    assert len(messages) >= 60
    assert len({name for name, _ in messages}) == len(messages)
    ids = [email.message_from_bytes(raw)["Message-ID"] for _, raw in messages]
    assert all(ids) and len(set(ids)) == len(messages)


def test_every_message_goes_to_the_hostile_list_in_march_2021() -> None:
    for name, raw in _messages():
        msg = email.message_from_bytes(raw)
        assert msg["To"] == LIST_ADDRESS, name
        date = parsedate_to_datetime(str(msg["Date"]))
        assert (date.year, date.month) == (2021, 3), name


def test_names_use_the_declared_categories_only() -> None:
    assert set(_by_category()) == set(HOSTILE_CATEGORIES)


_HANDLER = re.compile(r"\bon(error|load|mouseover|focus|toggle)\s*=", re.IGNORECASE)
_CHECKS: dict[str, Callable[[str, Message], bool]] = {
    "script": lambda view, msg: "<script" in view.lower(),
    "event-handler": lambda view, msg: bool(_HANDLER.search(view)),
    "javascript-url": lambda view, msg: bool(re.search(r"j\s*a\s*v\s*a\s*s\s*c\s*r\s*i\s*p\s*t|&#x?[0-9a-f]+;", view, re.IGNORECASE)),
    "data-url": lambda view, msg: "data:text/html" in view or "data:image/svg+xml" in view,
    "vbscript-url": lambda view, msg: "vbscript:" in view.lower(),
    "svg": lambda view, msg: "<svg" in view and ("onload" in view or "<script" in view or "javascript:" in view),
    "css": lambda view, msg: bool(re.search(r"expression\(|@import|url\(|rel=\"stylesheet\"", view)),
    "style-attribute": lambda view, msg: 'style="' in view,
    "iframe": lambda view, msg: "<iframe" in view,
    "object": lambda view, msg: bool(re.search(r"<(object|embed|applet)\b", view)),
    "meta-refresh": lambda view, msg: '<meta http-equiv="refresh"' in view,
    "base-href": lambda view, msg: "<base href=" in view,
    "broken-markup": lambda view, msg: bool(re.search(r'<<|\x00|<!--|CDATA|"\s*"\s*>|"\n</body>', view)),
    "encoded-word": lambda view, msg: "=?" in str(msg.get("Subject", "")) + str(msg.get("From", "")) and "<" in view,
    "html-attachment": lambda view, msg: any(
        p.get_content_type() in ("text/html", "application/xhtml+xml") or (p.get_filename() or "").endswith(".html")
        for p in msg.walk() if p.get("Content-Disposition")
    ),
    "filename": lambda view, msg: any(
        re.search(r"[<>/\\\x00-\x1f]|%3C|=\?", f) for f in _filenames(msg)
    ),
    "rtl-override": lambda view, msg: "\u202e" in view,
    "homoglyph": lambda view, msg: "\u0435" in view or bool(re.search(r'href="[^"]*evil\.example[^"]*">https://lists', view)),
    "external-image": lambda view, msg: bool(re.search(r"(src|srcset|poster|background)=\"(https?:)?//evil\.example", view)),
    "header-injection": lambda view, msg: "X-Injected" in msg or bool(re.search(r"\r|\n[A-Z][\w-]*:|<script|onerror", _header_text(
        " ".join(str(v) for k, v in msg.items() if k in ("Subject", "From", "Message-ID", "In-Reply-To"))))),
}  # fmt: skip


@pytest.mark.parametrize("category", HOSTILE_CATEGORIES)
def test_each_category_is_covered_by_messages_that_carry_it(category: str) -> None:
    members = _by_category()[category]
    assert members, category
    check = _CHECKS[category]
    for name, raw in members:
        assert check(_view(raw), email.message_from_bytes(raw)), name


def test_broken_markup_really_is_broken() -> None:
    for name, raw in _by_category()["broken-markup"]:
        doc = "".join(_html_parts(raw))
        # Each one has a tag that is unclosed, nested, split by NUL, hidden in a comment/CDATA, or breaks out of quotes.
        assert re.search(r'<<|\x00|<!--|CDATA|"\s*"\s*>|"\n</body>', doc), name


def test_script_payloads_set_the_trap_variable() -> None:
    for category in ("script", "event-handler", "javascript-url", "svg", "meta-refresh"):
        for name, raw in _by_category()[category]:
            view = _view(raw)
            if category == "meta-refresh" and "javascript" not in view:
                continue
            assert "__pwned" in view, name


def test_external_fetches_all_target_the_trap_host() -> None:
    fetch = re.compile(
        r"""(?:\b(?:src|srcset|poster|background|data|codebase)=["']?|url\(['"]?|@import\s+|,\s*)(?:https?:)?//([^/"'\s)>]+)""",
        re.IGNORECASE,
    )
    hosts = set()
    for _, raw in _messages():
        for doc in _html_parts(raw):
            hosts.update(fetch.findall(doc))
    assert hosts == {EVIL}


def test_markers_are_changed_by_escaping_and_found_in_raw_payloads() -> None:
    assert all("<" in m or '="' in m for m in HOSTILE_MARKERS)
    everything = "\n".join(_view(raw) for _, raw in _messages())
    escaped = html.escape(everything)
    assert not [m for m in HOSTILE_MARKERS if m.lower() in escaped.lower()]
    present = {m for m in HOSTILE_MARKERS if m.lower() in everything.lower()}
    assert {"<script", "<iframe", "<object", "<embed", "<base ", "<meta http-equiv", ' onerror="'} <= present


def test_unsafe_markup_flags_payload_html_and_passes_escaped_text() -> None:
    flagged = 0
    for category in ("script", "event-handler", "javascript-url", "data-url", "css", "iframe", "external-image"):
        for name, raw in _by_category()[category]:
            for doc in _html_parts(raw):
                assert unsafe_markup(doc), name
                flagged += 1
    assert flagged >= 20
    for _, raw in _messages():
        page = f"<html><body><pre>{html.escape(_view(raw))}</pre></body></html>"
        assert unsafe_markup(page) == []
    assert unsafe_markup('<p><a href="https://evil.example/login">a link</a></p>') == []
    assert unsafe_markup('<a href="https://evil.example/" onclick="x()">a</a>')
