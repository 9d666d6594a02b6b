"""What a search returns: plain dataclasses, each with `to_dict()` for JSON (CLI, API)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class SearchHit:
    """One matching message. `subject_html` and `snippet_html` are escaped HTML whose only markup
    is ``<mark>`` around matched words; addresses in them are obfuscated when the list says so."""

    pk: int
    list_name: str
    public_id: str
    message_id: str
    subject: str
    subject_html: str
    author: str
    address: str
    date: datetime
    thread_id: str
    thread_size: int
    snippet_html: str
    score: float | None = None

    @property
    def url(self) -> str:
        return _reverse("message", list_name=self.list_name, message_hash=self.public_id)

    @property
    def thread_url(self) -> str:
        return _reverse("thread", list_name=self.list_name, thread_id=self.thread_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "list": self.list_name,
            "id": self.public_id,
            "message_id": self.message_id,
            "subject": self.subject,
            "author": self.author,
            "address": self.address,
            "date": self.date.isoformat(),
            "thread": self.thread_id,
            "thread_size": self.thread_size,
            "url": self.url,
            "subject_html": self.subject_html,
            "snippet_html": self.snippet_html,
            "score": self.score,
        }


@dataclass(frozen=True)
class ThreadHit:
    """A thread holding matches, with its best few matching messages."""

    list_name: str
    thread_id: str
    subject: str
    message_count: int
    first_date: datetime | None
    last_date: datetime | None
    matches: int
    hits: list[SearchHit] = field(default_factory=list)

    @property
    def url(self) -> str:
        return _reverse("thread", list_name=self.list_name, thread_id=self.thread_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "list": self.list_name,
            "thread": self.thread_id,
            "subject": self.subject,
            "message_count": self.message_count,
            "first_date": self.first_date.isoformat() if self.first_date else None,
            "last_date": self.last_date.isoformat() if self.last_date else None,
            "matches": self.matches,
            "url": self.url,
            "hits": [h.to_dict() for h in self.hits],
        }


@dataclass(frozen=True)
class SearchResults:
    """One page of results. `total` counts messages (threads when grouped); it is exact when
    `total_exact`, otherwise a lower bound ("more than ...")."""

    query: str
    sort: str
    group: str | None
    page: int
    per_page: int
    total: int
    total_exact: bool
    hits: list[SearchHit]
    threads: list[ThreadHit]

    @property
    def total_label(self) -> str:
        return f"{self.total:,}" if self.total_exact else f"more than {self.total:,}"

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages or (not self.total_exact and self.page * self.per_page < self.total + 1)

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "sort": self.sort,
            "group": self.group,
            "page": self.page,
            "per_page": self.per_page,
            "total": self.total,
            "total_exact": self.total_exact,
            "results": [t.to_dict() for t in self.threads] if self.group == "thread" else [h.to_dict() for h in self.hits],
        }


def _reverse(name: str, **kwargs: str) -> str:
    # Imported here: the command line's quick path builds results without Django (only JSON has URLs).
    from django.urls import reverse

    return reverse(name, kwargs=kwargs)
