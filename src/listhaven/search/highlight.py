"""Snippets of search hits: a window of the text around the first match, HTML-escaped, with the
matched words wrapped in ``<mark>``, the only markup left unescaped. Addresses are obfuscated
(``user at example.com``) when the list asks for it.

Matching follows the index's tokenizer closely enough for display: letters and digits make words,
case and accents are ignored, ``*`` matches the rest of a word.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from html import escape

from listhaven.mail.presenter import Presenter
from listhaven.search.query import Text

SNIPPET_CHARS = 240
_LEAD = 70
_SPACE = re.compile(r"\s+")


def _fold_char(ch: str) -> str:
    base = unicodedata.normalize("NFD", ch)[0]
    low = base.lower()
    return low if len(low) == 1 else base


def fold(text: str) -> str:
    """Lower case without accents, one character for one, so positions carry over to the original."""
    return "".join(_fold_char(c) for c in text) if not text.isascii() else text.lower()


def term_pattern(terms: Sequence[Text]) -> re.Pattern[str] | None:
    """One regex for all the terms, over folded text."""
    alternatives = []
    for term in terms:
        words = [fold(w) for w in term.words()]
        if not words:
            continue
        body = r"[\W_]+".join(re.escape(w) for w in words)
        tail = r"[^\W_]*" if term.prefix else r"(?![^\W_])"
        alternatives.append(r"(?<![^\W_])" + body + tail)
    if not alternatives:
        return None
    # Longest first, so "memory leak" wins over "memory" where both match.
    alternatives.sort(key=len, reverse=True)
    return re.compile("|".join(alternatives))


def mark(text: str, pattern: re.Pattern[str] | None) -> str:
    """All of `text`, escaped, matches marked, runs of whitespace collapsed."""
    if pattern is None:
        return escape(_SPACE.sub(" ", text))
    out: list[str] = []
    last = 0
    for m in pattern.finditer(fold(text)):
        if m.end() == m.start():
            continue
        out.append(escape(_SPACE.sub(" ", text[last : m.start()])))
        out.append("<mark>" + escape(text[m.start() : m.end()]) + "</mark>")
        last = m.end()
    out.append(escape(_SPACE.sub(" ", text[last:])))
    return "".join(out)


def snippet(
    text: str, terms: Sequence[Text], *, present: Presenter, chars: int = SNIPPET_CHARS
) -> str:
    """A window of `text` around its first match (or its start), as safe HTML.

    The window is chosen on the text as written and passed to `present` afterwards: obfuscating a whole
    long body per hit would cost more than the rest of the search."""
    pattern = term_pattern(terms)
    first = pattern.search(fold(text)) if pattern is not None else None
    start = 0
    if first is not None and first.start() > _LEAD:
        start = text.rfind(" ", 0, first.start() - _LEAD) + 1
        start = start if first.start() - start < chars - 20 else first.start() - _LEAD
    end = min(len(text), start + chars)
    if end < len(text):
        cut = text.rfind(" ", start + chars // 2, end)
        end = cut if cut > 0 else end
    window = text[start:end].strip()
    body = mark(present.text(window), pattern)
    return ("… " if start > 0 else "") + body + (" …" if end < len(text) else "")


def highlight_line(text: str, terms: Sequence[Text], *, present: Presenter) -> str:
    """A short line (a subject) whole, escaped, matches marked."""
    return mark(present.text(text), term_pattern(terms))
