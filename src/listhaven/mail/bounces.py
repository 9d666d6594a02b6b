"""Bounces and complaints: which addresses failed, how badly, and who complained.

`parse_bounce` reads RFC 3464 delivery status notifications first: each per-recipient block gives the
address (Original-Recipient, else Final-Recipient), the Action, the Status and the Diagnostic-Code.
``Action: failed`` is permanent (the reporting MTA has given up, whatever the status class: a 4.x.x
that ran out of retries is as final as a 5.x.x), ``delayed`` is temporary, ``delivered``, ``relayed``
and ``expanded`` are not failures. A message with a delivery-status part is a DSN and its answer is
final. Anything else goes to `flufl.bounce`, Mailman's detectors for the non-standard formats (Exim's
X-Failed-Recipients, qmail, old Exchange, Yahoo and others): its permanent and temporary sets are
taken as they are, and a status and diagnostic are read from the text around each address when the
bounce gives them.

`parse_complaint` reads RFC 5965 feedback reports (ARF), the form large mailbox providers send
complaints in, and names the member who complained.

Nothing here raises on any input: mail from the Internet is not trusted to be well formed.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.message
import email.utils
import enum
import quopri
import re
from dataclasses import dataclass
from email.parser import BytesHeaderParser, HeaderParser

import flufl.bounce

from listhaven.mail.addresses import normalise_email
from listhaven.mail.charsets import resolve_charset
from listhaven.mail.verp import verp_decode

_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_TYPED = re.compile(r"^\s*[\w.-]+\s*;\s*")
_XTEXT = re.compile(r"\\x\{([0-9A-Fa-f]{1,6})\}")
_SPACE = re.compile(r"\s+")
_BLANK_LINE = re.compile(r"\r?\n[ \t]*\r?\n")
_ANGLED = re.compile(r"<([^<>]*)>")
MAX_FAILURES = 100
MAX_DIAGNOSTIC_CHARS = 500
_CONTEXT_LINES = 8
COMPLAINT_TYPES = frozenset({"abuse"})


class BounceFormat(enum.StrEnum):
    DSN = "dsn"  # RFC 3464
    NON_STANDARD = "non-standard"  # recognised by flufl.bounce
    NONE = "none"  # not a bounce that anything here recognises


@dataclass(frozen=True)
class BounceFailure:
    address: str  # as the bounce gives it, domain lowercased
    permanent: bool
    status: str  # RFC 3463 enhanced status ("5.1.1"), "" when the bounce gives none
    diagnostic: str  # the remote server's words (Diagnostic-Code without its type), "" when none


@dataclass(frozen=True)
class BounceReport:
    failures: tuple[BounceFailure, ...]
    format: BounceFormat

    @property
    def permanent(self) -> tuple[BounceFailure, ...]:
        return tuple(failure for failure in self.failures if failure.permanent)

    @property
    def temporary(self) -> tuple[BounceFailure, ...]:
        return tuple(failure for failure in self.failures if not failure.permanent)


@dataclass(frozen=True)
class Complaint:
    feedback_type: str  # lowercased: "abuse", "fraud", "not-spam", "other", …
    recipient: str | None  # the best guess of who complained: candidates[0]
    candidates: tuple[str, ...]  # every address the report offers, most trustworthy first
    list_id: str | None  # the List-Id of the message complained about, without angle brackets
    message_id: str | None  # its Message-ID, without angle brackets

    @property
    def is_abuse(self) -> bool:
        """A complaint that should end the member's subscription (RFC 5965 ``abuse``)."""
        return self.feedback_type in COMPLAINT_TYPES


def parse_bounce(raw: bytes) -> BounceReport:
    """The failures a bounce reports. Never raises; an unrecognised message gives no failures."""
    msg = email.message_from_bytes(raw)
    failures = _dsn_failures(msg)
    if failures is not None:
        return BounceReport(_merge(failures), BounceFormat.DSN)
    failures = _other_failures(msg)
    return BounceReport(_merge(failures), BounceFormat.NON_STANDARD if failures else BounceFormat.NONE)


def _dsn_failures(msg: email.message.Message) -> list[BounceFailure] | None:
    """The failures of every delivery-status part; None when the message has no such part."""
    found: list[BounceFailure] | None = None
    for part in msg.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        found = [] if found is None else found
        for block in _status_blocks(part):
            failure = _block_failure(block)
            if failure is not None:
                found.append(failure)
    return found


