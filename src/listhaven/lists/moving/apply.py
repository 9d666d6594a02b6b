"""Creating the moved list from a `ListPlan` (Mailman 2 or 3), in one transaction: the list, its
settings, owners, moderators, members with their options, bans and non-member actions all
appear together or not at all.

Moving again into the list (``import-list ... --update``: a first move to try things, then the
final one when the old host stops; or a move whose archive failed half-way) adds only what the
list lacks: people whose address and role are not on it yet and bans it does not have. What is
here already is left as it is (settings, members' options changed since, people who left)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from listhaven.archive.compression import compress
from listhaven.lists.addresses import InvalidAddress, canonical_address
from listhaven.lists.directory import create_list
from listhaven.lists.members import valid_display_name
from listhaven.lists.models import Ban, HeldMessage, MailingList, Member, Pending, PostRecord
from listhaven.lists.moving.plan import ListPlan
from listhaven.lists.subscriptions import create_pending

_CREATE_FIELDS = ("description", "display_name", "subject_tag", "is_private", "archive_policy")


def apply_plan(plan: ListPlan, update: bool = False) -> MailingList:
    """The new list, or with `update` the existing one with what it lacked added. Raises
    ValueError (the list exists and `update` is false, an invalid list address) with nothing created."""
    with transaction.atomic():
        existing = MailingList.objects.filter(address=plan.address.strip().lower()).first()
        if existing is not None and not update:
            raise ValueError(f"list {existing.address} exists already; to move it again (adding only the people, "
                             "bans and messages it does not have yet) give --update")  # fmt: skip
        mlist = existing if existing is not None else _create(plan)
        rows: dict[tuple[str, str], Member] = {}
        for role, addresses in (("owner", plan.owners), ("moderator", plan.moderators)):
            for given in addresses:
                _row(plan, rows, given, role, {})
        for member in plan.members:
            values = asdict(member)
            _row(plan, rows, values.pop("address"), "member", values)
        for given, action in plan.nonmember_actions:
            _row(plan, rows, given, "nonmember", {"action": action})
        patterns = list(dict.fromkeys(b if b.startswith("^") else b.lower() for b in plan.bans))
        if existing is not None:
            here = {(a.lower(), r) for a, r in Member.objects.filter(mailing_list=mlist).values_list("address", "role")}
            rows = {key: row for key, row in rows.items() if (key[0].lower(), key[1]) not in here}
            banned = set(Ban.objects.filter(mailing_list=mlist).values_list("pattern", flat=True))
            patterns = [p for p in patterns if p not in banned]
            _note_update(plan, rows, patterns)
            source = {_canonical_or_none(m.address) for m in plan.members}
            gone = sorted(a for a, r in here if r == "member" and a not in source)
            if gone:
                shown = ", ".join(gone[:20]) + (" ..." if len(gone) > 20 else "")
                plan.report.problems.append(
                    f"{len(gone)} members here are not members of the old list (they left it since the first move, "
                    f"or joined here): {shown}; they were kept: remove those who left with "
                    "'listhaven members remove LIST ADDRESS...'")  # fmt: skip
        for row in rows.values():
            row.mailing_list = mlist
            row.display_name = _name(plan, row.address, row.display_name)
        Member.objects.bulk_create(rows.values(), batch_size=1000)
        Ban.objects.bulk_create([Ban(mailing_list=mlist, pattern=p, reason=f"banned on {plan.report.source}")
                                 for p in patterns])  # fmt: skip
        _requests(plan, mlist)
        _held(plan, mlist)
        _note_name(plan, mlist)
    return mlist


def _note_name(plan: ListPlan, mlist: MailingList) -> None:
    """The old links name the list by Mailman's name: they reach it only if it is its name here."""
    if not plan.old_name or plan.old_name == mlist.name:
        return
    other = MailingList.objects.filter(name=plan.old_name).values_list("address", flat=True).first()
    lead = f"lead to {other}, the list named {plan.old_name!r} here" if other else "answer 404"
    plan.report.problems.append(
        f"the list's name here is {mlist.name!r}, not {plan.old_name!r}: the old links (/pipermail/{plan.old_name}/..., "
        f"/mailman/listinfo/{plan.old_name}) {lead}; keep the name (--address {plan.old_name}@...) where they "
        "must land")  # fmt: skip


