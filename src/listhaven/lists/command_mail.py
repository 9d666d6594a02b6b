"""Mail to a list's `-request`, `-join`, `-leave` and `-confirm+TOKEN` addresses: acted on and answered.

Durable first, then exactly once: the LMTP server stores the message as an `IncomingMail` row (committed
before its 250) and then calls `process_incoming` on it at once. Processing is one transaction that
claims the row (processed False → True), acts through lists/subscriptions.py and queues the answer, so it
commits whole or not at all; if it fails or the process dies, the row stays unprocessed and
`process_waiting` (the worker's timed job, every minute) does it later. A row is never acted
on twice: only the transaction that flips `processed` acts.

Answers: every message that is not automated gets one (an unknown command gets the help text, never
silence); automated mail (`listhaven.mail.commands.is_automated`: auto-replies, bounces, list mail,
our own) is never answered nor acted on. What an answer says never depends on who is on the list.
Requests that mail a confirmation, and the answers themselves, are counted per address
(lists/answer_limits.py): over the limits, nothing more is sent to that address.
"""

from __future__ import annotations

import email.message
import logging
import re

from django.db import transaction
from django.utils import timezone

from listhaven.archive.compression import decompress
from listhaven.lists.addresses import sender_address
from listhaven.lists.answer_limits import confirmations_within, may_answer, may_ask_confirmation
from listhaven.lists.members import find_member
from listhaven.lists.models import IncomingMail, MailingList, Member
from listhaven.lists.moderation_mail import decide_by_reply
from listhaven.lists.notices import render_notice, send_notice
from listhaven.lists.post import Role, parse_post_bytes
from listhaven.lists.routing import SERVICE_SUFFIXES, service_address
from listhaven.lists.subscriptions import (
    ADDRESS_PURPOSES,
    OWNER_PURPOSES,
    Status,
    confirm,
    decide_request,
    find_pending,
    request_subscription,
    request_unsubscription,
)  # fmt: skip
from listhaven.mail.commands import (
    Command,
    CommandName,
    automated_reason,
    confirm_token_from_address,
    confirm_token_from_subject,
    parse_commands,
)  # fmt: skip
from listhaven.mail.subjects import decode_subject

log = logging.getLogger(__name__)

COMMAND_ROLES = ("request", "join", "leave", "confirm")
_REPLY_PREFIX = re.compile(r"^\s*(?:re\s*:\s*)+", re.IGNORECASE)
GENERIC_SUBSCRIBE = "if {address} can join, a message has gone to it saying what happens next"
GENERIC_UNSUBSCRIBE = "if {address} is on the list, a message has gone to it saying what happens next"


def process_incoming(row: IncomingMail) -> str:
    """Acts on one stored message and queues its answer; what was done, in a few words."""
    with transaction.atomic():
        claimed = IncomingMail.objects.filter(pk=row.pk, processed=False).update(processed=True,
                                                                                 processed_at=timezone.now())  # fmt: skip
        if not claimed:
            return "processed before"
        note = _handle(row.mailing_list, row.role, row.recipient, decompress(bytes(row.data)), row.envelope_sender)
        IncomingMail.objects.filter(pk=row.pk).update(note=note[:300])
    return note


def process_waiting(limit: int = 500) -> int:
    """Processes stored command mail not yet processed (oldest first); the number processed."""
    done = 0
    rows = IncomingMail.objects.select_related("mailing_list").filter(role__in=COMMAND_ROLES, processed=False)
    for row in rows.order_by("id")[:limit]:
        try:
            process_incoming(row)
            done += 1
        except Exception:
            log.exception("command mail #%s could not be processed; it stays for the next run", row.pk)
    return done


def _handle(mlist: MailingList, role: str, recipient: str, raw: bytes, envelope_sender: str) -> str:
    msg = parse_post_bytes(raw)
    own = [mlist.address, *(service_address(mlist, r) for r in SERVICE_SUFFIXES.values())]
    reason = automated_reason(msg, envelope_sender, own)
    if reason is not None:
        return f"not answered: {reason}"
    sender = sender_address(msg, envelope_sender)
    if not sender:
        return "not answered: no sender address"
    results, needs_help = _act(mlist, role, recipient, msg, sender)
    if not may_answer(mlist, sender):
        return f"acted on, not answered: {sender} was answered as often as AUTORESPONSE_RATE allows"
    text = "\n".join(f"> {line}\n  {result}\n" for line, result in results)
    if needs_help:
        _, help_text = render_notice(mlist, "help", {})
        text += "\n" + help_text
    subject = _REPLY_PREFIX.sub("", str(msg.get("Subject", ""))) or "your mail"  # the notice says "Re: " once
    send_notice(mlist, "command_results", sender, subject=subject, results=text)
    return f"answered {sender}: {len(results)} command(s)"


