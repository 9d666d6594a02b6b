"""Members of a list: adding, removing and finding addresses in their roles.

Every address goes through `canonical_address` (syntax checked, domain lower-cased), so a
lookup is an exact comparison. Subscription policies and confirmations come on top of this
(they call `add_member` once the address is confirmed).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from listhaven.lists.addresses import InvalidAddress, NamedAddress, canonical_address, parse_named_address
from listhaven.lists.models import MailingList, Member
from listhaven.lists.models.member import DELIVERY_MODES as MODE_CHOICES
from listhaven.lists.post import Role

NONMEMBER_ACTIONS = ("defer", "accept", "hold", "reject", "discard")
NAME_MAX = Member._meta.get_field("display_name").max_length or 200


@dataclass
class AddReport:
    added: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    invalid: list[tuple[str, str]] = field(default_factory=list)  # (what was given, why refused)


@dataclass
class RemoveReport:
    removed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    invalid: list[tuple[str, str]] = field(default_factory=list)


def add_members(
    mlist: MailingList, entries: Iterable[str], *, role: Role = Role.MEMBER, moderated: bool = False
) -> AddReport:
    """Adds each `Name <address>` or `address` in `role`, in one transaction; addresses already
    in that role are reported, not changed; invalid ones, and names valid_display_name refuses, are
    reported with the reason and not added. Existing rows
    are looked up and new ones inserted a chunk at a time (10,000 addresses: a few queries, not 20,000)."""
    report = AddReport()
    parsed: list[NamedAddress] = []
    for entry in entries:
        try:
            named = parse_named_address(entry)
            parsed.append(NamedAddress(named.address, valid_display_name(named.display_name)))
        except (InvalidAddress, ValueError) as exc:
            report.invalid.append((entry, str(exc)))
    with transaction.atomic():
        for start in range(0, len(parsed), _CHUNK):
            _add_chunk(mlist, parsed[start : start + _CHUNK], role, moderated, report)
    return report


_CHUNK = 500


def _add_chunk(mlist: MailingList, chunk: list[NamedAddress], role: Role, moderated: bool, report: AddReport) -> None:
    addresses = [named.address for named in chunk]
    seen = set(Member.objects.filter(mailing_list=mlist, role=role, address__in=addresses).values_list("address", flat=True))
    new = []
    for named in chunk:
        if named.address in seen:
            report.existing.append(named.address)
            continue
        seen.add(named.address)
        new.append(Member(mailing_list=mlist, address=named.address, role=role, display_name=named.display_name,
                          moderated=moderated))  # fmt: skip
        report.added.append(named.address)
    # A concurrent add of the same address wins; this one then changes nothing.
    Member.objects.bulk_create(new, ignore_conflicts=True)


def add_member(
    mlist: MailingList, address: str, *, role: Role = Role.MEMBER, display_name: str = "", moderated: bool = False
) -> Member:
    """The member row for `address` in `role`, created if missing. Raises InvalidAddress."""
    member, _ = _get_or_create(mlist, canonical_address(address), role, display_name, moderated)
    return member


def _get_or_create(
    mlist: MailingList, address: str, role: Role, display_name: str, moderated: bool
) -> tuple[Member, bool]:
    try:
        with transaction.atomic():  # a concurrent add of the same address: read the winner's row
            return Member.objects.get_or_create(
                mailing_list=mlist, address=address, role=role,
                defaults={"display_name": display_name, "moderated": moderated},
            )  # fmt: skip
    except IntegrityError:
        return Member.objects.get(mailing_list=mlist, address=address, role=role), False


def remove_members(mlist: MailingList, addresses: Iterable[str], *, role: Role = Role.MEMBER) -> RemoveReport:
    report = RemoveReport()
    with transaction.atomic():
        for given in addresses:
            try:
                address = canonical_address(given)
            except InvalidAddress as exc:
                report.invalid.append((given, str(exc)))
                continue
            deleted, _ = Member.objects.filter(mailing_list=mlist, address=address, role=role).delete()
            (report.removed if deleted else report.missing).append(address)
    return report


def find_member(mlist: MailingList, address: str, role: Role = Role.MEMBER) -> Member | None:
    """The row of `address` in `role`, or None (also for an address that is not valid)."""
    try:
        key = canonical_address(address)
    except InvalidAddress:
        return None
    return Member.objects.filter(mailing_list=mlist, address=key, role=role).first()


def roster(mlist: MailingList, role: Role | None = None) -> list[Member]:
    """The list's rows, owners first, then moderators, members and non-members; by address."""
    rows = Member.objects.filter(mailing_list=mlist)
    if role is not None:
        rows = rows.filter(role=role)
    order = {r: i for i, r in enumerate(Role)}
    return sorted(rows, key=lambda m: (order[Role(m.role)], m.address.lower()))


