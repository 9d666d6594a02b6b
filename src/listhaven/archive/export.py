"""Streaming exports of a list's archive: mboxrd (optionally gzip) and Pipermail monthly text.

Everything here is a generator over the store read in primary-key chunks, so memory stays flat
whatever the size of the list: one chunk of compressed rows, one message, one gzip buffer.
Redacted messages are never exported. The HTTP views and the `listhaven export` command both
build on these functions; nothing here knows about requests.
"""

from __future__ import annotations

import re
import zlib
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from itertools import islice
from typing import TYPE_CHECKING, BinaryIO

import zstandard
from django.db import connection

from listhaven.archive.models import Message, RawMessage, Thread, visible_sql
from listhaven.archive.search import search_message_ids
from listhaven.mail.mboxwrite import build_from_line, write_mboxrd
from listhaven.mail.presenter import OBFUSCATING, Presenter

if TYPE_CHECKING:
    from listhaven.lists.models import MailingList

RawItem = tuple[bytes, str | None]
CHUNK = 500
_GZIP_FLUSH = 256 * 1024
_GZIP_INPUT = 1024 * 1024
# On mail, level 1 deflates ~135 MB/s here and level 6 ~65 MB/s for files 15% smaller (level 3: ~120 MB/s,
# 4% smaller than level 1). Measured on the ltp archive, level 1 keeps a whole-list export above 10,000
# messages/s on two cores, level 3 does not: speed wins, the download is streamed anyway.
GZIP_LEVEL = 1

PIPERMAIL_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


# ---------------------------------------------------------------- addresses shown outside the archive


def strip_control(text: str) -> str:
    """Text without the characters XML 1.0 cannot carry (C0 controls, surrogates, U+FFFE/F)."""
    return _XML_UNSAFE.sub("", text)


# ---------------------------------------------------------------- months


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """[start, end) of a calendar month in UTC; ValueError for a month outside 1..12 or year 1..9998."""
    if not (1 <= month <= 12 and 1 <= year <= 9998):
        raise ValueError(f"no such month: {year:04d}-{month:02d}")
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def parse_month(value: str) -> tuple[int, int]:
    """``YYYY-MM`` → (year, month); ValueError when malformed or out of range."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", value)
    if match is None:
        raise ValueError(f"not a month (YYYY-MM): {value!r}")
    year, month = int(match.group(1)), int(match.group(2))
    month_bounds(year, month)
    return year, month


def parse_pipermail_period(value: str) -> tuple[int, int]:
    """Pipermail's ``2014-August`` → (2014, 8); ValueError otherwise."""
    year, _, name = value.partition("-")
    if not (len(year) == 4 and year.isdigit()) or name not in PIPERMAIL_MONTHS:
        raise ValueError(f"not a Pipermail period (YYYY-Month): {value!r}")
    month = PIPERMAIL_MONTHS.index(name) + 1
    month_bounds(int(year), month)
    return int(year), month


def pipermail_period(year: int, month: int) -> str:
    return f"{year:04d}-{PIPERMAIL_MONTHS[month - 1]}"


# ---------------------------------------------------------------- which messages, in which order


def _exportable(mlist: MailingList):
    return Message.objects.visible().filter(mailing_list=mlist)


def month_message_pks(mlist: MailingList, year: int, month: int) -> list[int]:
    start, end = month_bounds(year, month)
    rows = _exportable(mlist).filter(date__gte=start, date__lt=end).order_by("date", "pk")
    return list(rows.values_list("pk", flat=True))


def list_message_pks(mlist: MailingList) -> list[int]:
    """Every exportable message of the list, by date."""
    return list(_exportable(mlist).order_by("date", "pk").values_list("pk", flat=True))


def thread_message_pks(thread: Thread) -> list[int]:
    rows = Message.objects.visible().filter(thread=thread).order_by("thread_order", "date", "pk")
    return list(rows.values_list("pk", flat=True))


def find_thread(mlist: MailingList, public_id: str) -> Thread | None:
    """A thread by its public id, or by the id of a thread since merged into it."""
    thread = Thread.objects.filter(mailing_list=mlist, public_id=public_id).first()
    if thread is None:
        thread = Thread.objects.filter(
            mailing_list=mlist, aliases__mailing_list=mlist, aliases__public_id=public_id
        ).first()
    return thread


def date_ordered(mlist: MailingList, pks: Iterable[int]) -> list[int]:
    """Message pks (e.g. search hits) restricted to this list's exportable ones, by date."""
    wanted = list(pks)
    found: list[tuple[datetime, int]] = []
    for start in range(0, len(wanted), CHUNK):
        part = _exportable(mlist).filter(pk__in=wanted[start : start + CHUNK])
        found.extend(part.values_list("date", "pk"))
    return [pk for _, pk in sorted(found)]


SEARCH_EXPORT_LIMIT = 10_000


