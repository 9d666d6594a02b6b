"""Where copies go: the MTA over SMTP (`SmtpTransport`), or the outbox Maildir (`MaildirTransport`)
when no MTA is configured. Both answer one (code, text) per recipient of a transaction, so the worker
records every answer the same way.

SMTP: one connection reused for many transactions; STARTTLS when the MTA offers it (opportunistic,
as MTAs do between themselves: the certificate is not checked, the MTA is normally on loopback or the
local network); AUTH when a user is configured; with PIPELINING (RFC 2920) a transaction's commands go
in one write, so a copy costs two round trips instead of three or more.

A failure of the session (no connection, a 421, a dropped line, a refused sender) raises
`SessionError`: the worker keeps the batch for later. A dropped line after the message was sent
but before the MTA's reply is read leaves it unknown whether the MTA took the copy; the copy is sent
again (RFC 5321 §6.1 accepts a duplicate over a loss).
"""

from __future__ import annotations

import os
import re
import smtplib
import socket
import ssl
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

Answers = list[tuple[int, str]]
Transaction = tuple[str, Sequence[str], bytes | None]  # (envelope sender, recipients, message)

_EOLS = re.compile(rb"\r\n|\r|\n")
_LEADING_DOT = re.compile(rb"(?m)^\.")


class SessionError(Exception):
    """The MTA session failed as a whole: nothing of the transaction in progress counts as sent."""


class Transport(Protocol):
    def send(self, sender: str, recipients: Sequence[str], data: bytes) -> Answers:
        """One transaction: an answer (code, text) per recipient, in order."""
        ...

    def send_many(self, transactions: Iterator[Transaction]) -> Iterator[Answers]:
        """Each transaction's answers, in order, each yielded before the next message goes out."""
        ...

    def close(self) -> None: ...


