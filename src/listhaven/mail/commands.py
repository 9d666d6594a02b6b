"""Mail commands to ``LIST-request@``, and which mail must never be answered.

What is read: the Subject (after ``Re:``-style prefixes and list tags) when it holds a command, then the
body's lines: the first text/plain part, or the text of the first HTML part when there is no plain
one. Blank lines and quoted lines (``>``) are skipped; a signature separator (``--``), an
``-----Original Message-----`` or ``On … wrote:`` line, or ``end``/``stop`` ends the reading.

Before the first command, lines that are not commands are reported (a message of prose gets help,
never silence). After a command, the first line that is not one ends the reading quietly: that is the
"Thanks, Bob" under the command. At most `max_commands` lines, commands and reported ones together,
are taken.

Commands (words without case; ``join``/``leave`` are synonyms)::

    subscribe [address=ADDRESS] [digest=mime|plain|no]     (a bare ADDRESS, "digest", "nodigest" too)
    unsubscribe [address=ADDRESS]
    who
    help [anything]
    confirm TOKEN
"""

from __future__ import annotations

import email
import email.message
import email.utils
import enum
import re
from collections.abc import Collection
from dataclasses import dataclass

from listhaven.mail.charsets import decode_text
from listhaven.mail.html_text import html_to_text
from listhaven.mail.subjects import decode_subject, normalise_subject

DEFAULT_MAX_COMMANDS = 10
MAX_BODY_CHARS = 100_000
MAX_LINE_CHARS = 500
TOKEN = re.compile(r"[A-Za-z0-9_-]{8,600}")
_ADDRESS = re.compile(r"[^\s@<>()\[\],;:\"]+@[^\s@<>()\[\],;:\"]+\.[^\s@<>()\[\],;:\"]+")
# Where a reply's own text ends: a signature, a separator line, a quoted message's introduction.
_END_OF_COMMANDS = re.compile(
    r"[-_=]{2,}|-{3,}\s*original message\s*-{3,}|on .{1,200} wrote:|am .{1,200} schrieb.{0,200}:",
    re.IGNORECASE,
)


class CommandName(enum.StrEnum):
    SUBSCRIBE = "subscribe"
    UNSUBSCRIBE = "unsubscribe"
    WHO = "who"
    HELP = "help"
    CONFIRM = "confirm"


class DigestChoice(enum.StrEnum):
    MIME = "mime"
    PLAIN = "plain"
    NO = "no"  # regular delivery, one copy per post


_WORDS = {
    "subscribe": CommandName.SUBSCRIBE,
    "join": CommandName.SUBSCRIBE,
    "unsubscribe": CommandName.UNSUBSCRIBE,
    "leave": CommandName.UNSUBSCRIBE,
    "who": CommandName.WHO,
    "help": CommandName.HELP,
    "confirm": CommandName.CONFIRM,
}
_STOP_WORDS = {"end", "stop"}
_ARGUMENTS = {
    CommandName.SUBSCRIBE: {"address", "digest"},
    CommandName.UNSUBSCRIBE: {"address"},
    CommandName.WHO: set[str](),
}


@dataclass(frozen=True)
class Command:
    name: CommandName
    line: str  # as written, for the reply
    address: str | None = None  # address=…: act for this address instead of the sender
    digest: DigestChoice | None = None
    token: str | None = None  # confirm's token


@dataclass(frozen=True)
class Rejected:
    line: str  # as written
    reason: str  # for the reply: "not a command", "unknown argument 'x'", …


@dataclass(frozen=True)
class CommandReport:
    commands: tuple[Command, ...]
    rejected: tuple[Rejected, ...]
    stopped_at: str | None  # the line that ended the reading, when one did (not the end of the mail)
    truncated: bool  # max_commands was reached with lines left to read

    @property
    def needs_help(self) -> bool:
        """True when the reply must carry the help text: nothing understood, or something not."""
        return not self.commands or bool(self.rejected)


def parse_commands(msg: email.message.Message | bytes, max_commands: int = DEFAULT_MAX_COMMANDS) -> CommandReport:
    """The commands of a message sent to ``LIST-request@``. Never raises."""
    if isinstance(msg, bytes):
        msg = email.message_from_bytes(msg)
    return parse_command_text(_header(msg, "subject"), command_body(msg), max_commands)


