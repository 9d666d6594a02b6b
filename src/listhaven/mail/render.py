"""Message text → safe HTML fragments for the archive pages.

Pure and stdlib-only: the web layer marks the result safe because everything taken from the
message is escaped here. The body keeps its lines exactly (the page shows it with
``white-space: pre-wrap``) and is cut into blocks:

- plain text (``<div class="t">``);
- quoted text, one block per run of ``>`` lines, each line marked with its depth
  (``<span class="q q2">``); a run longer than `FOLD_QUOTE_LINES` shows its first
  `QUOTE_PREVIEW_LINES` lines and folds the rest in a ``<details>`` element, which opens
  without JavaScript;
- the signature after the last ``-- `` line (``<div class="sig">``), dimmed by the stylesheet.

Only ``http://`` and ``https://`` URLs become links (``rel="nofollow noopener"``); nothing else
does, so a ``javascript:`` or ``data:`` text can never be followed. Addresses in the text are
written ``user at example.com`` (Pipermail's obfuscation) when the `Presenter` obfuscates; addresses
inside a URL are left alone so the link still works.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from html import escape

from listhaven.mail.presenter import OBFUSCATING, Presenter

FOLD_QUOTE_LINES = 6
QUOTE_PREVIEW_LINES = 2
MAX_SIGNATURE_LINES = 20
MAX_QUOTE_CLASS = 4  # depth classes cycle colours; deeper quotes share the last one

_URL = re.compile(r"https?://[^\s<>\"'`\x00-\x1f\x7f]+", re.IGNORECASE)
_TRAILING_PUNCT = ".,;:!?*'\""
_CLOSERS = {")": "(", "]": "[", "}": "{"}
_QUOTE_PREFIX = re.compile(r"^[ \t]{0,3}(?:>[ \t]?)+")


def quote_depth(line: str) -> int:
    """How many ``>`` start the line (``> > x`` and ``>>x`` are both 2)."""
    match = _QUOTE_PREFIX.match(line)
    return match.group(0).count(">") if match else 0


def _split_url(candidate: str) -> tuple[str, str]:
    """A matched URL minus trailing punctuation that belongs to the sentence, not the link."""
    url = candidate
    while url:
        last = url[-1]
        unbalanced = last in _CLOSERS and url.count(last) > url.count(_CLOSERS[last])
        if not (last in _TRAILING_PUNCT or unbalanced):
            break
        url = url[:-1]
    return url, candidate[len(url) :]


def render_inline(text: str, present: Presenter = OBFUSCATING) -> str:
    """One piece of text as HTML: escaped, http(s) URLs linked, addresses obfuscated."""
    if "://" not in text:
        return _plain(text, present)
    out: list[str] = []
    pos = 0
    for match in _URL.finditer(text):
        url, rest = _split_url(match.group(0))
        if len(url) <= len(match.group(0).split("://", 1)[0]) + 3:  # a bare scheme
            continue
        out.append(_plain(text[pos : match.start()], present))
        href = escape(url, quote=True)
        out.append(f'<a href="{href}" rel="nofollow noopener">{escape(url, quote=False)}</a>')
        pos = match.start() + len(url)
        if rest:
            out.append(_plain(rest, present))
            pos += len(rest)
    out.append(_plain(text[pos:], present))
    return "".join(out)


def _plain(text: str, present: Presenter) -> str:
    text = present.text(text)
    return escape(text, quote=False)


@dataclass(frozen=True, slots=True)
class _Block:
    kind: str  # "text", "quote" or "sig"
    lines: list[str]
    depths: list[int]  # quote depth of each line (quotes only)


def _signature_start(lines: list[str]) -> int | None:
    """Index of the last ``-- `` separator when what follows is short enough to be a signature."""
    for index in range(len(lines) - 1, max(-1, len(lines) - MAX_SIGNATURE_LINES - 2), -1):
        if lines[index] in ("-- ", "--"):
            return index if index < len(lines) - 1 else None
    return None


def _depth(line: str) -> int:
    # Most lines are not quotes: skip the regex for them.
    return quote_depth(line) if line.lstrip(" \t")[:1] == ">" else 0


def _blocks(lines: list[str]) -> Iterator[_Block]:
    sig = _signature_start(lines)
    body = lines if sig is None else lines[:sig]
    current: list[str] = []
    depths: list[int] = []
    current_kind = ""
    for line in body:
        depth = _depth(line)
        kind = "quote" if depth else "text"
        if kind != current_kind and current:
            yield _Block(current_kind, current, depths)
            current, depths = [], []
        current_kind = kind
        current.append(line)
        depths.append(depth)
    if current:
        yield _Block(current_kind, current, depths)
    if sig is not None:
        yield _Block("sig", lines[sig:], [])


def _join(rendered: list[str]) -> str:
    # In a pre-wrap block a final newline adds no line, so a trailing blank line needs one more.
    joined = "\n".join(rendered)
    return joined + "\n" if rendered and rendered[-1] == "" else joined


def _quote_lines(lines: list[str], depths: list[int], present: Presenter) -> list[str]:
    # One pass over the whole block: rendering never adds or removes a newline.
    rendered = render_inline("\n".join(lines), present).split("\n")
    return [
        f'<span class="q q{min(depth, MAX_QUOTE_CLASS)}">{line}</span>' for line, depth in zip(rendered, depths)
    ]


def _render_quote(block: _Block, present: Presenter) -> str:
    lines = _quote_lines(block.lines, block.depths, present)
    if len(lines) <= FOLD_QUOTE_LINES:
        return f'<div class="quote">{_join(lines)}</div>'
    head, rest = lines[:QUOTE_PREVIEW_LINES], lines[QUOTE_PREVIEW_LINES:]
    return (
        f'<div class="quote">{_join(head)}</div>'
        f'<details class="quote-fold"><summary>{len(rest)} more quoted lines</summary>'
        f'<div class="quote">{_join(rest)}</div></details>'
    )


def render_body(text: str, present: Presenter = OBFUSCATING) -> str:
    """The whole body as an HTML fragment for a ``white-space: pre-wrap`` container."""
    text = text.replace("\x00", "\ufffd").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.rstrip("\n").split("\n")
    parts: list[str] = []
    for block in _blocks(lines):
        if block.kind == "quote":
            parts.append(_render_quote(block, present))
        else:
            css = "sig" if block.kind == "sig" else "t"
            inner = render_inline("\n".join(block.lines), present)
            if block.lines[-1] == "":
                inner += "\n"
            parts.append(f'<div class="{css}">{inner}</div>')
    return "".join(parts)
