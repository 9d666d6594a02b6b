"""Where copies go: the MTA over SMTP (`SmtpTransport`), or the outbox Maildir (`MaildirTransport`)
when no MTA is configured. Both report to a `Ledger` (the worker's record of the batch, batches.Progress)
in recipient order, so the worker records every answer the same way.

Exactly once against a killed worker: the MTA takes responsibility for a message when it reads the
final "." of DATA. The transport writes the whole message but that dot, asks the ledger to record the
copy as handed over (`Ledger.handing_over`: one store into the sender's mapped journal), and only then
writes the dot, one send(2) on a blocking socket (its timeouts are the kernel's, so no poll(2) comes first
and the interpreter lock is not let go and taken back in between). A worker killed before the record never
sent the dot (the MTA drops a message cut short), and one killed after it did or is about to: the kernel
still sends what was written when the process dies. What remains is a few bytecodes of user-mode code
between the record and the dot (RELIABILITY.md).

SMTP: one connection reused for many transactions; STARTTLS when the MTA offers it (opportunistic,
as MTAs do between themselves: the certificate is not checked, the MTA is normally on loopback or the
local network); AUTH when a user is configured; with PIPELINING (RFC 2920) a transaction's MAIL, RCPT
and DATA go in one write, with the previous message's dot, so a copy costs one round trip.

A failure of the session (no connection, a 421, a dropped line, a refused sender) raises
`SessionError`: the worker keeps the batch for later. A dropped line after a dot but before the MTA's
reply leaves it unknown whether the MTA took the copy; it is sent again (RFC 5321 6.1 accepts a
duplicate over a loss): that is the MTA failing, not the worker.
"""

from __future__ import annotations

import gc
import os
import re
import smtplib
import socket
import ssl
import struct
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

Answers = list[tuple[int, str]]
Transaction = tuple[str, Sequence[str], bytes | None]  # (envelope sender, recipients, message)

_EOLS = re.compile(rb"\r\n|\r|\n")
_LEADING_DOT = re.compile(rb"(?m)^\.")
DOT = b".\r\n"


class SessionError(Exception):
    """The MTA session failed as a whole: nothing of the transaction in progress counts as sent."""


class Ledger(Protocol):
    """What the transport reports to, in recipient order (listhaven.delivery.batches.Progress)."""

    def handing_over(self, recipients: Sequence[str], answers: Answers) -> None:
        """Record (durably): the message is written but for its dot; `answers` are the RCPT replies."""
        ...

    def final(self, code: int, text: str) -> None:
        """The MTA's answer to the last dot: for every recipient handed over with it."""
        ...

    def answered(self, recipients: Sequence[str], answers: Answers) -> None:
        """A transaction that ended without a message."""
        ...

    def waiting(self) -> AbstractContextManager[object]:
        """Entered around each blocking wait for the MTA."""
        ...


class Transport(Protocol):
    def deliver(self, transactions: Iterator[Transaction], ledger: Ledger) -> None:
        """Sends each transaction in order, reporting to `ledger`; a transaction whose message is None is
        not sent (its recipients are answered 550 with the envelope sender as the reason)."""
        ...

    def close(self) -> None: ...


