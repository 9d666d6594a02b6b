"""Rendered message bodies, kept in a per-process LRU so popular threads cost no re-rendering.

The key is the body text itself (and the Presenter that shows its addresses), so a body changed by a
re-index can never be served stale. The cache is bounded by the characters it holds, not by
its entries: a few huge messages cannot blow the memory budget.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from listhaven.mail.presenter import Presenter
from listhaven.mail.render import render_body

MAX_CHARS = 24_000_000  # text + HTML kept, about 50-100 MB at worst per worker
MAX_ENTRY_CHARS = 200_000  # bigger bodies are rendered each time rather than evict many others


class _BodyCache:
    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars
        self.chars = 0
        self.entries: OrderedDict[tuple[Presenter, str], str] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, text: str, present: Presenter) -> str:
        key = (present, text)
        with self.lock:
            html = self.entries.get(key)
            if html is not None:
                self.entries.move_to_end(key)
                return html
        html = render_body(text, present)
        if len(text) <= MAX_ENTRY_CHARS:
            self._put(key, html)
        return html

    def _put(self, key: tuple[Presenter, str], html: str) -> None:
        size = len(key[1]) + len(html)
        with self.lock:
            if key in self.entries:
                return
            self.entries[key] = html
            self.chars += size
            while self.chars > self.max_chars and self.entries:
                (_, old_text), old_html = self.entries.popitem(last=False)
                self.chars -= len(old_text) + len(old_html)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.chars = 0


_cache = _BodyCache(MAX_CHARS)


def rendered_body(text: str, present: Presenter) -> str:
    """render_body(text) as `present` shows addresses, from the cache when this body was shown before."""
    return _cache.get(text or "", present)