def search_message_pks(mlist: MailingList, query: str, limit: int = SEARCH_EXPORT_LIMIT) -> list[int]:
    """The pks of the messages of `mlist` a search finds (web query language), by date.

    Raises ValueError (the search layer's QueryError) with a readable message for a bad query.
    """
    return date_ordered(mlist, search_pks(mlist, query, limit))


def search_pks(mlist: MailingList, query: str, limit: int) -> list[int]:
    """Message pks a search finds in `mlist` (the newest `limit` of them)."""
    return list(search_message_ids(mlist, query, limit=limit))


# ---------------------------------------------------------------- raw bytes out of the store


class _Decompressor:
    """One zstd decompressor for a whole export (creating one per message costs more than decoding)."""

    def __init__(self) -> None:
        self._dctx = zstandard.ZstdDecompressor()

    def __call__(self, data: bytes | memoryview) -> bytes:
        try:
            return self._dctx.decompress(data)
        except zstandard.ZstdError:  # a frame written without its content size
            return self._dctx.decompressobj().decompress(bytes(data))


def _from_line(stored: str, sender: str, date: datetime) -> str:
    return stored or build_from_line(sender, date)


def iter_list_raw(mlist: MailingList, chunk_size: int = CHUNK) -> Iterator[RawItem]:
    """Every exportable message of a list in archive (storage) order: (raw bytes, From_ line).

    Keyset pagination over the message pks: each chunk is one indexed range query and one
    primary-key lookup, so nothing is sorted or buffered beyond `chunk_size` rows (a single
    joined, ordered query makes SQLite sort every blob of the list in a temporary b-tree).
    Plain SQL: at tens of thousands of rows a second, the ORM's per-value work would dominate.
    """
    decompress = _Decompressor()
    messages, raws = Message._meta.db_table, RawMessage._meta.db_table
    meta_sql = (
        f"SELECT m.id, m.sender_email, m.date FROM {messages} m WHERE m.mailing_list_id = %s AND {visible_sql('m')} "
        "AND m.id > %s ORDER BY m.id LIMIT %s"
    )
    last = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(meta_sql, [mlist.pk, last, chunk_size])
            meta = cursor.fetchall()
            if not meta:
                return
            last = meta[-1][0]
            marks = ", ".join(["%s"] * len(meta))
            cursor.execute(
                f"SELECT message_id, data, from_line FROM {raws} WHERE message_id IN ({marks})", [m[0] for m in meta]
            )
            found = {pk: (data, line) for pk, data, line in cursor.fetchall()}
            for pk, sender, date in meta:
                if pk in found:
                    data, line = found.pop(pk)
                    yield decompress(data), line or build_from_line(sender, _as_datetime(date))


def _as_datetime(value: datetime | str) -> datetime:
    """A date column as the DB-API returns it: SQLite gives text, PostgreSQL a datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def iter_raw(pks: Sequence[int], chunk_size: int = CHUNK) -> Iterator[RawItem]:
    """The raw messages of `pks`, in that order, fetched `chunk_size` at a time."""
    decompress = _Decompressor()
    for start in range(0, len(pks), chunk_size):
        part = pks[start : start + chunk_size]
        rows = RawMessage.objects.filter(pk__in=part).values_list(
            "pk", "data", "from_line", "message__sender_email", "message__date"
        )
        by_pk = {pk: (data, line, sender, date) for pk, data, line, sender, date in rows}
        for pk in part:
            if pk in by_pk:
                data, line, sender, date = by_pk.pop(pk)
                yield decompress(data), _from_line(line, sender, date)


# ---------------------------------------------------------------- mboxrd, gzip


class _Sink:
    """A writable that collects bytes until taken; subclassed to compress them on the way."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self.pending = 0

    def write(self, data: bytes) -> int:
        self._parts.append(data)
        self.pending += len(data)
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        self.pending = 0
        return data

    def finish(self) -> bytes:
        return self.take()

    def close(self) -> None:
        self._parts.clear()


class _GzipSink(_Sink):
    """Compresses in one worker thread while the caller reads and escapes the next messages.

    zlib releases the GIL while it deflates, so reading the store and compressing overlap; with
    one worker the pieces stay in order. At most `_IN_FLIGHT` pieces wait, so memory stays flat.
    """

    _IN_FLIGHT = 4

    def __init__(self, level: int = GZIP_LEVEL, piece: int = _GZIP_INPUT) -> None:
        super().__init__()
        self._piece = piece
        self._zip = zlib.compressobj(level, zlib.DEFLATED, 31)
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="gzip")
        self._queued: deque[Future[bytes]] = deque()
        self._input: list[bytes] = []
        self._input_size = 0

    def write(self, data: bytes) -> int:
        self._input.append(data)
        self._input_size += len(data)
        if self._input_size >= self._piece:
            self._submit()
        return len(data)

    def _submit(self) -> None:
        data = b"".join(self._input)
        self._input.clear()
        self._input_size = 0
        self._queued.append(self._pool.submit(self._zip.compress, data))
        self._collect(block=len(self._queued) > self._IN_FLIGHT)

    def _collect(self, block: bool) -> None:
        while self._queued and (block or self._queued[0].done()):
            super().write(self._queued.popleft().result())
            block = False

    def finish(self) -> bytes:
        if self._input:
            self._submit()
        self._queued.append(self._pool.submit(self._zip.flush))
        while self._queued:
            self._collect(block=True)
        self._pool.shutdown()
        return self.take()

    def close(self) -> None:
        for future in self._queued:
            future.cancel()
        self._pool.shutdown(wait=True)
        super().close()


