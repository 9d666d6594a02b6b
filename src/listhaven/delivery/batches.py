"""The delivery bookkeeping: claiming batches, recording each recipient's answer, finishing or
rescheduling a batch. The worker (outgoing.py) calls these between SMTP transactions.

Claims: SQLite has one writer (the connection begins IMMEDIATE, so the select-then-update of a claim
cannot interleave with another worker's); PostgreSQL rows are taken with ``FOR UPDATE SKIP LOCKED``,
so workers never wait on each other's batches.

Answers are committed one transaction each, straight after the MTA's reply, on a connection whose
commits survive the death of the process without waiting for the disk (SQLite ``synchronous=NORMAL``
in WAL mode, PostgreSQL ``synchronous_commit=off``): a worker killed with -9 loses no record; a
machine losing power may forget the last few and send those copies again (RELIABILITY.md).
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from listhaven.lists.models import BounceEvent, DeliveryBatch

LEASE = timedelta(minutes=5)
FIRST_RETRY = timedelta(minutes=5)
MAX_RETRY_DELAY = timedelta(hours=8)


def worker_name() -> str:
    """``host:pid:nonce``: unique per process, and says where the process runs."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def prepare_connection() -> None:
    """Commits that survive a killed process without an fsync each (see the module docstring)."""
    connection.ensure_connection()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA synchronous=NORMAL")
        elif connection.vendor == "postgresql":
            cursor.execute("SET synchronous_commit TO off")


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
            batch.claimed_by, batch.lease_until = worker, now + LEASE
            batch.attempts += 1
            batch.first_attempt_at = batch.first_attempt_at or now
            batch.save(update_fields=["claimed_by", "lease_until", "attempts", "first_attempt_at"])
            taken.append(batch)
            if len(taken) >= limit:
                break
        return taken


def _alive(claimed_by: str) -> bool:
    """False only when the claim names a process of this host that is gone."""
    host, _, rest = claimed_by.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
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
    """One claimed batch as the worker advances through it; `record` commits each answer."""

    batch: DeliveryBatch
    worker: str
    renew_at: datetime

    @classmethod
    def start(cls, batch: DeliveryBatch) -> Progress:
        return cls(batch, batch.claimed_by, timezone.now() + LEASE / 2)

    def record(self, count: int, accepted: int, deferred: list[str] | None = None,
               bounces: list[tuple[str, int, str]] | None = None) -> None:
        """The next `count` recipients are answered: `accepted` of them with 250, `deferred` with 4xx,
        `bounces` (address, code, text) with 5xx. Raises LeaseLost when another worker took the batch."""
        batch = self.batch
        batch.done += count
        batch.sent += accepted
        fields = "done = %s, sent = %s"
        params: list[object] = [batch.done, batch.sent]
        if deferred:
            batch.deferred = [*batch.deferred, *deferred]
            fields += ", deferred = %s"
            params.append(_json(batch.deferred))
        if timezone.now() >= self.renew_at:
            batch.lease_until = timezone.now() + LEASE
            self.renew_at = timezone.now() + LEASE / 2
            fields += ", lease_until = %s"
            params.append(connection.ops.adapt_datetimefield_value(batch.lease_until))
        sql = f"UPDATE {DeliveryBatch._meta.db_table} SET {fields} WHERE id = %s AND claimed_by = %s"
        if bounces:
            with transaction.atomic():
                self._update(sql, [*params, batch.pk, self.worker])
                BounceEvent.objects.bulk_create(
                    BounceEvent(mailing_list_id=batch.outgoing.mailing_list_id, address=address, source="smtp",
                                code=code, text=text[:2000], outgoing_id=batch.outgoing_id)
                    for address, code, text in bounces
                )  # fmt: skip
        else:
            self._update(sql, [*params, batch.pk, self.worker])

    def _update(self, sql: str, params: list[object]) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            if cursor.rowcount != 1:
                raise LeaseLost(f"batch {self.batch.pk} is no longer claimed by {self.worker}")


class LeaseLost(Exception):
    """Another worker took the batch (this one's lease lapsed): stop sending it."""


def _json(value: object) -> str:
    import json

    return json.dumps(value)


def finish(progress: Progress) -> None:
    """Every recipient answered: the batch is sent; 4xx recipients go to a new batch, retried later."""
    batch = progress.batch
    now = timezone.now()
    with transaction.atomic():
        if batch.deferred:
            _retry_later(batch, batch.deferred, now, "temporary failure for some recipients")
        updated = DeliveryBatch.objects.filter(pk=batch.pk, claimed_by=progress.worker).update(
            state="sent", finished_at=now, claimed_by="", lease_until=None)
        if updated != 1:
            raise LeaseLost(f"batch {batch.pk} is no longer claimed by {progress.worker}")


def release(progress: Progress, error: str) -> None:
    """The MTA could not be reached or refused the session (4xx): the batch waits and is tried again
    from `done`, or fails when it has been trying for longer than DELIVERY_RETRY_DAYS."""
    batch = progress.batch
    now = timezone.now()
    with transaction.atomic():
        if _expired(batch, now):
            expire(batch, batch.recipients[batch.done :], error)
            fields = {"state": "failed", "finished_at": now}
        else:
            fields = {"next_attempt_at": now + retry_delay(batch.attempts)}
        DeliveryBatch.objects.filter(pk=batch.pk, claimed_by=progress.worker).update(
            claimed_by="", lease_until=None, last_error=error[:2000], **fields)


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
    BounceEvent.objects.bulk_create(
        BounceEvent(mailing_list_id=batch.outgoing.mailing_list_id, address=address, source="expired",
                    text=error[:2000], outgoing_id=batch.outgoing_id)
        for address in recipients
    )  # fmt: skip


def retry_delay(attempts: int) -> timedelta:
    """5 minutes after the first attempt, doubling, at most 8 hours apart."""
    return min(FIRST_RETRY * (2 ** max(0, attempts - 1)), MAX_RETRY_DELAY)
