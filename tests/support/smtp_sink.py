"""A counting SMTP sink on 127.0.0.1 (aiosmtpd): what a delivery test hands copies to.

It keeps every message it accepts (envelope sender, recipients, bytes) and counts per recipient;
`answers` maps a recipient to the reply its RCPT gets (``"450 try later"``, ``"550 no such user"``),
so tests can make the MTA refuse someone.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller

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
        with self.lock:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
            self.per_recipient.update(envelope.rcpt_tos)
            self.per_session[tuple(session.peer[:2])] += 1
        return "250 Message accepted for delivery"


@contextmanager
def smtp_sink(answers: dict[str, str] | None = None, *, pipelining: bool = False,
              ) -> Iterator[tuple[Controller, CountingHandler]]:  # fmt: skip
    handler = CountingHandler(answers or {}, pipelining=pipelining)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), data_size_limit=64 << 20)
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


def sink_port(controller: Controller) -> int:
    return int(controller.port)
