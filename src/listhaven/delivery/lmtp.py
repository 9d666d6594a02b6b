"""The LMTP server: the MTA (Postfix) hands list mail to the list server here.

Routing only: RCPT TO names a list's posting address or one of its service addresses
(lists/routing.py); anything else is refused there (550). After DATA, LMTP owes one reply per
accepted recipient (RFC 2033), and each gets the outcome of its own service call: a post goes
through the moderation chain (lists/posting.py), `-owner` mail is forwarded to the owners, mail
to `-bounces`, `-request`, `-join`, `-leave`, `-confirm` is kept for its handler
(lists/incoming.py). 250 only once that outcome is committed; 451 when it could not be (the MTA
keeps the message and retries). The bytes are taken exactly as received, without a Received: line.

The ORM is synchronous: every database step runs in one worker thread (one writer for SQLite),
which closes its connection after each step so no connection outlives its use.
"""

from __future__ import annotations

import asyncio
import logging
import re
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import Envelope, Session
from django.conf import settings
from django.db import close_old_connections, connection

from listhaven.lists.command_mail import COMMAND_ROLES, process_incoming
from listhaven.lists.directory import ListNotFound
from listhaven.lists.incoming import forward_to_owners, store_incoming
from listhaven.lists.post import Action
from listhaven.lists.posting import PostOutcome, receive_post
from listhaven.lists.routing import POST, Destination, resolve
from listhaven.mail.submission import complete_submission

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8024

_UNPRINTABLE = re.compile(r"[^\x20-\x7e]+")
T = TypeVar("T")


def recipient_status(address: str) -> str | None:
    """None when `address` is one of a list's addresses; otherwise the 550 answer for RCPT."""
    try:
        resolve(address)
        return None
    except ListNotFound:
        return f"550 5.1.1 <{_printable(address)}>: no such list here"


def deliver(address: str, raw: bytes, origin: str = "lmtp", envelope_sender: str = "") -> str:
    """Hands `raw` to the service of the list address `address` and returns that recipient's LMTP
    reply: 250 only after the outcome committed; any failure to store is temporary (451)."""
    rcpt = _printable(address)
    try:
        destination = resolve(address)
        return f"250 2.0.0 <{rcpt}>: {_dispatch(destination, raw, origin, envelope_sender)}"
    except ListNotFound:  # removed between RCPT and DATA
        return f"550 5.1.1 <{rcpt}>: no such list here"
    except Exception:
        log.exception("LMTP delivery to %s failed; the MTA will retry", address)
        return _temporary_failure(rcpt, "could not store the message now")


def _dispatch(destination: Destination, raw: bytes, origin: str, envelope_sender: str) -> str:
    """What was done, in a few words (the 250's text)."""
    if destination.role == POST:
        mlist = destination.mailing_list
        # An MTA adds a missing Date or Message-ID only to its own users' mail: a post from elsewhere can come
        # without. Completed here, as `listhaven post` does, so the archive and every copy share one
        # Message-ID (and no MTA adds its own to each copy after the DKIM signature named the field absent);
        # a retry is still recognised by the bytes that arrived.
        completed = complete_submission(raw, mlist.address.rpartition("@")[2], datetime.now(UTC))
        outcome = receive_post(mlist, completed, envelope_sender=envelope_sender, origin=origin, received=raw)
        return _post_reply(outcome)
    if destination.role == "owner":
        owners = forward_to_owners(destination, raw, envelope_sender)
        return f"forwarded to {owners} owner(s)" if owners else "kept for the list's owners"
    row = store_incoming(destination, raw, envelope_sender)
    if destination.role in COMMAND_ROLES:
        try:  # stored already: a failure here leaves it for the worker (lists/command_mail.py)
            return process_incoming(row)
        except Exception:
            log.exception("command mail #%s not processed now; the worker will", row.pk)
            return "kept; answered later"
    if destination.role == "bounces":
        return "bounce recorded"
    return f"kept; {destination.role} mail is answered later"


def _post_reply(outcome: PostOutcome) -> str:
    verdict = outcome.verdict
    if outcome.duplicate:
        return f"received before ({verdict.action.value}), nothing done again"
    if verdict.action == Action.ACCEPT:
        archived = {"stored": "archived", "duplicate": "archived before", "quarantined": "not archived (quarantined)"}
        return f"accepted, {archived.get(outcome.archive_outcome, 'not archived')}, queued for {outcome.queued}"
    reason = _printable(verdict.reason)[:200]
    if verdict.action == Action.HOLD:
        return f"held for moderation (#{outcome.held_id}): {reason}"
    return f"{verdict.action.value}ed by rule {verdict.rule}: {reason}"


def _temporary_failure(rcpt: str, what: str) -> str:
    return f"451 4.3.0 <{rcpt}>: the list server {what}; try again later"