def _requests(plan: ListPlan, mlist: MailingList) -> None:
    """The old owners' waiting requests wait for the owners here (the owners' requests page); no
    notice is sent: they were told by the old list. A request already waiting here, a join by a
    member or a leave by someone not on the list is not made again."""
    if not plan.requests:
        return
    members = {a.lower() for a in Member.objects.filter(mailing_list=mlist, role="member").values_list("address", flat=True)}
    waiting = set(Pending.objects.filter(mailing_list=mlist, purpose__in=("approve_subscribe", "approve_unsubscribe"),
                                         used_at__isnull=True).values_list("purpose", "address"))  # fmt: skip
    made = 0
    for request in plan.requests:
        address = _canonical_or_none(request.address)
        purpose = "approve_unsubscribe" if request.leave else "approve_subscribe"
        if address is None or (purpose, address) in waiting or (address in members) == (not request.leave):
            continue
        create_pending(mlist, purpose, address, {"display_name": _name(plan, address, request.display_name),
                                                 "delivery_mode": request.delivery_mode,
                                                 "origin": f"moved from {plan.report.source}"})  # fmt: skip
        waiting.add((purpose, address))
        made += 1
    plan.report.imported.append(f"{made} of {len(plan.requests)} requests to join or leave that waited for the "
                                "owners wait for them here (the list's requests page)")  # fmt: skip


def _held(plan: ListPlan, mlist: MailingList) -> None:
    """The old list's held posts, held here for the moderators (the list's held page), without
    notices (the posters and moderators were told by the old list). A post held here already, or
    decided here since (the same Message-ID), is not held again."""
    if not plan.held:
        return
    here = set(HeldMessage.objects.filter(mailing_list=mlist).values_list("message_id", flat=True))
    here |= set(PostRecord.objects.filter(mailing_list=mlist).exclude(message_id="").values_list("message_id", flat=True))
    now = timezone.now()
    rows = []
    for post in plan.held:
        if post.message_id and post.message_id in here:
            continue
        here.add(post.message_id)
        rows.append(HeldMessage(mailing_list=mlist, data=compress(post.raw), size=len(post.raw), sender=post.sender[:320],
                                subject=post.subject[:998], message_id=post.message_id[:998], rule="moved",
                                reason=f"held in {plan.report.source}: {post.reason}".strip(": "), held_at=now,
                                expires_at=now + timedelta(days=mlist.hold_days)))  # fmt: skip
    HeldMessage.objects.bulk_create(rows)
    plan.report.imported.append(f"{len(rows)} of {len(plan.held)} held posts, held here for the moderators "
                                f"(expiring in {mlist.hold_days} days)")  # fmt: skip


def _create(plan: ListPlan) -> MailingList:
    fields = dict(plan.fields)
    # The archive policy is set as the list is created, before any message arrives: an import
    # into a private list is never readable, not even half-way.
    mlist = create_list(plan.address, description=fields["description"], display_name=fields["display_name"],
                        subject_tag=fields["subject_tag"], private=fields["is_private"],
                        archive_policy=fields.get("archive_policy"))  # fmt: skip
    for name, value in fields.items():
        if name not in _CREATE_FIELDS:
            setattr(mlist, name, value)
    mlist.save()
    return mlist


def _note_update(plan: ListPlan, added: dict[tuple[str, str], Member], bans: list[str]) -> None:
    counts = {role: sum(1 for _, r in added if r == role) for role in ("owner", "moderator", "member", "nonmember")}
    plan.report.imported.insert(0, (
        f"the list was here already (--update): its settings and the people on it were left as they are; added "
        f"{counts['member']} members, {counts['owner']} owners, {counts['moderator']} moderators, "
        f"{counts['nonmember']} non-member actions and {len(bans)} bans it did not have"))  # fmt: skip


def _canonical_or_none(given: str) -> str | None:
    try:
        return canonical_address(given).lower()
    except InvalidAddress:
        return None


def _row(plan: ListPlan, rows: dict[tuple[str, str], Member], given: str, role: str, values: dict) -> None:
    try:
        address = canonical_address(given)
    except InvalidAddress as exc:
        plan.report.problems.append(f"{role} {given!r} not imported: {exc}")
        return
    if (address, role) in rows:
        return
    rows[(address, role)] = Member(address=address, role=role, **values)


def _name(plan: ListPlan, address: str, given: str) -> str:
    """`given` as a name here (lists/members.valid_display_name), or none: the old list kept any name
    (Mailman 2 any length, tabs and line breaks included). The person is moved all the same, without
    the name, and the report says why."""
    try:
        return valid_display_name(given)
    except ValueError as exc:
        plan.report.problems.append(f"the name of {address} was not kept: {exc}")
        return ""
