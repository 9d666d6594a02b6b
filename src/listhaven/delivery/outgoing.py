"""The delivery worker (`listhaven worker`): claims batches of the outgoing queue and hands their
copies to the MTA, recording each answer as soon as it is given; runs the timed jobs between batches.

Exactly once, as far as SMTP allows: a recipient's answer is committed right after the MTA gives it,
before the next copy is sent, and a batch resumes at its first unanswered recipient. A copy whose
250 arrived but whose record did not commit (the process died in that instant) is sent again;
RELIABILITY.md gives the size of that window.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence

from django.conf import settings

from listhaven.delivery.batches import LeaseLost, Progress, claim, finish, prepare_connection, release, worker_name
from listhaven.delivery.copies import CopyMaker
from listhaven.delivery.schedule import Scheduler
from listhaven.delivery.transport import (
    Answers,
    MaildirTransport,
    SessionError,
    SmtpTransport,
    Transaction,
    Transport,
)
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
    def __init__(self, transport: Transport, *, idle: float = 0.2, scheduler: Scheduler | None = None) -> None:
        self.transport, self.idle = transport, idle
        self.scheduler = scheduler or Scheduler()
        self.name = worker_name()
        self.makers: OrderedDict[int, CopyMaker] = OrderedDict()

    def run(self, stop: threading.Event, *, until_idle: bool = False) -> None:
        """Sends until `stop` is set (or, with `until_idle`, until no batch is due)."""
        prepare_connection()
        try:
            while not stop.is_set():
                self.scheduler.run_due()
                if not self.step() and (until_idle or stop.wait(self.idle)):
                    break
        finally:
            self.transport.close()

    def step(self) -> bool:
        """Claims and sends one batch; False when none was due."""
        batches = claim(self.name)
        for batch in batches:
            self.send_batch(batch)
        return bool(batches)

    def send_batch(self, batch: DeliveryBatch) -> None:
        progress = Progress.start(batch)
        try:
            maker = self.maker(batch)
            if maker.personalised:
                self._personalised(maker, progress)
            else:
                self._bulk(maker, progress)
            finish(progress)
        except SessionError as error:
            log.warning("batch %s: %s; tried again later", batch.pk, error)
            release(progress, str(error))
        except LeaseLost as error:
            log.warning("%s", error)

    def _personalised(self, maker: CopyMaker, progress: Progress) -> None:
        rest = progress.batch.recipients[progress.batch.done :]
        for address, answers in zip(rest, self.transport.send_many(copies(maker, rest)), strict=True):
            record(progress, [address], answers)

    def _bulk(self, maker: CopyMaker, progress: Progress) -> None:
        sender, data = maker.bulk()
        size = max(1, settings.SMTP_MAX_RECIPIENTS)
        rest = progress.batch.recipients[progress.batch.done :]
        chunks = [rest[start : start + size] for start in range(0, len(rest), size)]
        transactions = ((sender, chunk, data) for chunk in chunks)
        for chunk, answers in zip(chunks, self.transport.send_many(transactions), strict=True):
            record(progress, chunk, answers)

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


def record(progress: Progress, recipients: Sequence[str], answers: Answers) -> None:
    """Commits the answers of one transaction: 2xx sent, 4xx deferred, 5xx bounces."""
    accepted = sum(1 for code, _ in answers if 200 <= code < 300)
    deferred = [r for r, (code, _) in zip(recipients, answers, strict=True) if 400 <= code < 500]
    bounces = [(r, code, text) for r, (code, text) in zip(recipients, answers, strict=True) if code >= 500]
    progress.record(len(recipients), accepted, deferred, bounces)


def run_worker(stop: threading.Event, transport_factory: Callable[[], Transport] = default_transport,
               *, until_idle: bool = False, connections: int | None = None) -> None:
    """Runs `connections` senders (DELIVERY_CONNECTIONS), each a thread with its own MTA session, database
    connection and batch claims; the timed jobs run in the first. Returns when all have stopped."""
    count = max(1, connections or settings.DELIVERY_CONNECTIONS)
    threads = [threading.Thread(target=_sender, args=(stop, transport_factory, until_idle), daemon=True,
                                name=f"sender-{n}") for n in range(1, count)]  # fmt: skip
    for thread in threads:
        thread.start()
    Worker(transport_factory()).run(stop, until_idle=until_idle)
    for thread in threads:
        thread.join()


def _sender(stop: threading.Event, transport_factory: Callable[[], Transport], until_idle: bool) -> None:
    from django.db import connection

    try:
        Worker(transport_factory(), scheduler=Scheduler(jobs=())).run(stop, until_idle=until_idle)
    except Exception:
        log.exception("a sender thread stopped; the others go on")
    finally:
        connection.close()
