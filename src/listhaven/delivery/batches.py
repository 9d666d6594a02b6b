"""The delivery bookkeeping: claiming batches, recording each recipient's answer, finishing or
rescheduling a batch. The worker (outgoing.py) calls these between SMTP transactions.

Claims: SQLite has one writer (the connection begins IMMEDIATE, so the select-then-update of a claim
cannot interleave with another worker's); PostgreSQL rows are taken with ``FOR UPDATE SKIP LOCKED``,
so workers never wait on each other's batches.

Each copy is recorded as handed over in the sender's journal (`Journal`, a mapped file) just before the
final dot of its message is written (`Progress`), and committed to the database after the MTA's answer, on
a connection whose commits survive the death of the process without waiting for the disk (SQLite
``synchronous=NORMAL`` in WAL mode, PostgreSQL ``synchronous_commit=off``): a worker killed with -9
neither loses nor repeats a copy, but for a kill falling in the few bytecodes between the record and the
write of the dot; a machine losing power may forget the last few records and send those copies again
(RELIABILITY.md).
"""

from __future__ import annotations

import hashlib
import json
import logging
import mmap
import os
import socket
import struct
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from listhaven.lists.models import BounceEvent, DeliveryBatch

Answers = list[tuple[int, str]]  # one (code, text) per recipient of a transaction
log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
FIRST_RETRY = timedelta(minutes=5)
MAX_RETRY_DELAY = timedelta(hours=8)


def worker_name(pid: int | None = None) -> str:
    """``host:pid:nonce:space``: unique per process, and says where it runs. `space` names the set of
    processes whose ids this process can look up (`process_space`): two hosts, or two containers, that
    share a host name have different ones, so neither takes the other's live batches for a dead
    process's (`_alive`). `pid`: another process of this space (tests name a process that has ended)."""
    return f"{socket.gethostname()}:{os.getpid() if pid is None else pid}:{uuid.uuid4().hex[:8]}:{process_space()}"


_OWN_SPACE = uuid.uuid4().hex[:12]


def process_space() -> str:
    """Where a process id means one process: the machine's boot (Linux's boot_id, new at every boot, one
    per machine) and the PID namespace (one per container unless it shares its host's). Without /proc,
    a value of this process alone: its batches are then taken over only when their lease lapses."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return _OWN_SPACE
    return hashlib.sha256(f"{boot} {namespace}".encode()).hexdigest()[:12]


CHECKPOINT_EVERY = 200  # SQLite: commits of this worker between two WAL checkpoints of its own


def prepare_connection() -> None:
    """Commits that survive a killed process without an fsync each (see the module docstring).

    SQLite: no automatic checkpoint on this connection. SQLite runs one inside the COMMIT that takes the
    WAL past 1,000 pages, after the commit point: milliseconds of copying and fsync between the commit
    that hands a copy over and the write of its dot, the one place a kill must not find the worker. The
    worker checkpoints itself instead, between copies (`checkpoint`)."""
    connection.ensure_connection()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        elif connection.vendor == "postgresql":
            cursor.execute("SET synchronous_commit TO off")


def checkpoint() -> None:
    """SQLite: copy the WAL back into the database as far as readers allow (never waits for them)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")


def claim(worker: str, limit: int = 1, now: datetime | None = None) -> list[DeliveryBatch]:
    """Up to `limit` due batches, now leased to `worker` (oldest first). Batches leased to a worker
    process of this host that no longer exists are taken at once; others when their lease lapses."""
    now = now or timezone.now()
    with transaction.atomic():
        due = DeliveryBatch.objects.filter(state="queued", next_attempt_at__lte=now)
        free = Q(claimed_by="") | Q(lease_until__lt=now) | Q(claimed_by__startswith=f"{socket.gethostname()}:")
        candidates = due.filter(free).order_by("id").select_related("outgoing", "outgoing__mailing_list")
        if connection.vendor == "postgresql":
            candidates = candidates.select_for_update(skip_locked=True, of=("self",))
        taken: list[DeliveryBatch] = []
        for batch in candidates[: limit + 50]:
            if batch.claimed_by and batch.lease_until and batch.lease_until >= now and _alive(batch.claimed_by):
                continue
            if batch.claimed_by and not _alive(batch.claimed_by):
                recover(batch)
            if batch.awaiting:
                log.info("batch %s: %s copies were handed over (their final dot written) when %s stopped; "
                         "counted as sent", batch.pk, batch.awaiting, batch.claimed_by or "a worker")  # fmt: skip
            batch.claimed_by, batch.lease_until, batch.awaiting = worker, now + LEASE, 0
            batch.attempts += 1
            batch.first_attempt_at = batch.first_attempt_at or now
            batch.save(update_fields=["claimed_by", "lease_until", "awaiting", "attempts", "first_attempt_at",
                                      "done", "sent", "deferred"])  # fmt: skip
            taken.append(batch)
            if len(taken) >= limit:
                break
        return taken