def _printable(text: str) -> str:
    """One line of printable ASCII: replies must not break the protocol's line structure."""
    return _UNPRINTABLE.sub("?", text)


class ListHandler:
    """aiosmtpd handler: RCPT checks the address, DATA hands the message to each recipient's service."""

    def __init__(self) -> None:
        # One thread: SQLite has one writer, and deliveries queue in arrival order.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lmtp-store")

    async def handle_RCPT(
        self, server: LMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        try:
            refusal = await self._in_thread(recipient_status, address)
        except Exception:
            log.exception("LMTP: looking up the list of %s failed", address)
            return _temporary_failure(_printable(address), "could not look up the list")
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return f"250 2.1.5 <{_printable(address)}>: list address"

    async def handle_DATA(self, server: LMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content
        assert isinstance(raw, bytes)
        sender = envelope.mail_from or ""
        replies = []
        for address in envelope.rcpt_tos:
            try:
                replies.append(await self._in_thread(deliver, address, raw, "lmtp", sender))
            except Exception:  # e.g. stopping: aiosmtpd would answer 500, and the MTA would bounce
                log.exception("LMTP: delivery to %s could not run", address)
                replies.append(_temporary_failure(_printable(address), "is not accepting mail now"))
        return "\r\n".join(replies)

    async def _in_thread(self, function: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, _with_fresh_connection, function, args)

    def close(self) -> None:
        """Waits for a delivery in progress (its commit finishes; its reply may be lost, and the
        MTA's retry is then answered as a duplicate)."""
        self._executor.shutdown(wait=True)


def _with_fresh_connection(function: Callable[..., T], args: tuple[Any, ...]) -> T:
    close_old_connections()
    try:
        return function(*args)
    finally:
        connection.close()


class ListLMTP(LMTP):
    """aiosmtpd's LMTP with the store's size limit, one refusal per recipient, and long lines."""

    # Broken mailers send lines over RFC 5321's 1,000 characters; refusing them would bounce list
    # mail the archive can keep (memory stays bounded by the message size limit).
    line_length_limit = 1024 * 1024

    def __init__(self, handler: ListHandler, hostname: str) -> None:
        super().__init__(
            handler,
            data_size_limit=settings.MAX_MESSAGE_BYTES,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=hostname,
            ident="Listhaven LMTP",
            loop=asyncio.get_running_loop(),
        )

    async def push(self, status: Any) -> None:
        # aiosmtpd refuses over-size DATA with a single reply; LMTP owes one per accepted
        # recipient, or the client waits for the rest.
        if isinstance(status, str) and status.startswith("552 Error: Too much mail data"):
            count = len(self.envelope.rcpt_tos) if self.envelope is not None else 1
            status = "\r\n".join(
                [f"552 5.3.4 message larger than the limit of {self.data_size_limit} bytes"] * max(1, count)
            )
        await super().push(status)


async def run_server(
    stop: asyncio.Event,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    on_ready: Callable[[str, int], None] | None = None,
) -> None:
    """Serves LMTP until `stop` is set; `on_ready` gets the bound address (port 0 picks a free one)."""
    handler = ListHandler()
    hostname = socket.gethostname()  # not getfqdn(): no DNS lookup at start
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: ListLMTP(handler, hostname), host=host, port=port)
    try:
        bound_host, bound_port = server.sockets[0].getsockname()[:2]
        if on_ready is not None:
            on_ready(bound_host, bound_port)
        await stop.wait()
    finally:
        server.close()
        await server.wait_closed()
        await loop.run_in_executor(None, handler.close)


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, on_ready: Callable[[str, int], None] | None = None) -> None:
    """Serves LMTP in this (main) thread until SIGINT or SIGTERM."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await run_server(stop, host, port, on_ready)

    asyncio.run(main())


@contextmanager
def serving_in_thread(host: str = DEFAULT_HOST, port: int = 0, timeout: float = 10.0) -> Iterator[tuple[str, int]]:
    """The server in a background thread (tests, embedding); yields its (host, port)."""
    ready = threading.Event()
    state: dict[str, Any] = {}

    def on_ready(bound_host: str, bound_port: int) -> None:
        state["address"] = (bound_host, bound_port)
        ready.set()

    def run() -> None:
        async def main() -> None:
            state["loop"], state["stop"] = asyncio.get_running_loop(), asyncio.Event()
            await run_server(state["stop"], host, port, on_ready)

        try:
            asyncio.run(main())
        except Exception as exc:  # noqa: BLE001 - reported to the starting thread
            state["error"] = exc
            ready.set()

    thread = threading.Thread(target=run, name="lmtp-server", daemon=True)
    thread.start()
    if not ready.wait(timeout) or "error" in state:
        raise RuntimeError(f"the LMTP server did not start: {state.get('error', 'timeout')}")
    try:
        yield state["address"]
    finally:
        state["loop"].call_soon_threadsafe(state["stop"].set)
        thread.join(timeout)
