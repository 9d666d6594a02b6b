"""The delivery worker (`listhaven worker`): claims batches of the outgoing queue and hands their
copies to the MTA, recording each as handed over just before its final dot goes out; runs the timed
jobs between batches.

Exactly once, as far as a process can make it: a copy is committed as handed over before the dot that
makes the MTA take it, so a worker killed at any moment resumes after the copies the MTA has and at the
first it has not (transport.py; RELIABILITY.md gives the few bytecodes that remain).
Stopping (SIGTERM, Ctrl-C): the copy in hand is finished, its answer recorded, the batch left free.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence

from django.conf import settings

from listhaven.delivery.batches import (
    Gate,
    Journal,
    LeaseLost,
    Progress,
    claim,
    finish,
    pause,
    prepare_connection,
    release,
    worker_name,
)
from listhaven.delivery.copies import CopyMaker
from listhaven.delivery.schedule import Scheduler
from listhaven.delivery.transport import MaildirTransport, SessionError, SmtpTransport, Transaction, Transport
from listhaven.lists.doorbell import Doorbell
from listhaven.lists.models import DeliveryBatch

log = logging.getLogger(__name__)


def default_transport() -> Transport:
    """SMTP to LISTHAVEN_SMTP_HOST:PORT, or the outbox Maildir when no host is set."""
    if not settings.SMTP_HOST:
        from listhaven.delivery.outbox import outbox_dir

        return MaildirTransport(outbox_dir())
    return SmtpTransport(settings.SMTP_HOST, settings.SMTP_PORT, user=settings.SMTP_USER,
                         password=settings.SMTP_PASSWORD)  # fmt: skip


class Worker:
    def __init__(self, transport: Transport, *, idle: float = 0.2, scheduler: Scheduler | None = None,
                 gate: Gate | None = None, doorbell: Doorbell | None = None) -> None:  # fmt: skip
        self.transport, self.idle = transport, idle
        self.scheduler = scheduler or Scheduler()
        self.gate = gate or Gate()
        self.doorbell = doorbell
        self.name = worker_name()
        self.makers: OrderedDict[int, CopyMaker] = OrderedDict()
        self.stop = threading.Event()
        self.journal: Journal | None = None

    def run(self, stop: threading.Event, *, until_idle: bool = False) -> None:
        """Sends until `stop` is set (or, with `until_idle`, until no batch is due). Holds the gate
        but while it waits."""
        self.stop = stop
        with self.gate:
            prepare_connection()
            self.journal = Journal(self.name)
            try:
                while not stop.is_set():
                    self.scheduler.run_due()
                    if not self.step() and (until_idle or self._sleep()):
                        break
            finally:
                self.transport.close()
                self.journal.close()

    def _sleep(self) -> bool:
        """Waits for the next poll, or the doorbell (lists/doorbell.py); True when the worker is to stop."""
        with self.gate.opened():
            if self.doorbell is None:
                return self.stop.wait(self.idle)
            self.doorbell.wait(self.idle)
            return self.stop.is_set()

    def step(self) -> bool:
        """Claims and sends one batch; False when none was due."""
        batches = [] if self.stop.is_set() else claim(self.name)
        for batch in batches:
            self.send_batch(batch)
        return bool(batches)

    def send_batch(self, batch: DeliveryBatch) -> None:
        progress = Progress.start(batch, self.gate, self.journal)
        try:
            maker = self.maker(batch)
            self.transport.deliver(self.transactions(maker, batch), progress)
            if progress.batch.done < len(batch.recipients):
                pause(progress)  # stopped with recipients left
            else:
                finish(progress)
        except SessionError as error:
            release(progress, str(error))
            if DeliveryBatch.objects.filter(pk=batch.pk, state="failed").exists():
                log.error("batch %s given up (failing for %s day(s), LISTHAVEN_DELIVERY_RETRY_DAYS): %s; "
                          "its recipients did not get this copy", batch.pk, settings.DELIVERY_RETRY_DAYS, error)  # fmt: skip
            else:
                log.warning("batch %s: %s; tried again later", batch.pk, error)
        except LeaseLost as error:
            log.warning("%s", error)
            if self.journal is not None:
                self.journal.empty()

    def transactions(self, maker: CopyMaker, batch: DeliveryBatch) -> Iterator[Transaction]:
        """The batch's transactions from its first recipient not handed over; none once the worker is
        asked to stop (the copy in hand is finished first)."""
        rest = batch.recipients[batch.done :]
        if maker.personalised:
            made = copies(maker, rest)
        else:
            sender, data = maker.bulk()
            size = max(1, settings.SMTP_MAX_RECIPIENTS)
            made = ((sender, rest[start : start + size], data) for start in range(0, len(rest), size))
        for transaction in made:
            if self.stop.is_set():
                return
            yield transaction

    def maker(self, batch: DeliveryBatch) -> CopyMaker:
        """The copy maker of the batch's Outgoing (the template decoded once for all its batches)."""
        maker = self.makers.get(batch.outgoing_id)
        if maker is None:
            maker = self.makers[batch.outgoing_id] = CopyMaker(batch.outgoing)
            while len(self.makers) > 16:
                self.makers.popitem(last=False)
        return maker


def copies(maker: CopyMaker, addresses: Sequence[str]) -> Iterator[Transaction]:
    """One transaction per member; an address no copy can be made for is not sent (data None)."""
    for address in addresses:
        try:
            sender, data = maker.copy(address)
        except ValueError as error:
            yield f"not sent: {error}", [address], None
            continue
        yield sender, [address], data


def run_worker(stop: threading.Event, transport_factory: Callable[[], Transport] = default_transport,
               *, until_idle: bool = False, connections: int | None = None,
               idle: float = 0.2) -> None:  # fmt: skip
    """Runs `connections` senders (DELIVERY_CONNECTIONS), each a thread with its own MTA session, database
    connection and batch claims, all behind one `Gate` and woken by one doorbell; the timed jobs run in
    the first. Polls every `idle` seconds when nothing rings. Returns when all have stopped."""
    count = max(1, connections or settings.DELIVERY_CONNECTIONS)
    gate, doorbell = Gate(), Doorbell()
    threads = [threading.Thread(target=_sender, args=(stop, transport_factory, until_idle, gate, doorbell, idle),
                                daemon=True, name=f"sender-{n}") for n in range(1, count)]  # fmt: skip
    try:
        for thread in threads:
            thread.start()
        Worker(transport_factory(), gate=gate, doorbell=doorbell, idle=idle).run(stop, until_idle=until_idle)
        for thread in threads:
            thread.join()
    finally:
        doorbell.close()


def _sender(stop: threading.Event, transport_factory: Callable[[], Transport], until_idle: bool, gate: Gate,
            doorbell: Doorbell, idle: float) -> None:  # fmt: skip
    from django.db import connection

    try:
        worker = Worker(transport_factory(), scheduler=Scheduler(jobs=()), gate=gate, doorbell=doorbell, idle=idle)
        worker.run(stop, until_idle=until_idle)
    except Exception:
        log.exception("a sender thread stopped; the others go on")
    finally:
        connection.close()