def _alive(claimed_by: str) -> bool:
    """False only when the claim names a process of this host that is gone: one of this host name and of
    this process space (`worker_name`), whose id names no process here. A claim of a host that shares this
    one's name (another machine, a container) is alive until its lease lapses, whatever its id means here."""
    host, pid, _, space = (claimed_by.split(":") + ["", "", "", ""])[:4]
    if host != socket.gethostname() or space != process_space() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class Progress:
    """One claimed batch as the worker advances through it, in recipient order. The transport calls
    `handing_over` just before it writes a message's final dot (a commit: from then on the copy counts
    as handed over), `final` with the MTA's answer to that dot, `answered` for a transaction that ended
    without a message (recipients refused, or no copy could be made). Raises LeaseLost when another
    worker took the batch; the transport must then not write the dot."""

    batch: DeliveryBatch
    worker: str
    renew_at: datetime
    gate: Gate | None = None
    journal: Journal | None = None
    awaiting: list[str] = field(default_factory=list)  # handed over, answer to the dot not read yet
    commits: int = 0
    refused: bool = False  # the transaction handed over had recipients refused at RCPT, not committed yet
    bounces: list[tuple[str, int, str]] = field(default_factory=list)  # its 5xx ones, not committed yet

    @classmethod
    def start(cls, batch: DeliveryBatch, gate: Gate | None = None, journal: Journal | None = None) -> Progress:
        return cls(batch, batch.claimed_by, timezone.now() + LEASE / 2, gate, journal)

    def waiting(self) -> AbstractContextManager[object]:
        """Around a blocking wait for the MTA: opens the worker's gate to its other senders meanwhile."""
        return self.gate.opened() if self.gate else nullcontext()

    def handing_over(self, recipients: Sequence[str], answers: Answers) -> None:
        """The message for `recipients` is written but for its final dot; `answers` are their RCPT
        replies. Records them as handed over (the 2xx ones as sent) in the journal, the commit point, before
        the dot goes out; the database follows with the MTA's answer to the dot (`final`).

        Recipients refused at RCPT (a bulk transaction): their answers go into the journal with the copy
        (`Journal.write`), and into the database with the counts once the MTA has answered the dot: a 4xx
        retried later, a 5xx a bounce. Nothing of the transaction is committed before the dot, so a worker
        killed before it leaves the whole transaction to be sent again (the MTA dropped the message), and
        one killed after it leaves the journal, which the next worker reads (`recover`)."""
        accepted = [r for r, (code, _) in zip(recipients, answers, strict=True) if 200 <= code < 300]
        if self.journal is not None and timezone.now() >= self.renew_at:
            self._commit_slow([])  # the lease, with the counts before this copy: the journal alone records it
        self._advance(recipients, answers)
        self.batch.awaiting, self.awaiting = len(accepted), accepted
        if self.journal is None:
            self._commit_slow(answers_bounces(recipients, answers))  # also renews and checks the lease
            return
        refusals = []
        if len(accepted) < len(recipients):
            refusals = [(r, code, text) for r, (code, text) in zip(recipients, answers, strict=True)
                        if not 200 <= code < 300]  # fmt: skip
            self.refused, self.bounces = True, [refusal for refusal in refusals if refusal[1] >= 500]
        # The commit point: one store into the journal's mapping; the dot's send(2) comes next.
        self.journal.write(self.batch.pk, self.batch.done, self.batch.sent, refusals)

    def final(self, code: int, text: str) -> None:
        """The MTA's answer to the dot, for every recipient in `awaiting`: a 2xx confirms them (written
        with the next commit, or at once with the refusals of the transaction); anything else takes them
        back from `sent` and is recorded at once. Between a dot and the next commit, the worker's own
        checkpoints are due here."""
        awaiting, self.awaiting = self.awaiting, []
        bounces, refused, self.bounces, self.refused = self.bounces, self.refused, [], False
        self.batch.awaiting = 0
        self.commits += 1
        if self.commits % CHECKPOINT_EVERY == 0:
            checkpoint()
        if 200 <= code < 300 or not awaiting:
            if refused:
                self._commit_slow(bounces)  # the counts, the 4xx recipients and the bounces together
            elif self.journal is not None:
                self._commit_fast()  # the journal said it first; now the database agrees
            return
        batch = self.batch
        batch.sent -= len(awaiting)
        if 400 <= code < 500:
            batch.deferred = [*batch.deferred, *awaiting]
        else:
            bounces = [*bounces, *((r, code, text) for r in awaiting)]
        self._commit_slow(bounces)

    def answered(self, recipients: Sequence[str], answers: Answers) -> None:
        """A transaction that ended without a message: every recipient has its final answer."""
        self._advance(recipients, answers)
        self._commit_slow(answers_bounces(recipients, answers))

    def settle_unread(self) -> None:
        """The session broke after a dot whose answer never came: the MTA's doing, not a kill, so the
        copies go back to be sent again (RFC 5321 6.1 prefers a duplicate to a loss)."""
        if self.awaiting:
            self.batch.sent -= len(self.awaiting)
            self.batch.deferred = [*self.batch.deferred, *self.awaiting]
            self.batch.awaiting, self.awaiting = 0, []
        self.refused = False  # its refusals stand (they were answers to RCPT): `release` commits them

    def _advance(self, recipients: Sequence[str], answers: Answers) -> None:
        batch = self.batch
        batch.done += len(recipients)
        batch.sent += sum(1 for code, _ in answers if 200 <= code < 300)
        deferred = [r for r, (code, _) in zip(recipients, answers, strict=True) if 400 <= code < 500]
        if deferred:
            batch.deferred = [*batch.deferred, *deferred]

    def _commit_fast(self) -> None:
        """The common commit (counts only) as one UPDATE straight on the driver's cursor in autocommit:
        the least work between the commit and the dot that follows it."""
        batch = self.batch
        if timezone.now() >= self.renew_at:
            return self._commit_slow([])
        cursor = connection.connection.cursor()
        cursor.execute(_fast_sql(connection.vendor), (batch.done, batch.sent, batch.awaiting, batch.pk, self.worker))
        if cursor.rowcount != 1:
            raise LeaseLost(f"batch {batch.pk} is no longer claimed by {self.worker}")
        return None

    def _commit_slow(self, bounces: list[tuple[str, int, str]]) -> None:
        """Counts, deferred recipients, the lease and bounces in one transaction."""
        batch = self.batch
        fields = {"done": batch.done, "sent": batch.sent, "awaiting": batch.awaiting, "deferred": batch.deferred}
        if timezone.now() >= self.renew_at:
            batch.lease_until = fields["lease_until"] = timezone.now() + LEASE
            self.renew_at = timezone.now() + LEASE / 2
        with transaction.atomic():
            updated = DeliveryBatch.objects.filter(pk=batch.pk, claimed_by=self.worker).update(**fields)
            if updated != 1:
                raise LeaseLost(f"batch {batch.pk} is no longer claimed by {self.worker}")
            record_bounces(batch, bounces)