def parse_command_text(subject: str, body: str, max_commands: int = DEFAULT_MAX_COMMANDS) -> CommandReport:
    """The commands of a raw Subject value (RFC 2047 allowed) and a body already turned into text."""
    commands: list[Command] = []
    rejected: list[Rejected] = []
    subject_line = normalise_subject(decode_subject(subject))
    if subject_line and _WORDS.get(subject_line.split()[0].lower()) is not None:
        _take(subject_line, commands, rejected)
    for line in _candidate_lines(body):
        if _END_OF_COMMANDS.fullmatch(line) or line.split()[0].lower() in _STOP_WORDS:
            return CommandReport(tuple(commands), tuple(rejected), line, False)
        is_command = line.split()[0].lower() in _WORDS
        if commands and not is_command:
            return CommandReport(tuple(commands), tuple(rejected), line, False)
        if len(commands) + len(rejected) >= max_commands:
            return CommandReport(tuple(commands), tuple(rejected), None, True)
        if is_command:
            _take(line, commands, rejected)
        else:
            rejected.append(Rejected(line, "not a command"))
    return CommandReport(tuple(commands), tuple(rejected), None, False)


def _candidate_lines(body: str) -> list[str]:
    lines = []
    for raw_line in body[:MAX_BODY_CHARS].splitlines():
        line = raw_line.strip()
        if line and not line.startswith(">"):
            lines.append(line[:MAX_LINE_CHARS])
    return lines


def _take(line: str, commands: list[Command], rejected: list[Rejected]) -> None:
    result = parse_command_line(line)
    if isinstance(result, Command):
        commands.append(result)
    else:
        rejected.append(result)


def parse_command_line(line: str) -> Command | Rejected:
    """One line: a Command, or why it is not one."""
    words = line.split()
    name = _WORDS.get(words[0].lower()) if words else None
    if name is None:
        return Rejected(line, "not a command")
    if name is CommandName.HELP:
        return Command(name, line)
    if name is CommandName.CONFIRM:
        if len(words) != 2 or not TOKEN.fullmatch(words[1]):
            return Rejected(line, "confirm needs the token from the confirmation message")
        return Command(name, line, token=words[1])
    if not _ARGUMENTS[name] and len(words) > 1:
        return Rejected(line, f"{words[0].lower()} takes no arguments")
    values: dict[str, str] = {}
    for word in words[1:]:
        key, value, problem = _argument(word)
        if problem is None and key not in _ARGUMENTS[name]:
            problem = f"{words[0].lower()} takes no {key}"
        if problem is None and key in values:
            problem = f"{key} given twice"
        if problem is not None:
            return Rejected(line, problem)
        values[key] = value
    digest = DigestChoice(values["digest"]) if "digest" in values else None
    return Command(name, line, address=values.get("address"), digest=digest)


def _argument(word: str) -> tuple[str, str, str | None]:
    """(key, value, problem or None) for ``key=value``, a bare address, ``digest`` or ``nodigest``."""
    key, equals, value = word.partition("=")
    key = key.lower()
    if not equals:
        if key in {"digest", "nodigest"}:
            return "digest", "mime" if key == "digest" else "no", None
        key, value = "address", word
    elif key not in {"address", "digest"}:
        return key, value, f"unknown argument {word!r}"
    if key == "digest":
        value = value.lower()
        if value not in {"mime", "plain", "no"}:
            return key, value, "digest must be mime, plain or no"
        return key, value, None
    address = value.strip("<>\"'").removeprefix("mailto:")
    if not _ADDRESS.fullmatch(address):
        return key, value, f"unknown argument {word!r}" if not equals else f"not an address: {value!r}"
    return key, address, None


def command_body(msg: email.message.Message) -> str:
    """The body text commands are read from: the first plain text part, else the first HTML part's text."""
    html: email.message.Message | None = None
    for part in _readable_parts(msg):
        if part.get_content_type() == "text/plain":
            return _part_text(part)
        if part.get_content_type() == "text/html" and html is None:
            html = part
    return html_to_text(_part_text(html)) if html is not None else ""


def _readable_parts(msg: email.message.Message) -> list[email.message.Message]:
    """Leaf parts in order, not attachments, not inside an attached message; at most 50."""
    found: list[email.message.Message] = []
    stack = [msg]
    while stack and len(found) < 50:
        part = stack.pop(0)
        if part.is_multipart():
            if part.get_content_maintype() != "message":
                children = part.get_payload()
                stack[:0] = [p for p in children if isinstance(p, email.message.Message)][:50]
        elif _header(part, "content-disposition").strip().lower()[:10] != "attachment":
            found.append(part)
    return found


