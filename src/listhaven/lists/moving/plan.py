"""What a moved list becomes, whatever it came from: the list row's fields, its people with their
options, and the report so far. `apply.apply_plan` creates it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from listhaven.lists.moving.report import MoveReport


@dataclass
class MemberPlan:
    address: str
    display_name: str = ""
    delivery_mode: str = "regular"
    delivery_status: str = "enabled"
    disabled_reason: str = ""
    receive_own_posts: bool = True
    acknowledge_posts: bool = False
    hide_address: bool = False
    moderated: bool = False
    bounce_score: float = 0.0


@dataclass
class RequestPlan:
    """A request to join or leave that waited for the old list's owners: it waits for them here."""

    address: str
    leave: bool = False
    display_name: str = ""
    delivery_mode: str = "regular"
    since: str = ""  # when it was made, as the old list said (for the report)


@dataclass
class HeldPlan:
    """A post held for the old list's moderators, with its bytes: held here for them."""

    raw: bytes
    sender: str = ""
    subject: str = ""
    message_id: str = ""
    reason: str = ""


@dataclass
class ListPlan:
    """What the list becomes: its row's fields, its people, and the report's notes so far."""

    address: str
    fields: dict[str, Any]
    members: list[MemberPlan] = field(default_factory=list)
    owners: list[str] = field(default_factory=list)
    moderators: list[str] = field(default_factory=list)
    bans: list[str] = field(default_factory=list)
    nonmember_actions: list[tuple[str, str]] = field(default_factory=list)  # (address, action)
    old_name: str = ""  # the name the old links carry (Mailman 2's /pipermail/NAME/, /mailman/listinfo/NAME)
    requests: list[RequestPlan] = field(default_factory=list)
    held: list[HeldPlan] = field(default_factory=list)
    report: MoveReport = field(default_factory=lambda: MoveReport(""))