def _sink(gzip: bool, flush_bytes: int) -> _Sink:
    return _GzipSink(piece=min(_GZIP_INPUT, flush_bytes)) if gzip else _Sink()


def mbox_chunks(messages: Iterable[RawItem], gzip: bool = True, flush_bytes: int = _GZIP_FLUSH) -> Iterator[bytes]:
    """mboxrd bytes of `messages`, gzip-compressed unless told otherwise, in pieces of ~flush_bytes."""
    sink = _sink(gzip, flush_bytes)
    iterator = iter(messages)
    try:
        while batch := list(islice(iterator, 64)):
            write_mboxrd(batch, sink)  # type: ignore[arg-type]
            if sink.pending >= flush_bytes:
                yield sink.take()
        tail = sink.finish()
    finally:
        sink.close()  # also when the client went away mid-download
    if tail:
        yield tail


def write_mbox(messages: Iterable[RawItem], out: BinaryIO, gzip: bool = False) -> None:
    out.writelines(mbox_chunks(messages, gzip=gzip))


# ---------------------------------------------------------------- Pipermail monthly text


@dataclass(frozen=True, slots=True)
class _TextFields:
    sender_name: str
    sender_email: str
    date: datetime
    utc_offset: int
    subject: str
    in_reply_to: str
    references: str
    message_id: str
    body_text: str


_TEXT_FIELDS = (
    "sender_name", "sender_email", "date", "utc_offset", "subject",
    "in_reply_to", "references", "message_id", "body_text",
)  # fmt: skip
_ONE_LINE = re.compile(r"[\r\n]+\s*")


def _header_value(text: str) -> str:
    return _ONE_LINE.sub(" ", text).strip()


def _asctime(date: datetime) -> str:
    return build_from_line("-", date)[2:]


def pipermail_message_text(fields: _TextFields, present: Presenter = OBFUSCATING) -> str:
    """One message as Pipermail's monthly .txt held it: From_ line, a few headers, the body."""
    email = fields.sender_email or "unknown"
    shown = present.address(email)
    sender = f"{shown} ({_header_value(present.text(fields.sender_name))})" if fields.sender_name else shown
    local = fields.date.astimezone(timezone(timedelta(minutes=fields.utc_offset)))
    body = present.text(fields.body_text.replace("\r\n", "\n"))
    # Pipermail never escaped From_ in bodies; a reader must not take a body line for a separator.
    body = re.sub(r"(?m)^From ", ">From ", body)
    lines = [
        f"From {shown}  {_asctime(fields.date)}",
        f"From: {sender}",
        f"Date: {format_datetime(local)}",
        f"Subject: {_header_value(fields.subject)}",
    ]
    if fields.in_reply_to:
        lines.append(f"In-Reply-To: <{_header_value(fields.in_reply_to)}>")
    refs = [r for r in fields.references.split("\n") if r]
    if refs:
        lines.append("References: " + "\n\t".join(f"<{_header_value(r)}>" for r in refs))
    lines.append(f"Message-ID: <{_header_value(fields.message_id)}>")
    return "\n".join(lines) + "\n\n" + body.rstrip("\n") + "\n\n"


def iter_pipermail_text(mlist: MailingList, pks: Sequence[int], chunk_size: int = CHUNK) -> Iterator[str]:
    """The messages of `pks`, in that order, as Pipermail text; addresses obfuscated per the list."""
    present = Presenter.for_list(mlist)
    for start in range(0, len(pks), chunk_size):
        part = pks[start : start + chunk_size]
        rows = Message.objects.filter(pk__in=part, mailing_list=mlist).values_list("pk", *_TEXT_FIELDS)
        by_pk = {row[0]: row[1:] for row in rows}
        for pk in part:
            if pk in by_pk:
                yield pipermail_message_text(_TextFields(*by_pk.pop(pk)), present)


def pipermail_chunks(texts: Iterable[str], gzip: bool = True, flush_bytes: int = _GZIP_FLUSH) -> Iterator[bytes]:
    """Pipermail text encoded as UTF-8 (gzip unless told otherwise), in pieces of ~flush_bytes."""
    sink = _sink(gzip, flush_bytes)
    try:
        for text in texts:
            sink.write(text.encode("utf-8", "surrogateescape"))
            if sink.pending >= flush_bytes:
                yield sink.take()
        tail = sink.finish()
    finally:
        sink.close()
    if tail:
        yield tail