def smtp_data(data: bytes) -> bytes:
    """`data` as SMTP's DATA carries it: CRLF line ends, leading dots doubled, ended by CRLF . CRLF."""
    if b"\n" in data.replace(b"\r\n", b"") or b"\r" in data.replace(b"\r\n", b""):
        data = _EOLS.sub(b"\r\n", data)
    if data.startswith(b".") or b"\n." in data:
        data = _LEADING_DOT.sub(b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


class SmtpTransport:
    def __init__(self, host: str, port: int, *, user: str = "", password: str = "", timeout: float = 60,
                 local_hostname: str | None = None) -> None:
        self.host, self.port, self.user, self.password = host, port, user, password
        self.timeout, self.local_hostname = timeout, local_hostname
        self.smtp: smtplib.SMTP | None = None
        self.pipelining = False

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
        self.smtp, self.pipelining = smtp, smtp.has_extn("pipelining")
        return smtp

    def send(self, sender: str, recipients: Sequence[str], data: bytes) -> Answers:
        return next(iter(self.send_many(iter([(sender, recipients, data)]))))

    def send_many(self, transactions: Iterator[Transaction]) -> Iterator[Answers]:
        """The answers of each transaction, in order; a transaction whose `data` is None is not sent
        (its `recipients` get `sender` as a 550 reason). Each answer is yielded as soon as the MTA gave
        it, before the next message is sent: the caller records it in between.

        With PIPELINING, a message goes in one write with the next transaction's MAIL, RCPT and DATA
        (RFC 2920 allows message content first in a group), so a copy costs one round trip."""
        smtp = self.connect()
        try:
            if self.pipelining:
                yield from self._pipelined(smtp, transactions)
            else:
                for sender, recipients, data in transactions:
                    yield self._unsendable(sender, recipients) if data is None else \
                        self._transaction(smtp, sender, recipients, data)  # fmt: skip
        except SessionError:
            self.close()
            raise
        except (OSError, smtplib.SMTPException) as error:
            self.close()
            raise SessionError(f"the SMTP session with {self.host}:{self.port} broke: {error}") from error

    def _pipelined(self, smtp: smtplib.SMTP, transactions: Iterator[Transaction]) -> Iterator[Answers]:
        skipped, current = self._next_sendable(transactions)
        yield from skipped
        if current is not None:
            smtp.send(self._envelope(smtp, current))
        while current is not None:
            _, recipients, data = current
            replies = [smtp.getreply() for _ in range(len(recipients) + 2)]
            answers, ready = self._check_envelope(recipients, replies)
            skipped, following = self._next_sendable(transactions)
            if not ready:
                self._reset(smtp, [])
                yield answers
            else:
                assert data is not None
                smtp.send(smtp_data(data) + (self._envelope(smtp, following) if following else b""))
                yield self._final(smtp, answers)
            if not ready and following is not None:
                smtp.send(self._envelope(smtp, following))
            yield from skipped
            current = following

    def _next_sendable(self, transactions: Iterator[Transaction]) -> tuple[list[Answers], Transaction | None]:
        skipped = []
        for sender, recipients, data in transactions:
            if data is not None:
                return skipped, (sender, recipients, data)
            skipped.append(self._unsendable(sender, recipients))
        return skipped, None

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

    def _transaction(self, smtp: smtplib.SMTP, sender: str, recipients: Sequence[str], data: bytes) -> Answers:
        """One transaction without PIPELINING: a round trip per command."""
        lines = self._envelope(smtp, (sender, recipients, data)).split(b"\r\n")[:-1]
        replies: list[tuple[int, bytes]] = []
        for line in lines:
            if line == b"DATA" and not _any_accepted(replies[1:]):
                break
            smtp.send(line + b"\r\n")
            replies.append(smtp.getreply())
            if replies[0][0] != 250:
                break
        answers, ready = self._check_envelope(recipients, replies)
        if not ready:
            self._reset(smtp, [])
            return answers
        smtp.send(smtp_data(data))
        return self._final(smtp, answers)

    def _check_envelope(self, recipients: Sequence[str], replies: list[tuple[int, bytes]]) -> tuple[Answers, bool]:
        """(answers to RCPT, whether the MTA is ready for the message); SessionError when the session
        cannot go on (sender refused, 421)."""
        mail_code, mail_text = replies[0]
        if mail_code == 421 or any(code == 421 for code, _ in replies):
            raise SessionError(f"the MTA is closing the session: {_text(replies[-1][1])}")
        if mail_code != 250:
            assert self.smtp is not None
            self._reset(self.smtp, replies)
            raise SessionError(f"the MTA refused the sender: {mail_code} {_text(mail_text)}")
        answers = [(code, _text(text)) for code, text in replies[1 : 1 + len(recipients)]]
        answers += [(451, "not tried: the transaction stopped early")] * (len(recipients) - len(answers))
        data_reply = replies[1 + len(recipients)] if len(replies) > 1 + len(recipients) else (0, b"")
        return answers, data_reply[0] == 354

    def _final(self, smtp: smtplib.SMTP, answers: Answers) -> Answers:
        """The reply to the message: it becomes the answer of every recipient RCPT accepted."""
        code, text = smtp.getreply()
        if code == 421:
            raise SessionError(f"the MTA is closing the session: {_text(text)}")
        return [(code, _text(text)) if 200 <= c < 300 else (c, t) for c, t in answers]

    def _reset(self, smtp: smtplib.SMTP, replies: list[tuple[int, bytes]]) -> None:
        smtp.send(b"RSET\r\n")
        smtp.getreply()

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

    def send(self, sender: str, recipients: Sequence[str], data: bytes) -> Answers:
        answers: Answers = []
        body = _EOLS.sub(b"\n", data)
        for recipient in recipients:
            head = f"Return-Path: <{sender}>\nDelivered-To: {recipient}\n".encode()
            self.count += 1
            name = f"{time.time_ns()}.P{os.getpid()}Q{self.count}.{self.host}"
            tmp = self.directory / "tmp" / name
            try:
                with open(tmp, "wb") as handle:
                    handle.write(head + body)
                os.rename(tmp, self.directory / "new" / name)
            except OSError as error:
                raise SessionError(f"cannot write to the outbox {self.directory}: {error}") from error
            answers.append((250, f"written to the outbox as {name}"))
        return answers

    def send_many(self, transactions: Iterator[Transaction]) -> Iterator[Answers]:
        for sender, recipients, data in transactions:
            yield [(550, sender)] * len(recipients) if data is None else self.send(sender, recipients, data)

    def close(self) -> None:
        pass