def _status_blocks(part: email.message.Message) -> list[email.message.Message]:
    payload = part.get_payload()
    encoding = _header(part, "content-transfer-encoding").strip().lower()
    if isinstance(payload, list) and encoding not in {"base64", "quoted-printable"}:
        return [block for block in payload if isinstance(block, email.message.Message)]
    # The stdlib splits the status part into header blocks before any transfer decoding, which
    # leaves an encoded part as one unreadable block: rebuild its text, decode it, split it again.
    if isinstance(payload, list):
        text = "\n\n".join(block.as_string() for block in payload if isinstance(block, email.message.Message))
    else:
        text = str(payload)
    text = _transfer_decode(text, encoding)
    return [HeaderParser().parsestr(block.strip() + "\n") for block in _BLANK_LINE.split(text) if block.strip()]


def _transfer_decode(text: str, encoding: str) -> str:
    data = text.encode("ascii", "replace")
    try:
        if encoding == "base64":
            data = base64.b64decode(data + b"===")
        elif encoding == "quoted-printable":
            data = quopri.decodestring(data)
    except (binascii.Error, ValueError):
        return text
    return data.decode("utf-8", "replace")


def _block_failure(block: email.message.Message) -> BounceFailure | None:
    address = _recipient(_header(block, "original-recipient")) or _recipient(_header(block, "final-recipient"))
    if not address:
        return None
    action = _header(block, "action").strip().lower()
    match = _STATUS.search(_header(block, "status"))
    status = match.group(0) if match else ""
    if action.startswith(("fail", "error")):  # "error": OpenSMTPD's word for failed
        permanent = True
    elif action.startswith("delay"):
        permanent = False
    elif action or not status:
        return None  # delivered, relayed, expanded: not a failure; or nothing to go on
    else:
        permanent = status.startswith("5")
    diagnostic = _clean(_TYPED.sub("", _header(block, "diagnostic-code"), count=1))
    return BounceFailure(address, permanent, status, diagnostic)


def _recipient(value: str) -> str:
    """``rfc822; bob@example.com`` → ``bob@example.com``; RFC 6533 ``utf-8;`` values unescaped."""
    kind, semicolon, address = value.partition(";")
    if not semicolon:
        kind, address = "rfc822", value
    address = _SPACE.sub("", address).strip("<>")
    if kind.strip().lower() == "utf-8":
        address = _XTEXT.sub(_unescape, address)
    if "@" not in address or kind.strip().lower() not in {"rfc822", "utf-8"}:
        return ""
    return normalise_email(address)


def _unescape(match: re.Match[str]) -> str:
    code = int(match.group(1), 16)
    return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"


def _other_failures(msg: email.message.Message) -> list[BounceFailure]:
    try:
        temporary, permanent = flufl.bounce.all_failures(msg)
    except Exception:  # noqa: BLE001 - a detector tripping on odd input means "not recognised"
        return []
    text = _notice_text(msg)
    failures = []
    for addresses, is_permanent in ((permanent, True), (temporary, False)):
        for raw_address in sorted(addresses):
            address = normalise_email(raw_address.decode("ascii", "replace"))
            if "@" in address:
                status, diagnostic = _nearby_status(text, address)
                failures.append(BounceFailure(address, is_permanent, status, diagnostic))
    return failures


def _notice_text(msg: email.message.Message) -> str:
    """The text parts of the bounce itself, not of the message it returns."""
    texts: list[str] = []
    stack = [msg]
    while stack and len(texts) < 10:
        part = stack.pop(0)
        if part.is_multipart():
            if part.get_content_maintype() != "message":
                stack.extend(p for p in part.get_payload() if isinstance(p, email.message.Message))
        elif part.get_content_type() == "text/plain":
            data = part.get_payload(decode=True)
            if isinstance(data, bytes):
                # A mutilated notice may name a charset no codec has ("scii", one with a NUL): read it as UTF-8.
                charset = resolve_charset(part.get_content_charset()) or "utf-8"
                texts.append(data.decode(charset, "replace")[:100_000])
    return "\n".join(texts)


def _nearby_status(text: str, address: str) -> tuple[str, str]:
    """(status, diagnostic) from the lines from the address's first mention to the next blank line."""
    lines = text.splitlines()
    wanted = address.lower()
    for index, line in enumerate(lines):
        if wanted in line.lower():
            window: list[str] = []
            for following in lines[index : index + _CONTEXT_LINES]:
                if not following.strip() and window:
                    break
                window.append(following.strip())
            diagnostic = _clean(" ".join(window))
            match = _STATUS.search(diagnostic)
            return (match.group(0) if match else ""), diagnostic
    return "", ""