def smtp_body(data: bytes) -> bytes:
    """`data` as SMTP's DATA carries it, but for the final dot: CRLF line ends, leading dots doubled."""
    if b"\n" in data.replace(b"\r\n", b"") or b"\r" in data.replace(b"\r\n", b""):
        data = _EOLS.sub(b"\r\n", data)
    if data.startswith(b".") or b"\n." in data:
        data = _LEADING_DOT.sub(b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data


class SmtpTransport:
    def __init__(self, host: str, port: int, *, user: str = "", password: str = "", timeout: float = 60,
                 local_hostname: str | None = None) -> None:
        self.host, self.port, self.user, self.password = host, port, user, password
        self.timeout, self.local_hostname = timeout, local_hostname
        self.smtp: smtplib.SMTP | None = None
        self.pipelining = False
        self.received = b""  # replies read from the socket and not parsed yet

    def connect(self) -> smtplib.SMTP:
        if self.smtp is not None:
            return self.smtp
        try:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout, local_hostname=self.local_hostname)
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                context = ssl.create_default_context()
                context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
                smtp.starttls(context=context)
                smtp.ehlo()
            if self.user:
                smtp.login(self.user, self.password)
        except (OSError, smtplib.SMTPException) as error:
            raise SessionError(f"cannot open an SMTP session with {self.host}:{self.port}: {error}") from error
        # The message and its dot are two writes (the commit goes between them): without TCP_NODELAY,
        # Nagle's algorithm would hold the dot until the MTA acknowledged the message (40 ms delayed ACK).
        smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # A blocking socket, its timeouts kept by the kernel: with a Python timeout every send is a poll(2)
        # then a send(2), the interpreter lock let go and taken back in between, where another sender
        # thread can take it and a kill find the copy recorded and its dot not written (RELIABILITY.md).
        seconds = int(self.timeout)
        timeval = struct.pack("@ll", seconds, int((self.timeout - seconds) * 1_000_000))
        smtp.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)
        smtp.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)
        smtp.sock.settimeout(None)
        self.smtp, self.pipelining, self.received = smtp, smtp.has_extn("pipelining"), b""
        return smtp

    def deliver(self, transactions: Iterator[Transaction], ledger: Ledger) -> None:
        smtp = self.connect()
        try:
            self._deliver(smtp, transactions, ledger)
        except SessionError:
            self.close()
            raise
        except (OSError, smtplib.SMTPException) as error:
            self.close()
            raise SessionError(f"the SMTP session with {self.host}:{self.port} broke: {error}") from error

    def _deliver(self, smtp: smtplib.SMTP, transactions: Iterator[Transaction], ledger: Ledger) -> None:
        """Per transaction: its envelope (sent with the previous dot when pipelining), the answer to the
        previous dot, the envelope's replies, the message but its dot, the next copy made, the commit,
        then the dot (and the next envelope) in one write."""
        current = self._next_sendable(transactions, ledger)
        if current is not None and self.pipelining:
            smtp.sock.sendall(self._envelope(smtp, current))
        dot_sent = False
        while current is not None:
            if dot_sent:
                ledger.final(*self._final(smtp, ledger))
            _, recipients, data = current
            answers, ready = self._envelope_replies(smtp, current, ledger)
            if not ready:
                self._reset(smtp, ledger)
                ledger.answered(recipients, answers)
                current, dot_sent = self._next_sendable(transactions, ledger), False
                if current is not None and self.pipelining:
                    smtp.sock.sendall(self._envelope(smtp, current))
                continue
            assert data is not None
            with ledger.waiting():  # a large message may wait for the MTA to read
                smtp.sock.sendall(smtp_body(data))
            following, skipped = self._next_with_skipped(transactions)
            tail = DOT + (self._envelope(smtp, following) if following is not None and self.pipelining else b"")
            gc.disable()  # no collection of garbage between the commit and the dot
            try:
                ledger.handing_over(recipients, answers)
                smtp.sock.sendall(tail)  # the dot: the MTA takes the copy
            finally:
                gc.enable()
            dot_sent = True
            if skipped:
                ledger.final(*self._final(smtp, ledger))
                dot_sent = False
                for sender, refused in skipped:
                    ledger.answered(refused, self._unsendable(sender, refused))
            current = following
        if dot_sent:
            ledger.final(*self._final(smtp, ledger))

    def _next_sendable(self, transactions: Iterator[Transaction], ledger: Ledger) -> Transaction | None:
        following, skipped = self._next_with_skipped(transactions)
        for sender, refused in skipped:
            ledger.answered(refused, self._unsendable(sender, refused))
        return following

    @staticmethod
    def _next_with_skipped(transactions: Iterator[Transaction]) -> tuple[Transaction | None,
                                                                        list[tuple[str, Sequence[str]]]]:
        """The next transaction with a message, and those without one before it (sender, recipients)."""
        skipped = []
        for sender, recipients, data in transactions:
            if data is not None:
                return (sender, recipients, data), skipped
            skipped.append((sender, recipients))
        return None, skipped

    @staticmethod
    def _unsendable(reason: str, recipients: Sequence[str]) -> Answers:
        return [(550, reason)] * len(recipients)

    def _envelope(self, smtp: smtplib.SMTP, transaction: Transaction) -> bytes:
        sender, recipients, data = transaction
        utf8 = not (sender.isascii() and all(r.isascii() for r in recipients))
        options = " SMTPUTF8" if utf8 and smtp.has_extn("smtputf8") else ""
        if data is not None and not data.isascii() and smtp.has_extn("8bitmime"):
            options += " BODY=8BITMIME"
        commands = [f"MAIL FROM:<{sender}>{options}", *(f"RCPT TO:<{r}>" for r in recipients), "DATA"]
        return "".join(c + "\r\n" for c in commands).encode("utf-8" if utf8 else "ascii")

    def _envelope_replies(self, smtp: smtplib.SMTP, transaction: Transaction,
                          ledger: Ledger) -> tuple[Answers, bool]:  # fmt: skip
        """(answers to RCPT, whether the MTA is ready for the message). Pipelined, the commands were
        sent already; otherwise each is sent and answered in turn."""
        recipients = transaction[1]
        if self.pipelining:
            return self._check_envelope(recipients, self._replies(smtp, len(recipients) + 2, ledger))
        replies = []
        for line in self._envelope(smtp, transaction).split(b"\r\n")[:-1]:
            if line == b"DATA" and not _any_accepted(replies[1:]):
                break
            smtp.sock.sendall(line + b"\r\n")
            replies += self._replies(smtp, 1, ledger)
            if replies[0][0] != 250:
                break
        return self._check_envelope(recipients, replies)

    def _check_envelope(self, recipients: Sequence[str], replies: list[tuple[int, bytes]]) -> tuple[Answers, bool]:
        """(answers to RCPT, whether the MTA is ready for the message); SessionError when the session
        cannot go on (sender refused, 421)."""
        mail_code, mail_text = replies[0]
        if mail_code == 421 or any(code == 421 for code, _ in replies):
            raise SessionError(f"the MTA is closing the session: {_text(replies[-1][1])}")
        if mail_code != 250:
            raise SessionError(f"the MTA refused the sender: {mail_code} {_text(mail_text)}")
        answers = [(code, _text(text)) for code, text in replies[1 : 1 + len(recipients)]]
        answers += [(451, "not tried: the transaction stopped early")] * (len(recipients) - len(answers))
        data_reply = replies[1 + len(recipients)] if len(replies) > 1 + len(recipients) else (0, b"")
        if data_reply[0] == 354:
            return answers, True
        if data_reply[0]:  # DATA refused: no message goes, so its answer is the accepted recipients' answer
            data_answer = (data_reply[0], _text(data_reply[1]))
            answers = [data_answer if 200 <= code < 300 else (code, text) for code, text in answers]
        return answers, False

    def _final(self, smtp: smtplib.SMTP, ledger: Ledger) -> tuple[int, str]:
        """The reply to the message (421: the session ends, and the copy is sent again)."""
        ((code, text),) = self._replies(smtp, 1, ledger)
        if code == 421:
            raise SessionError(f"the MTA is closing the session: {_text(text)}")
        return code, _text(text)

    def _reset(self, smtp: smtplib.SMTP, ledger: Ledger) -> None:
        smtp.sock.sendall(b"RSET\r\n")
        self._replies(smtp, 1, ledger)

    def _replies(self, smtp: smtplib.SMTP, count: int, ledger: Ledger) -> list[tuple[int, bytes]]:
        """The next `count` replies (code, text). Only the wait for bytes opens the worker's gate; the
        parsing keeps it, so a sender thread never holds the interpreter while it is open (batches.Gate)."""
        replies: list[tuple[int, bytes]] = []
        while len(replies) < count:
            reply = self._parse_reply()
            if reply is not None:
                replies.append(reply)
                continue
            with ledger.waiting():
                data = smtp.sock.recv(65536)
            if not data:
                raise SessionError(f"the MTA at {self.host}:{self.port} closed the connection")
            self.received += data
        return replies

    def _parse_reply(self) -> tuple[int, bytes] | None:
        """One whole reply from `received` ("250-..." lines up to "250 ..."), or None if it is not all here."""
        lines, start = [], 0
        while (end := self.received.find(b"\n", start)) >= 0:
            line = self.received[start:end].rstrip(b"\r")
            start = end + 1
            lines.append(line[4:])
            if line[3:4] != b"-":
                self.received = self.received[start:]
                try:
                    return int(line[:3]), b"\n".join(lines)
                except ValueError:
                    raise SessionError(f"the MTA answered something that is not SMTP: {_text(line)}") from None
        return None

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()
            self.smtp = None