_FAST_SQL: dict[str, str] = {}


def _fast_sql(vendor: str) -> str:
    if vendor not in _FAST_SQL:
        mark = "?" if vendor == "sqlite" else "%s"
        _FAST_SQL[vendor] = (f"UPDATE {DeliveryBatch._meta.db_table} SET done = {mark}, sent = {mark}, "
                             f"awaiting = {mark} WHERE id = {mark} AND claimed_by = {mark}")  # fmt: skip
    return _FAST_SQL[vendor]


class Journal:
    """A sender thread's record of the copy it hands over: the batch and its counters (``done``, ``sent``)
    with that copy counted, in ``DATA_DIR/run/journal-PID-NONCE-SPACE``, a small file mapped into the worker's
    memory (``mmap``, shared). Recording a copy is one aligned 8-byte store into that mapping: no system
    call, no release of the interpreter lock, nothing that can sleep, between the record and the system
    call that writes the dot; the store survives the death of the process (it is in the page cache). The
    database follows after the MTA's answer; a worker that takes over the batch of a dead worker of this
    host reads its journal (`recover`) for the copy the database has not caught up with. Emptied when a
    batch ends, removed when the worker stops.

    Recipients refused at RCPT in the transaction of that copy (a bulk copy) are written first, beside it:
    ``refused-PID-NONCE-SPACE``, one JSON document naming the record it belongs to (batch, done, sent) and each
    refused recipient's answer (4xx: retried later; 5xx: a bounce). It is written with write(2) before
    the record's store, so a worker killed in between has not written the dot either (the transaction is
    sent again, refusals and all), and a worker that reads a record reads its refusals; a document naming
    another record than the journal's is an old one, ignored.

    Layout: 8 bytes of magic, then two native 64-bit words: the batch (0: none), and ``done << 32 | sent``.
    The file used to be appended lines ``BATCH DONE SENT`` written with write(2), which returns only after
    the line is visible and may sleep on the way out (and hands the interpreter lock to another thread):
    a worker killed there had recorded a copy whose dot it never wrote (RELIABILITY.md)."""

    def __init__(self, worker: str) -> None:
        self.path = journal_path(worker)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, JOURNAL_MAGIC + bytes(16))  # the blocks exist before the first store
            self.map = mmap.mmap(fd, JOURNAL_SIZE)
        finally:
            os.close(fd)
        self.words = memoryview(self.map).cast("Q")
        self.batch = 0
        self.refused_path = refused_path(worker)
        self.refused_fd = -1

    def write(self, batch: int, done: int, sent: int, refusals: Sequence[tuple[str, int, str]] = ()) -> None:
        """Records the copy (the caller writes its dot next), with the answers of the transaction's refused
        recipients, if any, written before. The last statement is the commit: one store."""
        counts = done << 32 | sent
        if refusals:
            self._write_refusals(batch, done, sent, refusals)
        if batch != self.batch:  # a new batch: its counters first, then its number, which commits them
            self.words[1] = 0
            self.words[2] = counts
            self.batch = batch
            self.words[1] = batch
        else:
            self.words[2] = counts

    def _write_refusals(self, batch: int, done: int, sent: int, refusals: Sequence[tuple[str, int, str]]) -> None:
        """One pwrite(2) of the whole document, a line of its own (JSON escapes line breaks), then the file
        cut to its length: a process killed between the two leaves the new line first, which is read."""
        document = json.dumps({"record": [batch, done, sent],
                               "refused": [[address, code, text[:REFUSAL_TEXT]] for address, code, text in refusals]},
                              ensure_ascii=False).encode()  # fmt: skip
        if self.refused_fd < 0:
            self.refused_fd = os.open(self.refused_path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        os.pwrite(self.refused_fd, document + b"\n", 0)
        os.ftruncate(self.refused_fd, len(document) + 1)

    def empty(self) -> None:
        self.words[1] = 0
        self.batch = 0

    def close(self) -> None:
        self.words.release()
        self.map.close()
        self.path.unlink(missing_ok=True)
        if self.refused_fd >= 0:
            os.close(self.refused_fd)
            self.refused_fd = -1
        self.refused_path.unlink(missing_ok=True)


JOURNAL_MAGIC = b"LHJRNL1\n"
REFUSAL_TEXT = 1000  # characters of each refused recipient's answer kept in the journal
JOURNAL_SIZE = len(JOURNAL_MAGIC) + 16


def read_journal(data: bytes) -> tuple[int, int, int] | None:
    """(batch, done, sent) a journal's bytes record, or None. Reads the appended lines of earlier
    versions too (the last line), so a worker killed before an upgrade is recovered after it."""
    if data.startswith(JOURNAL_MAGIC) and len(data) >= JOURNAL_SIZE:
        batch, counts = struct.unpack_from("=QQ", data, len(JOURNAL_MAGIC))
        return (batch, counts >> 32, counts & 0xFFFFFFFF) if batch else None
    fields = data.splitlines()[-1].split() if data.strip() else []
    if len(fields) == 3 and all(f.isdigit() for f in fields):
        return int(fields[0]), int(fields[1]), int(fields[2])
    return None


def journal_path(worker: str) -> Path:
    _, _, rest = worker.partition(":")
    return Path(settings.DATA_DIR) / "run" / f"journal-{rest.replace(':', '-')}"


def refused_path(worker: str) -> Path:
    """Where the journal of `worker` keeps the refusals of the transaction it recorded last."""
    path = journal_path(worker)
    return path.with_name("refused-" + path.name.removeprefix("journal-"))


def read_refusals(data: bytes, record: tuple[int, int, int]) -> list[tuple[str, int, str]]:
    """The refused recipients (address, code, text) the document `data` holds for `record` (batch, done,
    sent); none when it belongs to another record (or is not whole)."""
    try:
        document = json.loads(data.partition(b"\n")[0])
        if tuple(document["record"]) != record:
            return []
        return [(str(address), int(code), str(text)) for address, code, text in document["refused"]]
    except (ValueError, TypeError, KeyError):
        return []


def recover(batch: DeliveryBatch) -> None:
    """The batch was leased to a worker of this host that is gone: its journal counts the copy it handed
    over after the database's last record of it (killed between a dot and the commit of its answer).
    Without a journal (another host), the database's count stands. Called inside the claim's transaction."""
    path, refused = journal_path(batch.claimed_by), refused_path(batch.claimed_by)
    try:
        record = read_journal(path.read_bytes())
    except OSError:
        record = None
    if record is not None and record[0] == batch.pk:
        _, done, sent = record
        if batch.done < done <= len(batch.recipients) and sent <= done:
            log.info("batch %s: the journal of %s counts %s more copies handed over", batch.pk,
                     batch.claimed_by, done - batch.done)  # fmt: skip
            try:
                refusals = read_refusals(refused.read_bytes(), record)
            except OSError:
                refusals = []
            ahead = set(batch.recipients[batch.done : done])
            refusals = [refusal for refusal in refusals if refusal[0] in ahead]
            batch.done, batch.sent = done, sent
            batch.deferred = [*batch.deferred, *(address for address, code, _ in refusals if code < 500)]
            record_bounces(batch, [refusal for refusal in refusals if refusal[1] >= 500])
    # Removed once the claim that took the count over has committed: a claim that fails, or whose worker is
    # killed before its commit, leaves the journal to the next claim (else that copy would be sent again).
    transaction.on_commit(lambda: (path.unlink(missing_ok=True), refused.unlink(missing_ok=True)))


class Gate:
    """One per worker process, shared by its sender threads: a sender holds it whenever it runs Python
    and opens it only while it waits for the MTA or the clock. It does not stop a thread whose wait has
    ended from taking the interpreter lock whenever the holder lets it go, before that thread gets back to
    the gate: so nothing between a copy's record and its dot may let the lock go (Journal, and the blocking
    socket in transport.py; RELIABILITY.md)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def __enter__(self) -> Gate:
        self._lock.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self._lock.release()

    @contextmanager
    def opened(self) -> Iterator[None]:
        self._lock.release()
        try:
            yield
        finally:
            self._lock.acquire()


def record_bounces(batch: DeliveryBatch, bounces: Sequence[tuple[str, int, str]]) -> None:
    """The MTA's 5xx answers (address, code, text) as bounces of the batch's list (the site's own mail has
    no list to score)."""
    if bounces and batch.outgoing.mailing_list_id is not None:
        BounceEvent.objects.bulk_create(
            BounceEvent(mailing_list_id=batch.outgoing.mailing_list_id, address=address, source="smtp",
                        code=code, text=text[:2000], outgoing_id=batch.outgoing_id)
            for address, code, text in bounces
        )  # fmt: skip


def answers_bounces(recipients: Sequence[str], answers: Answers) -> list[tuple[str, int, str]]:
    return [(r, code, text) for r, (code, text) in zip(recipients, answers, strict=True) if code >= 500]


class LeaseLost(Exception):
    """Another worker took the batch (this one's lease lapsed): stop sending it."""


def finish(progress: Progress) -> None:
    """Every recipient answered: the batch is sent; 4xx recipients go to a new batch, retried later."""
    batch = progress.batch
    now = timezone.now()
    with transaction.atomic():
        if batch.deferred:
            _retry_later(batch, batch.deferred, now, "temporary failure for some recipients")
        updated = DeliveryBatch.objects.filter(pk=batch.pk, claimed_by=progress.worker).update(
            state="sent", finished_at=now, claimed_by="", lease_until=None, done=batch.done, sent=batch.sent,
            awaiting=0, deferred=batch.deferred)
        if updated != 1:
            raise LeaseLost(f"batch {batch.pk} is no longer claimed by {progress.worker}")
    if progress.journal is not None:
        progress.journal.empty()
    checkpoint()


def pause(progress: Progress) -> None:
    """The worker is stopping (SIGTERM) with recipients left: every answer read is recorded and the
    batch is free for the next worker at once, from its first recipient not handed over."""
    batch = progress.batch
    DeliveryBatch.objects.filter(pk=batch.pk, claimed_by=progress.worker).update(
        claimed_by="", lease_until=None, done=batch.done, sent=batch.sent, awaiting=0, deferred=batch.deferred)
    if progress.journal is not None:
        progress.journal.empty()


def release(progress: Progress, error: str) -> None:
    """The MTA could not be reached or refused the session (4xx): the batch waits and is tried again
    from `done`, or fails when it has been trying for longer than DELIVERY_RETRY_DAYS."""
    progress.settle_unread()
    batch = progress.batch
    now = timezone.now()
    counts = {"done": batch.done, "sent": batch.sent, "awaiting": 0, "deferred": batch.deferred}
    with transaction.atomic():
        if _expired(batch, now):
            expire(batch, [*batch.deferred, *batch.recipients[batch.done :]], error)
            fields = {"state": "failed", "finished_at": now}
        else:
            fields = {"next_attempt_at": now + retry_delay(batch.attempts)}
        updated = DeliveryBatch.objects.filter(pk=batch.pk, claimed_by=progress.worker).update(
            claimed_by="", lease_until=None, last_error=error[:2000], **counts, **fields)
        if updated and progress.bounces:
            record_bounces(batch, progress.bounces)
    progress.bounces = []
    if progress.journal is not None:
        progress.journal.empty()  # the copy whose answer never came is sent again, not recovered


def _retry_later(batch: DeliveryBatch, recipients: list[str], now: datetime, error: str) -> None:
    if _expired(batch, now):
        expire(batch, recipients, error)
        return
    DeliveryBatch.objects.create(
        outgoing_id=batch.outgoing_id, recipients=recipients, attempts=batch.attempts,
        first_attempt_at=batch.first_attempt_at, next_attempt_at=now + retry_delay(batch.attempts),
        last_error=error,
    )  # fmt: skip


def _expired(batch: DeliveryBatch, now: datetime) -> bool:
    started = batch.first_attempt_at or now
    return now - started >= timedelta(days=settings.DELIVERY_RETRY_DAYS)


def expire(batch: DeliveryBatch, recipients: list[str], error: str) -> None:
    if batch.outgoing.mailing_list_id is None:  # the site's own mail: no list scores its bounces
        return
    BounceEvent.objects.bulk_create(
        BounceEvent(mailing_list_id=batch.outgoing.mailing_list_id, address=address, source="expired",
                    text=error[:2000], outgoing_id=batch.outgoing_id)
        for address in recipients
    )  # fmt: skip


def retry_delay(attempts: int) -> timedelta:
    """5 minutes after the first attempt, doubling, at most 8 hours apart."""
    return min(FIRST_RETRY * (2 ** max(0, attempts - 1)), MAX_RETRY_DELAY)
