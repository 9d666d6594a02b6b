"""Importing a source (mbox, Maildir, Pipermail text, stdin) into a list, resumably.

Parsing runs in worker processes (it is pure and CPU-bound); the main process stores batches.
Each batch commits with the import's progress, so a run killed at any moment resumes where
the last commit left it and ends with the counts of an uninterrupted run.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import queue
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.db import close_old_connections

from listhaven.archive.ingest import ImportOutcome, Parsed, Unparsed, store_batch
from listhaven.archive.models import ImportRun, StoreIdentity
from listhaven.archive.wire import Wire, pack, unpack
from listhaven.mail.message import SourceMessage, UnparseableMessage
from listhaven.mail.parse import ParseLimits, parse_message
from listhaven.mail.sources import describe_source, open_source, source_kind

if TYPE_CHECKING:
    from listhaven.lists.models import MailingList

ProgressCallback = Callable[[int], None]
_READ_AHEAD = 2000  # parsed messages that may wait for the importing process, over all parsers
_CHUNK = 16  # messages a parser sends at a time
# A parser compresses the raw bytes itself while at least this share of its read-ahead is waiting for
# the importing process; below it, the importing process compresses them (see _parse_share).
_COMPRESS_AHEAD = 0.5
# Allocations between two collections of the garbage collector's youngest generation during an import,
# here and in the parser processes forked from here (Python's default: 700).
_GC_YOUNG = 50_000
# Seconds a parser's parsing thread holds the interpreter lock while its sending thread waits for it.
_SWITCH_INTERVAL = 0.0001


@dataclass
class ImportSummary:
    source: str
    read: int
    stored: int
    duplicates: int
    quarantined: int
    seconds: float
    resumed_from: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "read": self.read,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined,
            "seconds": round(self.seconds, 2),
            "resumed_from": self.resumed_from,
        }


def limits() -> ParseLimits:
    return ParseLimits(max_bytes=settings.MAX_MESSAGE_BYTES, max_parts=settings.MAX_MIME_PARTS)


def id_domain() -> str:
    """The domain of the ids this store derives for messages without a Message-ID (see StoreIdentity)."""
    return StoreIdentity.current_derived_id_domain()


def parse_one(
    source: SourceMessage, parse_limits: ParseLimits | None = None, derived_id_domain: str | None = None,
    compressed: bool = True,
) -> Parsed | Unparsed:
    """Parses one message; never raises: what cannot be parsed carries its reason to quarantine.

    Callers parsing many messages pass `derived_id_domain` (asked once of `id_domain()`); without it, this asks
    the database (so not in a parser process). `compressed` false leaves the compression of the raw
    bytes to the ingest."""
    try:
        domain = derived_id_domain or id_domain()
        return Parsed.prepare(source, parse_message(source, parse_limits or limits(), domain), compressed)
    except UnparseableMessage as exc:
        return Unparsed(source, exc.reason)
    except Exception as exc:  # noqa: BLE001 - a parser bug must not lose the message: quarantine it with the cause
        return Unparsed(source, f"parser error: {type(exc).__name__}: {exc}")


def import_path(
    mlist: MailingList,
    path: str,
    on_progress: ProgressCallback | None = None,
    workers: int | None = None,
) -> ImportSummary:
    """Imports every message of one source; resumes an interrupted import of the same source."""
    started = time.monotonic()
    run, skip = _start_or_resume(mlist, path)
    batch_size = settings.IMPORT_BATCH_SIZE
    sources = open_source(path, skip=skip) if skip else open_source(path)
    # Pipermail's text archives hold copies (addresses obfuscated, attachments scrubbed) of messages
    # a list moved with its mbox has already: a Message-ID already here is the same message.
    copies_before = run.started_at if source_kind(path) == "pipermail" else None
    if on_progress and skip:
        on_progress(skip)
    stream = _parse_stream(sources, workers)
    # What exists now (Django, the models, the code: about 100,000 objects) lives as long
    # as the import: the garbage collector's full passes need not walk it again each time, here or
    # in the parser processes forked from here (those passes took about 0.1-0.2 CPU s of the writer
    # per 10,000 ltp messages). The young generation is collected every _GC_YOUNG allocations instead of
    # Python's 700: a batch allocates a few hundred thousand short-lived, acyclic objects
    # (parsed messages, rows), which reference counting frees; the collector only walked them.
    gc.freeze()
    thresholds = gc.get_threshold()
    gc.set_threshold(_GC_YOUNG, *thresholds[1:])
    try:
        for parsed_batch in _batched(stream, batch_size):
            _batch_commits(durable=False)  # the parser pool's start closes the connection: asked each batch
            store_batch(mlist, parsed_batch, progress=run, copies_before=copies_before)
            if on_progress:
                on_progress(len(parsed_batch))
    finally:
        stream.close()  # stops the parser processes now, not at interpreter exit, when a batch fails
        gc.set_threshold(*thresholds)
        gc.unfreeze()
        _batch_commits(durable=True)
    _settle_search_index()
    run.refresh_from_db()
    run.completed = True
    run.seconds += time.monotonic() - started
    run.save(update_fields=["completed", "seconds", "updated_at"])
    return ImportSummary(
        source=path,
        read=run.position,
        stored=run.stored,
        duplicates=run.duplicates,
        quarantined=run.quarantined,
        seconds=time.monotonic() - started,
        resumed_from=skip,
    )


def _settle_search_index() -> None:
    """After a bulk load, brings the search index to the shape searches want (PostgreSQL: the GIN
    index's pending entries merged into it, which every search otherwise reads through, and the
    tables' statistics refreshed). Counted in the import's time."""
    from django.db import connection

    from listhaven.search.backends import backend_for

    with connection.cursor() as cursor:
        backend_for(connection).settle(cursor)


def _batch_commits(durable: bool) -> None:
    """Whether a commit waits for the disk. An import's batches do not; the commit that completes
    the import, made after this is called again with `durable=True`, waits for itself and every
    batch before it (SQLite: a WAL sync covers every frame before it; PostgreSQL: a synchronous
    commit waits for the log up to its own record).

    An import acknowledges nothing per message: each batch commits with the import's position, so a
    killed process loses nothing (the operating system has its writes), and a machine losing power
    keeps a consistent store (SQLite in WAL mode with synchronous=NORMAL, PostgreSQL with
    synchronous_commit off) that lacks at most the last batches, which a rerun imports again. Measured
    on ltp under load, a per-batch fsync cost about a tenth of the import's wall time.

    SQLite also checkpoints less often during an import: a checkpoint copies the WAL into the database
    and fsyncs both, and SQLite's default (once the WAL holds 1,000 pages, 4 MB) made one after every
    batch. The import's connection lets up to _IMPORT_CHECKPOINT_PAGES gather instead, and checkpoints
    what is left when it turns durable again (a crash before that leaves the committed batches in the
    WAL, which SQLite reads back on the next open, as after any crash)."""
    from django.db import DatabaseError, connection

    if connection.in_atomic_block:
        return  # a caller's transaction: its commit is the caller's business
    try:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("PRAGMA synchronous=FULL" if durable else "PRAGMA synchronous=NORMAL")
                pages = _SQLITE_CHECKPOINT_PAGES if durable else _IMPORT_CHECKPOINT_PAGES
                cursor.execute(f"PRAGMA wal_autocheckpoint={pages}")
                if durable:  # what the batches left in the WAL, now, not in the next writer's commit
                    cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
            elif connection.vendor == "postgresql":
                cursor.execute("SET synchronous_commit TO on" if durable else "SET synchronous_commit TO off")
    except DatabaseError:
        if not durable:
            raise
        connection.close()  # after a failed batch: the next connection starts durable (settings.py)


# WAL pages after which a commit checkpoints: SQLite's default, and during an import's batches (256 MB
# at 4 KB pages: a few checkpoints for the ltp archive's 35,000 messages instead of one per batch).
_SQLITE_CHECKPOINT_PAGES = 1000
_IMPORT_CHECKPOINT_PAGES = 65536


def _start_or_resume(mlist: MailingList, path: str) -> tuple[ImportRun, int]:
    fingerprint = describe_source(path).fingerprint if path != "-" else ""
    if fingerprint:
        unfinished = (
            ImportRun.objects.filter(mailing_list=mlist, fingerprint=fingerprint, completed=False)
            .order_by("-pk")
            .first()
        )
        if unfinished is not None:
            return unfinished, unfinished.position
    return ImportRun.objects.create(mailing_list=mlist, fingerprint=fingerprint, source=str(path)), 0


def _parse_stream(sources: Iterator[SourceMessage], workers: int | None) -> Iterator[Parsed | Unparsed]:
    """The parsed messages of `sources`, in order.

    With workers, each parser process reads the source itself (it is forked with the unstarted reader)
    and parses every `workers`-th message; the results cross back as flat tuples (`archive.wire`), so
    this process, which writes the database, neither reads the source nor pickles messages to send."""
    workers = _worker_count(workers)
    domain = id_domain()
    if workers == 0:
        parse_limits = limits()
        for source in sources:
            yield parse_one(source, parse_limits, domain)
        return
    # Forked workers must not share the parent's database connection, so it is closed before the fork;
    # except inside a caller's transaction, which closing would roll back on PostgreSQL: there the
    # workers leave it alone (they never touch the database and end by os._exit, which closes nothing).
    from django.db import connection, connections

    if not connection.in_atomic_block:
        close_old_connections()
        connections.close_all()
    context = multiprocessing.get_context("fork")
    parsers: list[tuple[Any, Any]] = []
    try:
        for share in range(workers):
            receiving, sending = context.Pipe(duplex=False)
            process = context.Process(
                target=_parse_share, args=(sources, domain, share, workers, sending), daemon=True,
                name=f"listhaven-parser-{share}",
            )
            process.start()
            sending.close()
            parsers.append((process, receiving))
        waiting: list[deque[Wire]] = [deque() for _ in parsers]
        index = 0
        while True:
            share = index % workers
            ready = waiting[share]
            if not ready:
                chunk = _receive(*parsers[share])
                if chunk is None:
                    # This parser has no message at `index`, so no parser has: all were read.
                    return
                ready.extend(chunk)
            yield unpack(ready.popleft())
            index += 1
    finally:
        # Also when the consumer stops early (a failed commit, a full disk): the parsers are
        # stopped now, whatever they hold, rather than at interpreter exit.
        for process, _ in parsers:
            if process.is_alive():
                process.terminate()
        for process, receiving in parsers:
            process.join()
            receiving.close()


def _receive(process: Any, receiving: Any) -> list[Wire] | None:
    """The next chunk of one parser; None at its end. An error in reading the source is raised here,
    in the order of the messages."""
    try:
        sent = pickle.loads(receiving.recv_bytes())
    except EOFError:
        process.join(5)
        raise RuntimeError(f"a parser process ended without finishing (exit code {process.exitcode})") from None
    if isinstance(sent, BaseException):
        raise sent
    return cast("list[Wire] | None", sent)


def _parse_share(sources: Iterator[SourceMessage], domain: str, share: int, shares: int, sending: Any) -> None:
    """In a parser process: reads every message of `sources` and parses every `shares`-th one from
    `share`, sending them in chunks, then None, or the exception that stopped the reading.

    A thread sends, so parsing goes on while the importing process stores a batch, up to
    _READ_AHEAD messages ahead of it in all; then the bounded queue makes the parser wait."""
    _worker_init()
    # The sending thread wakes for each chunk and must take the interpreter lock from the parsing thread,
    # which gives it up only every switch interval (5 ms by default): with ltp's 2,200 chunks the importing
    # process waited on the pipe for that hand-over about 2.5 s of an 11 s import, and twice as long when the
    # chunks were left uncompressed (a chunk then fills the pipe and the thread wakes again mid-chunk). A
    # short interval costs nothing while the sender sleeps: the parsing thread is asked to yield only when
    # another thread waits for the lock.
    sys.setswitchinterval(_SWITCH_INTERVAL)
    parse_limits = limits()
    outgoing: queue.Queue[bytes | None] = queue.Queue(maxsize=max(2, _READ_AHEAD // (_CHUNK * shares)))
    # Compressing the raw bytes is the one step either process can do (the ingest compresses what
    # comes uncompressed, to the same bytes). A parser well ahead of the importing process has time
    # to spare and compresses; one that the importing process is waiting for leaves it to that process.
    ahead = outgoing.maxsize * _COMPRESS_AHEAD

    def send() -> None:
        try:
            while (data := outgoing.get()) is not None:
                sending.send_bytes(data)
        except OSError:  # the importing process is gone or stopped reading: nothing to send to
            os._exit(1)

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    chunk: list[Wire] = []
    end: object = None
    try:
        for index, source in enumerate(sources):
            if index % shares != share:
                continue
            parsed = parse_one(source, parse_limits, domain, compressed=outgoing.qsize() >= ahead)
            chunk.append(pack(parsed))
            if len(chunk) >= _CHUNK:
                outgoing.put(pickle.dumps(chunk, pickle.HIGHEST_PROTOCOL))
                chunk = []
    except Exception as exc:  # noqa: BLE001 - the reading failed: the importing process raises it in turn
        end = exc
    if chunk:
        outgoing.put(pickle.dumps(chunk, pickle.HIGHEST_PROTOCOL))
    try:
        last = pickle.dumps(end, pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - an exception that cannot be pickled is sent as its text
        last = pickle.dumps(RuntimeError(f"{type(end).__name__}: {end}"), pickle.HIGHEST_PROTOCOL)
    outgoing.put(last)
    outgoing.put(None)
    sender.join()
    sending.close()


def _worker_init() -> None:
    import signal

    # Ctrl-C goes to the parent, which stops the parsers; they must not print tracebacks.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _worker_count(requested: int | None) -> int:
    """Parser processes: 0 parses in this process. By default one core is left to the process
    that writes the database, which is the slower half of an import."""
    if requested is None:
        configured = settings.IMPORT_WORKERS
        requested = configured if configured is not None else min(4, max(1, (os.cpu_count() or 1) - 1))
    return max(0, requested)


def _batched(items: Iterable[Parsed | Unparsed], size: int) -> Iterator[list[Parsed | Unparsed]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def import_bytes(mlist: MailingList, raw: bytes, origin: str = "stdin") -> tuple[ImportOutcome, Parsed | Unparsed]:
    """Stores one message (stdin, LMTP): what became of it, and the message (or why it did not parse)."""
    parsed = parse_one(SourceMessage(raw=raw, origin=origin))
    result = store_batch(mlist, [parsed])
    if result.stored:
        return ImportOutcome.STORED, parsed
    if result.duplicates:
        return ImportOutcome.DUPLICATE, parsed
    return ImportOutcome.QUARANTINED, parsed