def _act(mlist: MailingList, role: str, recipient: str, msg: email.message.Message, sender: str) -> tuple[list[tuple[str, str]], bool]:
    """[(what was asked, what came of it)] and whether the help text goes with the answer."""
    if role == "join":
        if may_ask_confirmation(sender):
            request_subscription(mlist, sender, origin="mail")
        return [("join", GENERIC_SUBSCRIBE.format(address=sender))], False
    if role == "leave":
        if may_ask_confirmation(sender):
            request_unsubscription(mlist, sender, origin="mail")
        return [("leave", GENERIC_UNSUBSCRIBE.format(address=sender))], False
    token = None
    if role == "confirm":
        local = service_address(mlist, "confirm").rpartition("@")[0]
        token = confirm_token_from_address(recipient, local)
    token = token or confirm_token_from_subject(str(msg.get("Subject", "")))
    if token is not None:
        decided = decide_by_reply(mlist, token, msg)  # a reply to a held-post notice
        if decided is None:
            decided = _confirm(mlist, token, refusal=_refusal(str(msg.get("Subject", "")), token))
        return [(f"confirm {token}", decided)], False
    report = parse_commands(msg, max_commands=mlist.max_commands)
    # Every confirmation the mail asks for is counted first, in one order (lists/answer_limits.py).
    asking = [c for c in report.commands if c.name in (CommandName.SUBSCRIBE, CommandName.UNSUBSCRIBE)]
    allowed = dict(zip(map(id, asking), confirmations_within([c.address or sender for c in asking]), strict=True))
    results = [(command.line, _command(mlist, command, sender, allowed.get(id(command), False)))
               for command in report.commands]  # fmt: skip
    results += [(rejected.line, rejected.reason) for rejected in report.rejected]
    if report.truncated:
        results.append(("…", f"only the first {mlist.max_commands} lines were read"))
    return results, report.needs_help or any(c.name == CommandName.HELP for c in report.commands)


def _command(mlist: MailingList, command: Command, sender: str, allowed: bool) -> str:
    """`allowed`: a (un)subscription's confirmation is within the address's limit (counted already)."""
    if command.name == CommandName.SUBSCRIBE:
        address = command.address or sender
        if allowed:  # else nothing is sent, and the answer reads the same
            request_subscription(mlist, address, digest=command.digest.value if command.digest else "", origin="mail")
        return GENERIC_SUBSCRIBE.format(address=address)
    if command.name == CommandName.UNSUBSCRIBE:
        address = command.address or sender
        if allowed:
            request_unsubscription(mlist, address, origin="mail")
        return GENERIC_UNSUBSCRIBE.format(address=address)
    if command.name == CommandName.WHO:
        return _who(mlist, sender)
    if command.name == CommandName.CONFIRM and command.token:
        return _confirm(mlist, command.token)
    return "the help text follows"


def _refusal(subject: str, token: str) -> str:
    """What an owner's reply to an approval request says after the token in its subject (the whole
    subject when the token is not in it): "reject"/"refuse" (the address is told) or "discard" (it is
    not); "" approves."""
    text = decode_subject(subject).lower()
    after = text.split(token.lower(), 1)[1] if token.lower() in text else text
    found = re.search(r"\b(reject|refuse|discard)\b", after)
    return found.group(1) if found else ""


REFUSALS = frozenset({Status.REFUSED, Status.DISCARDED})


def _confirm(mlist: MailingList, token: str, refusal: str = "") -> str:
    pending = find_pending(token, purposes=ADDRESS_PURPOSES | OWNER_PURPOSES, mlist=mlist)
    if pending is None:
        return "that token is not valid here: expired, already used, or for another list"
    if pending.purpose in OWNER_PURPOSES:  # an owner's reply to the approval notice: recorded as the page's
        decision = "discard" if refusal == "discard" else "refuse" if refusal else "approve"
        outcome = decide_request(pending, decision, by="a reply to the approval notice")
        if refusal:
            return f"the request of {outcome.address}: {refusal}ed" if outcome.status in REFUSALS else outcome.detail
    else:
        outcome = confirm(pending)
    return {Status.SUBSCRIBED: f"{outcome.address} is subscribed", Status.UNSUBSCRIBED: f"{outcome.address} has left",
            Status.APPROVAL_ASKED: "confirmed; an owner of the list decides now",
            Status.ADDRESS_CHANGED: f"{outcome.address} now receives the posts {outcome.detail}"}.get(
        outcome.status, "confirmed; nothing needed doing")  # fmt: skip


def _who(mlist: MailingList, sender: str) -> str:
    visibility = mlist.roster_visibility
    allowed = visibility == "public" or (visibility == "members" and find_member(mlist, sender) is not None)
    if not allowed:
        return "this list does not show its members by mail"
    rows = Member.objects.filter(mailing_list=mlist, role=Role.MEMBER, hide_address=False).order_by("address")
    addresses = list(rows.values_list("address", flat=True)[:5000])
    return f"{len(addresses)} member(s) shown:\n" + "\n".join(f"    {a}" for a in addresses)