def set_nonmember_action(mlist: MailingList, address: str, action: str) -> Member:
    """Gives a non-member address its own action (accept/hold/reject/discard; defer: the list's)."""
    if action not in NONMEMBER_ACTIONS:
        raise ValueError(f"{action!r} is not one of {', '.join(NONMEMBER_ACTIONS)}")
    member = add_member(mlist, address, role=Role.NONMEMBER)
    member.action = action
    member.save(update_fields=["action"])
    return member


MEMBER_OPTIONS = ("moderated", "receive_own_posts", "acknowledge_posts", "hide_address")
DELIVERY_MODES = tuple(value for value, _ in MODE_CHOICES)
# Delivery turned back on: the bounce record starts again, as after the member's own re-enable link.
DELIVERY_ENABLED = {"delivery_status": "enabled", "disabled_reason": "", "bounce_score": 0.0, "last_bounce": None,
                    "bounce_disabled_at": None, "bounce_warnings_sent": 0, "bounce_next_step": None}  # fmt: skip


class RoleTaken(ValueError):
    """The address already holds that role on the list (one row per address and role)."""


def valid_display_name(name: str) -> str:
    """`name` as a member's display name: surrounding spaces dropped, empty for none. Raises ValueError
    when it is longer than NAME_MAX characters or holds a control character or a line break (it goes
    into From and To headers, the roster and the CSV export as one line)."""
    name = name.strip()
    if len(name) > NAME_MAX:
        raise ValueError(f"a name has at most {NAME_MAX} characters (this one has {len(name)})")
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in name):
        raise ValueError("a name may not hold control characters or line breaks")
    return name


def change_member(row: Member, *, role: str | None = None, delivery_mode: str | None = None,
                  options: dict[str, bool] | None = None, enable: bool = False, action: str | None = None,
                  display_name: str | None = None) -> Member:  # fmt: skip
    """Changes one roster row as an owner does (the members page and the API): its role, delivery
    mode, flags (MEMBER_OPTIONS), a non-member's `action` (what becomes of their posts: "defer" to the
    list's default), its `display_name` (valid_display_name) and, with `enable`, delivery turned back on
    whatever disabled it.
    Raises RoleTaken, or ValueError for an unknown role, mode, flag or action or a name that is not
    valid; nothing is saved then."""
    if display_name is not None:
        display_name = valid_display_name(display_name)
    if role is not None and role not in {r.value for r in Role}:
        raise ValueError(f"{role!r} is not one of {', '.join(r.value for r in Role)}")
    if action is not None and action not in NONMEMBER_ACTIONS:
        raise ValueError(f"{action!r} is not one of {', '.join(NONMEMBER_ACTIONS)}")
    if delivery_mode is not None and delivery_mode not in DELIVERY_MODES:
        raise ValueError(f"{delivery_mode!r} is not one of {', '.join(DELIVERY_MODES)}")
    unknown = set(options or {}) - set(MEMBER_OPTIONS)
    if unknown:
        raise ValueError(f"no member option named {', '.join(sorted(unknown))}")
    if enable:
        for name, value in DELIVERY_ENABLED.items():
            setattr(row, name, value)
    if delivery_mode is not None:
        row.delivery_mode = delivery_mode
    for name, value in (options or {}).items():
        setattr(row, name, bool(value))
    if action is not None:
        row.action = action
    if display_name is not None:
        row.display_name = display_name
    try:
        with transaction.atomic():
            if role is not None and role != row.role:
                if Member.objects.filter(mailing_list_id=row.mailing_list_id, address=row.address, role=role).exists():
                    raise RoleTaken(f"{row.address} is already {role} of this list")
                row.role = role
            row.save()
    except IntegrityError:  # the same role given to the address meanwhile
        raise RoleTaken(f"{row.address} is already {role} of this list") from None
    return row


def post_recipients(mlist: MailingList, poster: str = "") -> list[str]:
    """Addresses that get each post as it is sent (members with regular delivery, enabled), in the
    order they joined; without `poster` when that member chose not to receive their own posts."""
    rows = Member.objects.filter(
        mailing_list=mlist, role=Role.MEMBER, delivery_mode="regular", delivery_status="enabled"
    ).order_by("id").values_list("address", "receive_own_posts")
    return [address for address, own in rows.iterator(chunk_size=5000) if own or address != poster]


def read_address_file(lines: Iterable[str]) -> list[str]:
    """Entries of an address file: one `address` or `Name <address>` a line; blanks and # comments skipped."""
    return [s for line in lines if (s := line.strip()) and not s.startswith("#")]


def member_summary(member: Member) -> dict[str, object]:
    """A member as `listhaven members --json` shows it."""
    return {
        "address": member.address,
        "display_name": member.display_name,
        "role": member.role,
        "moderated": member.moderated,
        "action": member.action,
        "delivery_mode": member.delivery_mode,
        "delivery_status": member.delivery_status,
        "disabled_reason": member.disabled_reason,
        "receive_own_posts": member.receive_own_posts,
        "acknowledge_posts": member.acknowledge_posts,
        "hide_address": member.hide_address,
        "bounce_score": member.bounce_score,
        "subscribed_at": member.created_at.isoformat(),
    }
