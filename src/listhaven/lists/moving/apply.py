"""Creating the moved list from a `ListPlan` (Mailman 2 or 3), in one transaction: the list, its
settings, owners, moderators, members with their options, bans and non-member actions all
appear together or not at all."""

from __future__ import annotations

from dataclasses import asdict

from django.db import transaction

from listhaven.lists.addresses import InvalidAddress, canonical_address
from listhaven.lists.directory import create_list
from listhaven.lists.models import Ban, MailingList, Member
from listhaven.lists.moving.plan import ListPlan

_CREATE_FIELDS = ("description", "display_name", "subject_tag", "is_private", "archive_policy")


def apply_plan(plan: ListPlan) -> MailingList:
    """The new list. Raises ValueError (the list exists, an invalid list address) with nothing created."""
    with transaction.atomic():
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
        rows: dict[tuple[str, str], Member] = {}
        for role, addresses in (("owner", plan.owners), ("moderator", plan.moderators)):
            for given in addresses:
                _row(plan, rows, given, role, {})
        for member in plan.members:
            values = asdict(member)
            _row(plan, rows, values.pop("address"), "member", values)
        for given, action in plan.nonmember_actions:
            _row(plan, rows, given, "nonmember", {"action": action})
        for row in rows.values():
            row.mailing_list = mlist
        Member.objects.bulk_create(rows.values(), batch_size=1000)
        patterns = dict.fromkeys(b if b.startswith("^") else b.lower() for b in plan.bans)
        Ban.objects.bulk_create([Ban(mailing_list=mlist, pattern=p, reason=f"banned on {plan.report.source}")
                                 for p in patterns])  # fmt: skip
    return mlist


def _row(plan: ListPlan, rows: dict[tuple[str, str], Member], given: str, role: str, values: dict) -> None:
    try:
        address = canonical_address(given)
    except InvalidAddress as exc:
        plan.report.problems.append(f"{role} {given!r} not imported: {exc}")
        return
    if (address, role) in rows:
        return
    rows[(address, role)] = Member(address=address, role=role, **values)