def _merge(failures: list[BounceFailure]) -> tuple[BounceFailure, ...]:
    """One failure per address (the first one reported; permanent when any report of it is)."""
    merged: dict[str, BounceFailure] = {}
    for failure in failures:
        key = failure.address.lower()
        if key not in merged:
            if len(merged) < MAX_FAILURES:
                merged[key] = failure
        elif failure.permanent and not merged[key].permanent:
            merged[key] = failure
    return tuple(merged.values())


def is_complaint(raw: bytes) -> bool:
    """True for an RFC 5965 feedback report of type ``abuse``: the recipient complained."""
    complaint = parse_complaint(raw)
    return complaint is not None and complaint.is_abuse


def parse_complaint(raw: bytes, list_bounces_local: str | None = None) -> Complaint | None:
    """The feedback report in `raw`, or None when `raw` is not one. Never raises.

    Candidates, most trustworthy first: the member VERP-encoded in the reported message's return path
    (``Original-Mail-From`` or its ``Return-Path``; for `list_bounces_local`, or any ``…-bounces``
    local part when it is None), the report's ``Original-Rcpt-To``, the reported message's
    ``X-Original-To`` and ``Delivered-To``, then its ``To`` when that names one address. Providers
    often redact some of these; the caller keeps the first candidate that is a member.
    """
    msg = email.message_from_bytes(raw)
    if msg.get_content_type() != "multipart/report":
        return None
    report = original = None
    for part in msg.walk():
        kind = part.get_content_type()
        if kind == "message/feedback-report" and report is None:
            report = _inner_headers(part)
        elif kind in {"message/rfc822", "text/rfc822-headers"} and original is None:
            original = _inner_headers(part)
    if report is None:
        return None
    original = original or email.message.Message()
    candidates = _complaint_candidates(report, original, list_bounces_local)
    return Complaint(
        feedback_type=_header(report, "feedback-type").strip().lower(),
        recipient=candidates[0] if candidates else None,
        candidates=candidates,
        list_id=_list_id(_header(original, "list-id")),
        message_id=_bracketed(_header(original, "message-id")),
    )


def _complaint_candidates(
    report: email.message.Message, original: email.message.Message, list_bounces_local: str | None
) -> tuple[str, ...]:
    found: list[str] = []
    for value in (_header(report, "original-mail-from"), _header(original, "return-path")):
        member = _verp_member(value, list_bounces_local)
        if member:
            found.append(member)
    for value in (
        _header(report, "original-rcpt-to"),
        _header(original, "x-original-to"),
        _header(original, "delivered-to"),
    ):
        found.extend(_plain_addresses(value))
    to = _plain_addresses(_header(original, "to"))
    if len(to) == 1:
        found.extend(to)
    unique: dict[str, str] = {}
    for address in found:
        unique.setdefault(address.lower(), address)
    return tuple(unique.values())


def _verp_member(value: str, list_bounces_local: str | None) -> str | None:
    address = _SPACE.sub("", value).strip("<>")
    if list_bounces_local is None:
        local = address.rpartition("@")[0].strip('"').partition("+")[0]
        if not local.lower().endswith("-bounces"):
            return None
        list_bounces_local = local
    return verp_decode(address, list_bounces_local)


def _plain_addresses(value: str) -> list[str]:
    addresses = []
    for _name, address in email.utils.getaddresses([value]) if value else []:
        if "@" in address:
            addresses.append(normalise_email(address))
    return addresses


def _inner_headers(part: email.message.Message) -> email.message.Message:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], email.message.Message):
        return payload[0]
    data = part.get_payload(decode=True)
    return BytesHeaderParser().parsebytes(data if isinstance(data, bytes) else b"")


def _header(msg: email.message.Message, name: str) -> str:
    value = msg.get(name)
    return "" if value is None else str(value)


def _list_id(value: str) -> str | None:
    """``Marxism discussion <marxism.lists.example.org>`` → ``marxism.lists.example.org``."""
    match = _ANGLED.search(value)
    return _bracketed(match.group(1)) if match else _bracketed(value)


def _bracketed(value: str) -> str | None:
    value = value.strip().strip("<>").strip()
    return value or None


def _clean(text: str) -> str:
    return _SPACE.sub(" ", text).strip()[:MAX_DIAGNOSTIC_CHARS]
