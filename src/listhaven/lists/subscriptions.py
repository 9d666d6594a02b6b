"""Joining and leaving a list: the one service the web pages and the mail commands both call.

A request goes through the list's policy (`MailingList.subscribe_policy` / `unsubscribe_policy`):

- open: done at once;
- confirm: a `Pending` row and a confirmation notice to the address; done when its token comes back;
- moderate: a `Pending` row and an approval notice to the owners; done when one of them confirms;
- confirm_moderate: confirm, then moderate.

Invitations are an owner's `invite`: the address confirms, no approval follows. Bans (lists/rules.py
`matching_pattern` over the list's and the site's Ban rows) stop every subscription, whatever the
route, quietly: the answer to a request never says whether an address is banned or subscribed.

Tokens: 160 random bits (`secrets`), lower-case hexadecimal (safe in an address local part and a
Subject whatever case mail software gives them back); only their SHA-256 is stored; looked up by
that hash and compared in constant time; bound to one purpose and one list; expiring
(CONFIRM_DAYS); used once (the update that sets `used_at` is the one that acts).
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from listhaven.lists.addresses import InvalidAddress, canonical_address
from listhaven.lists.members import add_member, find_member, valid_display_name
from listhaven.lists.models import Ban, MailingList, Member, Pending, RequestDecision
from listhaven.lists.notices import send_notice
from listhaven.lists.post import Role
from listhaven.lists.routing import service_address
from listhaven.lists.rules import matching_pattern

TOKEN_BYTES = 20
DELIVERY_BY_DIGEST = {"mime": "mime_digest", "plain": "plain_digest", "no": "regular", "": "regular"}
# What confirming a token of each purpose does next (see `confirm`).
ADDRESS_PURPOSES = frozenset({"subscribe", "unsubscribe", "invite", "change_address"})
OWNER_PURPOSES = frozenset({"approve_subscribe", "approve_unsubscribe"})


class Status(enum.StrEnum):
    SUBSCRIBED = "subscribed"
    UNSUBSCRIBED = "unsubscribed"
    CONFIRM_SENT = "confirmation sent"
    APPROVAL_ASKED = "waiting for an owner's approval"
    ALREADY = "already a member"
    NOT_MEMBER = "not a member"
    BANNED = "banned"
    INVALID = "not a valid address"
    INVITED = "invited"
    LINK_SENT = "options link sent"
    REFUSED = "refused by an owner"
    DISCARDED = "discarded by an owner"
    ADDRESS_CHANGED = "address changed"


@dataclass(frozen=True)
class Outcome:
    status: Status
    address: str = ""
    detail: str = ""


# --- tokens -------------------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.strip().lower().encode("utf-8", "replace")).hexdigest()


def create_pending(mlist: MailingList, purpose: str, address: str, payload: dict[str, Any] | None = None) -> str:
    """Stores a Pending row and returns its token (the only copy: it goes in a mail)."""
    token = secrets.token_hex(TOKEN_BYTES)
    Pending.objects.create(
        token_hash=token_hash(token), purpose=purpose, mailing_list=mlist, address=address,
        payload=payload or {}, expires_at=timezone.now() + timedelta(days=settings.CONFIRM_DAYS),
    )  # fmt: skip
    return token


def find_pending(
    token: str, *, purposes: Collection[str] | None = None, mlist: MailingList | None = None
) -> Pending | None:
    """The unused, unexpired Pending row of `token` (for one of `purposes`, on `mlist` when given), else None."""
    if not token or len(token) > 200:
        return None
    wanted = token_hash(token)
    row = Pending.objects.select_related("mailing_list").filter(token_hash=wanted).first()
    if row is None or not hmac.compare_digest(row.token_hash, wanted):
        return None
    if row.used_at is not None or row.expires_at <= timezone.now():
        return None
    if purposes is not None and row.purpose not in purposes:
        return None
    if mlist is not None and row.mailing_list_id != mlist.pk:
        return None
    return row


def use_pending(pending: Pending) -> bool:
    """Marks `pending` used; False when another request used it first (only one acts)."""
    return Pending.objects.filter(pk=pending.pk, used_at__isnull=True).update(used_at=timezone.now()) == 1


def confirm_url(token: str) -> str:
    from listhaven.site.public_urls import site_url

    return site_url(f"/confirm/{token}")


def options_url(mlist: MailingList) -> str:
    from listhaven.site.public_urls import site_url

    return site_url(f"/{mlist.name}/options/")


def _confirm_values(mlist: MailingList, token: str) -> dict[str, object]:
    local, _, domain = service_address(mlist, "confirm").rpartition("@")
    return {"token": token, "confirm_url": confirm_url(token), "confirm_address": f"{local}+{token}@{domain}",
            "expires_days": settings.CONFIRM_DAYS}  # fmt: skip


def _ask(mlist: MailingList, purpose: str, address: str, payload: dict[str, Any]) -> Status:
    """A Pending row and its notice: to the address, or (approvals) to the owners."""
    token = create_pending(mlist, purpose, address, payload)
    values = _confirm_values(mlist, token)
    if purpose in OWNER_PURPOSES:
        action = "join" if purpose == "approve_subscribe" else "leave"
        from listhaven.site.public_urls import site_url

        send_notice(mlist, "approve_request", owners(mlist), reply_to=str(values["confirm_address"]),
                    address=address, action=action, requests_url=site_url(f"/manage/{mlist.name}/requests/"),
                    **values)  # fmt: skip
        return Status.APPROVAL_ASKED
    name = {"subscribe": "confirm_subscribe", "unsubscribe": "confirm_unsubscribe", "invite": "invitation"}[purpose]
    send_notice(mlist, name, address, reply_to=str(values["confirm_address"]), address=address, **values)
    return Status.INVITED if purpose == "invite" else Status.CONFIRM_SENT


def owners(mlist: MailingList) -> list[str]:
    rows = Member.objects.filter(mailing_list=mlist, role=Role.OWNER).order_by("id").values_list("address", flat=True)
    return list(rows) or [service_address(mlist, "owner")]


# --- requests -----------------------------------------------------------------------------------


def is_banned(mlist: MailingList, address: str) -> bool:
    patterns = Ban.objects.filter(Q(mailing_list=mlist) | Q(mailing_list__isnull=True)).values_list("pattern", flat=True)
    return matching_pattern(address, patterns) is not None


def request_subscription(
    mlist: MailingList, address: str, *, display_name: str = "", digest: str = "", origin: str = "web"
) -> Outcome:
    """Someone asks for `address` to join. What the asker is told must not depend on the Outcome
    (web and mail answer alike whatever the address's state); the Outcome is for logs and tests."""
    try:
        address = canonical_address(address)
    except InvalidAddress as exc:
        return Outcome(Status.INVALID, "", str(exc))
    payload = {"display_name": display_name[:200], "delivery_mode": DELIVERY_BY_DIGEST.get(digest, "regular"),
               "origin": origin}  # fmt: skip
    with transaction.atomic():
        if is_banned(mlist, address):
            return Outcome(Status.BANNED, address)
        if find_member(mlist, address) is not None:
            send_notice(mlist, "already_member", address, address=address, options_url=options_url(mlist))
            return Outcome(Status.ALREADY, address)
        policy = mlist.subscribe_policy
        if policy == "open":
            _join(mlist, address, payload)
            return Outcome(Status.SUBSCRIBED, address)
        purpose = "approve_subscribe" if policy == "moderate" else "subscribe"
        return Outcome(_ask(mlist, purpose, address, payload), address)


def request_unsubscription(mlist: MailingList, address: str, *, origin: str = "web") -> Outcome:
    """Someone asks for `address` to leave (the list's unsubscribe policy applies)."""
    try:
        address = canonical_address(address)
    except InvalidAddress as exc:
        return Outcome(Status.INVALID, "", str(exc))
    with transaction.atomic():
        if find_member(mlist, address) is None:
            return Outcome(Status.NOT_MEMBER, address)
        policy = mlist.unsubscribe_policy
        if policy == "open":
            leave(mlist, address, origin=origin)
            return Outcome(Status.UNSUBSCRIBED, address)
        purpose = "approve_unsubscribe" if policy == "moderate" else "unsubscribe"
        return Outcome(_ask(mlist, purpose, address, {"origin": origin}), address)


def invite(mlist: MailingList, address: str, *, display_name: str = "", inviter: str = "") -> Outcome:
    """An owner invites `address`; it joins when it accepts (no approval follows). A name
    valid_display_name refuses (a line break, a control character, too long) invites nobody: INVALID
    with the reason, nothing kept, nothing mailed."""
    try:
        address = canonical_address(address)
    except InvalidAddress as exc:
        return Outcome(Status.INVALID, "", str(exc))
    try:
        display_name = valid_display_name(display_name)
    except ValueError as exc:
        return Outcome(Status.INVALID, address, str(exc))
    with transaction.atomic():
        if is_banned(mlist, address):
            return Outcome(Status.BANNED, address)
        if find_member(mlist, address) is not None:
            return Outcome(Status.ALREADY, address)
        payload = {"display_name": display_name, "origin": "invitation", "inviter": inviter}
        return Outcome(_ask(mlist, "invite", address, payload), address)


def request_options_link(mlist: MailingList, address: str) -> Outcome:
    """Mails a member a one-time link to their options page; nothing for anyone else."""
    member = find_member(mlist, address)
    if member is None:
        return Outcome(Status.NOT_MEMBER, address)
    with transaction.atomic():
        token = create_pending(mlist, "options", member.address)
        from listhaven.site.public_urls import site_url

        send_notice(mlist, "options_link", member.address, address=member.address,
                    options_url=site_url(f"/{mlist.name}/options/{token}"), expires_days=settings.CONFIRM_DAYS)  # fmt: skip
    return Outcome(Status.LINK_SENT, member.address)


def request_address_change(mlist: MailingList, member: Member, new_address: str, *, everywhere: bool = False) -> Outcome:
    """A member proven by their account or an options link asks to move their membership of `mlist`
    (with `everywhere`, of every list their address is a member of, as Mailman 2's "change globally")
    to `new_address`, options kept. A confirmation goes to the new address, which proves it reads its
    mail; nothing changes until it confirms (`confirm`)."""
    try:
        new = canonical_address(new_address)
    except InvalidAddress as exc:
        return Outcome(Status.INVALID, "", str(exc))
    if new.lower() == member.address.lower():
        return Outcome(Status.ALREADY, new, "that is the address already subscribed")
    with transaction.atomic():
        token = create_pending(mlist, "change_address", new, {"old": member.address, "everywhere": everywhere})
        values = _confirm_values(mlist, token)
        where = "every mailing list it is a member of here" if everywhere else f"the {mlist.title} mailing list"
        send_notice(mlist, "confirm_address_change", new, reply_to=str(values["confirm_address"]), address=new,
                    old_address=member.address, where=where, **values)  # fmt: skip
    return Outcome(Status.CONFIRM_SENT, new)


def _change_address(pending: Pending) -> Outcome:
    """Moves the member rows of the old address to the confirmed new one, on the list of the request
    or on every list: each where the new address is not a member already nor banned; the rows keep
    their options. Inside `confirm`'s transaction."""
    old, new = str(pending.payload.get("old", "")), pending.address
    lists = MailingList.objects.filter(pk=pending.mailing_list_id)
    if pending.payload.get("everywhere"):
        lists = MailingList.objects.filter(members__address=old, members__role=Role.MEMBER).distinct()
    moved, kept = [], []
    for mlist in lists.order_by("name"):
        member = find_member(mlist, old)
        if member is None:
            continue
        if is_banned(mlist, new) or find_member(mlist, new) is not None:
            kept.append(mlist.title)
            continue
        member.address = new
        member.save(update_fields=["address"])
        moved.append(mlist.title)
    if not moved:
        return Outcome(Status.NOT_MEMBER, new, f"{old} is a member of no list it could move from")
    detail = f"on {', '.join(moved)}" + (f"; {old} stays on {', '.join(kept)}, where {new} may not join" if kept else "")
    return Outcome(Status.ADDRESS_CHANGED, new, detail)


# --- acting -------------------------------------------------------------------------------------


def confirm(pending: Pending) -> Outcome:
    """Acts on a Pending row found by `find_pending` (subscribe, unsubscribe, invite, approvals).
    Exactly once: a second call with the same row, or a concurrent one, gets INVALID ("already used")."""
    mlist = pending.mailing_list
    with transaction.atomic():
        if not use_pending(pending):
            return Outcome(Status.INVALID, pending.address, "this link was already used")
        payload = dict(pending.payload)
        if pending.purpose in ("subscribe", "invite", "approve_subscribe"):
            if is_banned(mlist, pending.address):
                return Outcome(Status.BANNED, pending.address)
            if find_member(mlist, pending.address) is not None:
                return Outcome(Status.ALREADY, pending.address)
            if pending.purpose == "subscribe" and mlist.subscribe_policy == "confirm_moderate":
                return Outcome(_ask(mlist, "approve_subscribe", pending.address, payload), pending.address)
            _join(mlist, pending.address, payload)
            return Outcome(Status.SUBSCRIBED, pending.address)
        if pending.purpose in ("unsubscribe", "approve_unsubscribe"):
            if find_member(mlist, pending.address) is None:
                return Outcome(Status.NOT_MEMBER, pending.address)
            if pending.purpose == "unsubscribe" and mlist.unsubscribe_policy == "confirm_moderate":
                return Outcome(_ask(mlist, "approve_unsubscribe", pending.address, payload), pending.address)
            leave(mlist, pending.address, origin=str(payload.get("origin", "confirmed")))
            return Outcome(Status.UNSUBSCRIBED, pending.address)
        if pending.purpose == "change_address":
            return _change_address(pending)
    return Outcome(Status.INVALID, pending.address, f"a {pending.purpose} token is not confirmed here")


# --- owners' approvals -----------------------------------------------------------------------


def waiting_approval(mlist: MailingList) -> QuerySet[Pending]:
    """Requests to join or leave `mlist` that wait for an owner (unused, unexpired), oldest first."""
    rows = Pending.objects.filter(mailing_list=mlist, purpose__in=OWNER_PURPOSES, used_at__isnull=True,
                                  expires_at__gt=timezone.now())  # fmt: skip
    return rows.order_by("created_at", "id")


def approval_request(mlist: MailingList, pk: int) -> Pending | None:
    """The waiting request `pk` of `mlist` (for the owners' page, which names rows by id: the token
    itself went only to the owners' mailboxes)."""
    return waiting_approval(mlist).filter(pk=pk).select_related("mailing_list").first()


def refuse(pending: Pending, reason: str = "", *, notify: bool = True) -> Outcome:
    """An owner refuses a request to join or leave: the request is spent and, unless `notify` is
    False (Mailman's "discard"), the address is told, with the owner's reason when given. Exactly
    once, as `confirm`."""
    if pending.purpose not in OWNER_PURPOSES:
        return Outcome(Status.INVALID, pending.address, f"a {pending.purpose} token is not refused here")
    mlist = pending.mailing_list
    with transaction.atomic():
        if not use_pending(pending):
            return Outcome(Status.INVALID, pending.address, "this request was already decided")
        action = "join" if pending.purpose == "approve_subscribe" else "leave"
        if notify:
            send_notice(mlist, "request_refused", pending.address, address=pending.address, action=action,
                        reason=reason.strip() or "no reason was given")  # fmt: skip
    return Outcome(Status.REFUSED if notify else Status.DISCARDED, pending.address)


# An owner's decisions on a request to join or leave: "refuse" tells the address (with the reason),
# "discard" does not (Mailman's discard: for sign-ups by spammers, or forged on someone's behalf).
REQUEST_DECISIONS = ("approve", "refuse", "discard")


def decide_request(pending: Pending, decision: str, reason: str = "", *, by: str = "") -> Outcome:
    """An owner's `decision` (one of REQUEST_DECISIONS) on an approval request, recorded with who
    made it (RequestDecision) in the same transaction. INVALID, and nothing recorded, when the
    request was decided meanwhile. The requests page, the token API and a reply by mail call it."""
    if decision not in REQUEST_DECISIONS:
        raise ValueError(f"{decision!r} is not one of {', '.join(REQUEST_DECISIONS)}")
    if pending.purpose not in OWNER_PURPOSES:
        return Outcome(Status.INVALID, pending.address, f"a {pending.purpose} token is not decided by an owner")
    with transaction.atomic():
        if decision == "approve":
            outcome = confirm(pending)
        else:
            outcome = refuse(pending, reason, notify=decision == "refuse")
        if outcome.status != Status.INVALID:
            RequestDecision.objects.create(
                mailing_list_id=pending.mailing_list_id, address=pending.address, decision=decision,
                asks_to="join" if pending.purpose == "approve_subscribe" else "leave", outcome=outcome.status.value,
                reason="" if decision == "approve" else reason.strip(), decided_by=by[:320],
            )  # fmt: skip
    return outcome


def _join(mlist: MailingList, address: str, payload: dict[str, Any]) -> Member:
    try:
        name = valid_display_name(str(payload.get("display_name", "")))
    except ValueError:
        name = ""  # asked for before names were checked where they are given (an invitation sent then)
    member = add_member(mlist, address, display_name=name)
    mode = str(payload.get("delivery_mode", "regular"))
    if mode != member.delivery_mode:
        member.delivery_mode = mode
        member.save(update_fields=["delivery_mode"])
    if mlist.send_welcome:
        send_notice(mlist, "welcome", address, address=address, options_url=options_url(mlist))
    return member


def leave(mlist: MailingList, address: str, *, origin: str = "web", notify: bool = True) -> bool:
    """Removes the member row of `address` now (and its digest/options state with it); the goodbye
    notice unless the list turns it off. False when it was not a member."""
    with transaction.atomic():
        deleted, _ = Member.objects.filter(mailing_list=mlist, address=address, role=Role.MEMBER).delete()
        if deleted and notify and mlist.send_goodbye:
            send_notice(mlist, "goodbye", address, address=address, origin=origin)
    return bool(deleted)


def purge_expired(now: Any = None) -> int:
    """Deletes Pending rows past their expiry or used more than a day ago (the worker's timed job)."""
    now = now or timezone.now()
    deleted, _ = Pending.objects.filter(Q(expires_at__lte=now) | Q(used_at__lte=now - timedelta(days=1))).delete()
    return deleted
