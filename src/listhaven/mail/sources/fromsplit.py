"""Splitting a stream of concatenated messages on their ``From `` separator lines.

mbox and Pipermail text archives both put each message after a line starting with
``From ``. The stream is read in large chunks and searched with `bytearray.find`, so
memory stays at one message plus one chunk, whatever the size of the file, and no
Python code runs per line.

Which ``From `` lines separate messages:

- mbox: one at the start of the file or after a blank line; after any other line only
  when it has the strict form ``From <sender> <asctime date>`` (public-inbox writes
  ``From MAILER-DAEMON Thu Jan  1 00:00:00 1970`` and some writers omit the blank line).
- Pipermail: Pipermail does not reliably escape ``From `` in bodies, so only a line of
  the strict form that is followed by a header line (``From:``, ``Date:`` ...).
- A mailing list's archive mbox (``archive_mbox``: Mailman 2's ``LIST.mbox``, whose older
  parts hold unescaped ``From `` lines in bodies): only a line followed by a header line, and
  of the strict form unless a blank line comes before it and a field mail has (Received:,
  From:, Date:, X-...) follows. "From what I saw" after a blank line is body text, and so is
  "From the README:" followed by "Usage: ..."; a separator with an unusual date after a blank
  line still separates.

The blank line a writer puts between two messages is removed from the end of each one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO

from listhaven.mail.sources.errors import SourceError

CHUNK_SIZE = 1 << 20
_SEPARATOR = b"\nFrom "
_DAY = rb"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_MONTH = rb"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
# From <sender> <asctime>, allowing a time zone name or offset before or after the year.
STRICT_FROM_LINE = re.compile(
    rb"From (?:.*\S)?[ \t]+"
    + _DAY
    + rb",? +"
    + _MONTH
    + rb" +\d{1,2},? +\d{1,2}:\d\d(?::\d\d)?"
    rb"(?: +(?:[A-Z]{1,5}|[+-]\d{4}))* +\d{4}(?: +(?:[A-Z]{1,5}|[+-]\d{4}))*[ \t]*\r?$"
)
_HEADER_LINE = re.compile(rb"[!-9;-~]+[ \t]*:")
# The fields a message's header block begins with in archives (an MTA's trace fields first, else the
# author's): what may follow a From line of an unusual form.
_MAIL_HEADER_LINE = re.compile(
    rb"(?i)(?:return-path|received|delivered-to|envelope-to|x-[!-9;-~]*|from|sender|to|cc|date|subject"
    rb"|message-id|reply-to|in-reply-to|references|mime-version|content-[!-9;-~]+|resent-[!-9;-~]+"
    rb"|list-[!-9;-~]+|precedence|errors-to|user-agent|organization|status|path|newsgroups"
    rb"|dkim-signature|arc-[!-9;-~]+|authentication-results|thread-[!-9;-~]+)[ \t]*:"
)


def _is_blank_before(buf: bytearray, pos: int) -> bool:
    """Whether the line ending at buf[pos] (a LF) is blank: ``\\n\\n`` or ``\\r\\n\\r\\n``."""
    if pos >= 1 and buf[pos - 1] == 0x0A:
        return True
    return pos >= 2 and buf[pos - 1] == 0x0D and buf[pos - 2] == 0x0A


class _Splitter:
    """State of one pass over a stream: the unconsumed bytes start at the current From_ line."""

    def __init__(self, stream: BinaryIO, pipermail: bool, archive_mbox: bool = False) -> None:
        self.stream = stream
        self.pipermail = pipermail
        self.archive_mbox = archive_mbox
        self.buf = bytearray()
        self.eof = False

    def fill(self) -> bool:
        """Read one more chunk; False at the end of the stream."""
        if self.eof:
            return False
        chunk = self.stream.read(CHUNK_SIZE)
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def is_separator(self, pos: int) -> bool | None:
        """Whether the ``From `` line after the LF at `pos` starts a message; None: need more bytes."""
        buf = self.buf
        blank_before = _is_blank_before(buf, pos)
        if not self.pipermail and not self.archive_mbox and blank_before:
            return True
        end = buf.find(b"\n", pos + 1)
        if end < 0:
            if not self.eof:
                return None
            end = len(buf)
        strict = STRICT_FROM_LINE.match(buf, pos + 1, end) is not None
        if not strict and not (self.archive_mbox and blank_before):
            return False
        if not self.pipermail and not self.archive_mbox:
            return True
        next_end = buf.find(b"\n", end + 1)
        if next_end < 0 and not self.eof:
            return None
        # A separator of an unusual form must be followed by a field mail has, not any "Word:" line
        # ("From the README:" then "Usage: ..." is a body's paragraph).
        follows = _HEADER_LINE if strict else _MAIL_HEADER_LINE
        return follows.match(buf, end + 1, len(buf) if next_end < 0 else next_end) is not None

    def next_boundary(self) -> int:
        """Offset just after the current message (its last LF), reading as needed; len(buf) at EOF."""
        scan = 1
        while True:
            pos = self.buf.find(_SEPARATOR, scan)
            if pos < 0:
                scan = max(1, len(self.buf) - len(_SEPARATOR))
                if not self.fill():
                    return len(self.buf)
                continue
            verdict = self.is_separator(pos)
            if verdict is None:
                scan = pos
                self.fill()
                continue
            if verdict:
                return pos + 1
            scan = pos + 1


def _cut(buf: bytearray, end: int) -> tuple[bytes, bytes]:
    """The From_ line (without ``From `` and line end) and the message body of buf[:end]."""
    line_end = buf.find(b"\n", 0, end)
    if line_end < 0:
        return bytes(buf[5:end]).rstrip(b"\r"), b""
    start = line_end + 1
    if end - start >= 1 and buf[end - 2 : end] == b"\n\n":
        end -= 1
    elif end - start >= 2 and buf[end - 4 : end] == b"\r\n\r\n":
        end -= 2
    return bytes(buf[5:line_end]).rstrip(b"\r"), bytes(buf[start:end])


def _skip_leading_blank_lines(splitter: _Splitter) -> None:
    while True:
        stripped = splitter.buf.lstrip(b"\r\n")
        if stripped or not splitter.fill():
            break
    del splitter.buf[: len(splitter.buf) - len(splitter.buf.lstrip(b"\r\n"))]


def _start(stream: BinaryIO, pipermail: bool, name: str, archive_mbox: bool = False) -> _Splitter:
    splitter = _Splitter(stream, pipermail, archive_mbox)
    splitter.fill()
    _skip_leading_blank_lines(splitter)
    if splitter.buf and not splitter.buf.startswith(b"From "):
        raise SourceError(
            f"{name}: does not start with a 'From ' line, so it is not an mbox file"
        )
    return splitter


def count_messages(stream: BinaryIO, *, name: str, pipermail: bool = False) -> int:
    """How many messages `split_messages` would yield, without copying any of them."""
    splitter = _start(stream, pipermail, name)
    count = 0
    while splitter.buf:
        count += 1
        del splitter.buf[: splitter.next_boundary()]
        if not splitter.buf:
            splitter.fill()
    return count


def split_messages(
    stream: BinaryIO, *, name: str, pipermail: bool = False, skip: int = 0, archive_mbox: bool = False
) -> Iterator[tuple[int, bytes, bytes]]:
    """Yield (index from 1, From_ line bytes, message bytes) for each message after the first `skip`.

    The stream must start (after blank lines) with a ``From `` line, else SourceError
    naming `name`. Message bytes are as stored: ``>From `` un-escaping is the caller's job.
    """
    splitter = _start(stream, pipermail, name, archive_mbox)
    index = 0
    while splitter.buf:
        end = splitter.next_boundary()
        index += 1
        if index > skip:
            from_line, body = _cut(splitter.buf, end)
            yield index, from_line, body
        del splitter.buf[:end]
        if not splitter.buf:
            splitter.fill()


def split_leading_from_line(raw: bytes) -> tuple[bytes, str | None]:
    """A single message that starts with a ``From `` line: the rest, and the line (decoded latin-1).

    A header is ``From:``, so a first line ``From `` can only be an envelope line.
    """
    if not raw.startswith(b"From "):
        return raw, None
    end = raw.find(b"\n")
    line, rest = (raw, b"") if end < 0 else (raw[:end], raw[end + 1 :])
    return rest, line[5:].rstrip(b"\r").decode("latin-1")