def _any_accepted(replies: list[tuple[int, bytes]]) -> bool:
    return any(200 <= code < 300 for code, _ in replies)


def _text(text: bytes) -> str:
    return text.decode("utf-8", "replace").replace("\n", " ")


class MaildirTransport:
    """The outbox: each copy a file in a Maildir (``DIR/new``), with ``Return-Path`` and ``Delivered-To``
    in front as a local delivery agent writes them. A file appears whole (written in ``tmp``, renamed)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        for sub in ("tmp", "new", "cur"):
            (directory / sub).mkdir(parents=True, exist_ok=True)
        self.host = socket.gethostname().replace("/", "_").replace(":", "_")
        self.count = 0

    def deliver(self, transactions: Iterator[Transaction], ledger: Ledger) -> None:
        """One file per recipient: written in ``tmp``, committed as handed over, renamed into ``new``
        (the rename is this transport's dot)."""
        for sender, recipients, data in transactions:
            if data is None:
                ledger.answered(recipients, [(550, sender)] * len(recipients))
                continue
            body = _EOLS.sub(b"\n", data)
            for recipient in recipients:
                head = f"Return-Path: <{sender}>\nDelivered-To: {recipient}\n".encode()
                self.count += 1
                name = f"{time.time_ns()}.P{os.getpid()}Q{self.count}.{self.host}"
                tmp = self.directory / "tmp" / name
                try:
                    with open(tmp, "wb") as handle:
                        handle.write(head + body)
                    ledger.handing_over([recipient], [(250, f"written to the outbox as {name}")])
                    os.rename(tmp, self.directory / "new" / name)
                except OSError as error:
                    raise SessionError(f"cannot write to the outbox {self.directory}: {error}") from error
                ledger.final(250, f"written to the outbox as {name}")

    def close(self) -> None:
        pass