def _part_text(part: email.message.Message) -> str:
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return ""
    text, _ = decode_text(data[: MAX_BODY_CHARS * 4], part.get_content_charset())
    return text


def confirm_token_from_subject(subject: str) -> str | None:
    """The token of a reply to a confirmation: ``Re: [List] confirm TOKEN`` → TOKEN."""
    words = normalise_subject(decode_subject(subject)).split()
    if len(words) >= 2 and words[0].lower() == "confirm" and TOKEN.fullmatch(words[1]):
        return words[1]
    return None


def confirm_token_from_address(recipient: str, confirm_local: str) -> str | None:
    """The token of ``LIST-confirm+TOKEN@DOMAIN`` for `confirm_local` ``LIST-confirm`` (no case)."""
    local = recipient.strip().strip("<>").rpartition("@")[0].strip('"')
    prefix, plus, token = local.partition("+")
    if plus and prefix.casefold() == confirm_local.casefold() and TOKEN.fullmatch(token):
        return token
    return None


_AUTO_SUBJECT = re.compile(
    r"\s*(auto(matic)?[ -]?reply|auto(response)?:|out of (the )?office|undeliverable:|undelivered mail"
    r"|delivery status notification|mail delivery failed|failure notice|returned mail:)",
    re.IGNORECASE,
)
_LIST_HEADERS = ("list-id", "x-beenthere", "x-loop", "x-mailing-list", "mailing-list", "x-mailman-version")
_AUTOREPLY_HEADERS = ("x-autoreply", "x-autorespond", "x-auto-reply", "x-autogenerated", "x-autoresponder")
_DAEMONS = {"mailer-daemon", "mailer_daemon", "mailerdaemon"}


def is_automated(
    msg: email.message.Message | bytes, mail_from: str | None = None, own_addresses: Collection[str] = ()
) -> bool:
    """True for mail that must never get an automatic answer; `automated_reason` says why."""
    return automated_reason(msg, mail_from, own_addresses) is not None


def automated_reason(
    msg: email.message.Message | bytes, mail_from: str | None = None, own_addresses: Collection[str] = ()
) -> str | None:
    """Why `msg` must not be answered (auto-reply, bounce, list mail, a loop of ours), or None.

    `mail_from` is the envelope sender when known (an empty one is a bounce's); `own_addresses` are
    the site's list addresses, so mail from one of them (a loop) is never answered.
    """
    if isinstance(msg, bytes):
        msg = email.message_from_bytes(msg)
    auto = _header(msg, "auto-submitted").split(";")[0].strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    precedence = _header(msg, "precedence").strip().lower()
    if precedence in {"bulk", "junk", "list", "auto_reply"}:
        return f"Precedence: {precedence}"
    for name in _AUTOREPLY_HEADERS + _LIST_HEADERS:
        if msg.get(name) is not None:
            return f"{name} header"
    suppress = {v.strip().lower() for v in _header(msg, "x-auto-response-suppress").split(",")}
    if suppress & {"all", "autoreply", "oof"}:
        return "X-Auto-Response-Suppress"
    if msg.get_content_type() == "multipart/report":
        return "a delivery or disposition report"
    return _sender_reason(msg, mail_from, own_addresses) or _subject_reason(msg)


def _sender_reason(msg: email.message.Message, mail_from: str | None, own_addresses: Collection[str]) -> str | None:
    if mail_from is not None and not mail_from.strip().strip("<>").strip():
        return "empty envelope sender"
    return_path = msg.get("return-path")
    if return_path is not None and not str(return_path).strip().strip("<>").strip():
        return "empty Return-Path"
    own = {address.lower() for address in own_addresses}
    senders = [mail_from or "", _header(msg, "return-path"), _header(msg, "from"), _header(msg, "sender")]
    for value in senders:
        address = email.utils.parseaddr(value)[1].lower()
        if address.partition("@")[0] in _DAEMONS:
            return "sent by a mailer daemon"
        if address and address in own:
            return "sent from one of our own addresses"
    return None


def _subject_reason(msg: email.message.Message) -> str | None:
    subject = decode_subject(_header(msg, "subject"))
    return "auto-reply subject" if _AUTO_SUBJECT.match(subject) else None


def _header(msg: email.message.Message, name: str) -> str:
    value = msg.get(name)
    return "" if value is None else str(value)
