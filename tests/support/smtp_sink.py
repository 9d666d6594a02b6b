"""A counting SMTP sink on 127.0.0.1 (aiosmtpd): what a delivery test hands copies to.

It keeps every message it accepts (envelope sender, recipients, bytes) and counts per recipient;
`answers` maps a recipient to the reply its RCPT gets (``"450 try later"``, ``"550 no such user"``),
so tests can make the MTA refuse someone. `data_replies` and `dot_replies` script the next transactions'
answers to the DATA command and to the final dot, one entry per transaction, first to last (``""``: the
usual 354 or 250; ``"drop"``: the connection closed instead of an answer, the message not taken); `at_dot`
is called (in a thread of its own, so it may read the database) when a message's dot has arrived and the
message is taken, before it is answered.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

from tests.support.ports import free_port


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes


@dataclass
class CountingHandler:
    answers: dict[str, str] = field(default_factory=dict)
    pipelining: bool = False  # advertise PIPELINING (aiosmtpd reads commands in order, so it copes)
    messages: list[Received] = field(default_factory=list)
    per_recipient: Counter[str] = field(default_factory=Counter)
    per_session: Counter[tuple[str, int]] = field(default_factory=Counter)  # client (host, port) -> messages
    lock: threading.Lock = field(default_factory=threading.Lock)
    data_replies: list[str] = field(default_factory=list)
    dot_replies: list[str] = field(default_factory=list)
    at_dot: Callable[[list[str]], None] | None = None

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.pipelining:
            responses.insert(1, "250-PIPELINING")
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        answer = self.answers.get(address)
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        reply = self.dot_replies.pop(0) if self.dot_replies else ""
        if reply == "drop":
            server.transport.close()
            return "421 4.3.0 dropped"  # not sent: the connection is closed
        if not reply:  # taken before `at_dot`, which may end the client: the message is the MTA's at its dot
            with self.lock:
                self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
                self.per_recipient.update(envelope.rcpt_tos)
                self.per_session[tuple(session.peer[:2])] += 1
        if self.at_dot is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.at_dot, list(envelope.rcpt_tos))
        return reply or "250 Message accepted for delivery"


class ScriptedSMTP(SMTP):
    """aiosmtpd's session, with the DATA command answered from the handler's `data_replies` first."""

    async def smtp_DATA(self, arg: str) -> None:
        handler = self.event_handler
        reply = handler.data_replies.pop(0) if handler.data_replies and self.envelope.rcpt_tos else ""
        if reply == "drop":
            self.transport.close()
        elif reply:
            await self.push(reply)
        else:
            await super().smtp_DATA(arg)


class SinkController(Controller):
    def factory(self) -> SMTP:
        return ScriptedSMTP(self.handler, **self.SMTP_kwargs)


@contextmanager
def smtp_sink(answers: dict[str, str] | None = None, *, pipelining: bool = False,
              ) -> Iterator[tuple[Controller, CountingHandler]]:  # fmt: skip
    handler = CountingHandler(answers or {}, pipelining=pipelining)
    controller = SinkController(handler, hostname="127.0.0.1", port=free_port(), data_size_limit=64 << 20)
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


def sink_port(controller: Controller) -> int:
    return int(controller.port)
