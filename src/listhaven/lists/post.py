"""A post on its way through a list: the message and what each step learned about it.

The chain (`chain.py`) reads a `Post` and records its `Verdict`; the pipeline (`pipeline.py`)
turns an accepted post into the archived message and the outgoing copies. Everything a step
needs to know about the list or the sender is a typed field here, filled in once before the
chain runs (`standing.py`), so rules are plain functions over plain data.
"""

from __future__ import annotations

import copy
import email.policy
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from enum import StrEnum

from listhaven.mail.content_filter import ContentRules, Filtered, filter_content
from listhaven.mail.decorate import Mitigation
from listhaven.mail.identity import ListIdentity
from listhaven.mail.personalise import Template


class Action(StrEnum):
    """What becomes of a post."""

    ACCEPT = "accept"
    HOLD = "hold"
    REJECT = "reject"
    DISCARD = "discard"


class Kept(StrEnum):
    """Where a post that goes neither to the list nor back to its poster is kept whole."""

    QUARANTINE = "quarantine"  # for the site admin (Mailman's preserve)
    OWNERS = "owners"  # forwarded to the list's owners (Mailman's forward)


KEPT_SAYS = {Kept.QUARANTINE: "; kept whole in the quarantine", Kept.OWNERS: "; forwarded whole to the owners"}


def filter_outcome(filter_action: str, *, released: bool = False) -> tuple[Action, Kept | None]:
    """What becomes of a post content filtering leaves nothing of, by the list's filter_action: discard,
    reject or hold; forward and preserve are discarded from the list, the post kept whole with the
    owners or in the quarantine. A post a moderator `released` from the hold queue is not held again
    (the approval would bring it back for ever) nor dropped (the moderator wanted it sent): kept."""
    kept = {"forward": Kept.OWNERS, "preserve": Kept.QUARANTINE}.get(filter_action)
    action = Action.DISCARD if kept is not None else Action(filter_action)
    if released and kept is None and action != Action.REJECT:
        kept = Kept.QUARANTINE
        action = Action.DISCARD
    return action, kept


class Role(StrEnum):
    OWNER = "owner"
    MODERATOR = "moderator"
    MEMBER = "member"
    NONMEMBER = "nonmember"


# Roles whose posts are not "from a non-member".
POSTING_ROLES = frozenset({Role.OWNER, Role.MODERATOR, Role.MEMBER})


@dataclass(frozen=True, slots=True)
class Finding:
    """A rule's answer when it matches: what to do, and why (shown to moderators and posters)."""

    action: Action
    reason: str
    kept: Kept | None = None  # a discarded post kept whole all the same (content filtering's forward, preserve)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The chain's decision and the rule that gave it ("default" when none matched)."""

    action: Action
    rule: str
    reason: str


@dataclass(frozen=True, slots=True)
class Policy:
    """A list's moderation settings, as the rules read them (see lists/models/settings.py)."""

    list_address: str
    list_id: str  # RFC 2919 identifier: "local.domain"
    moderator_password: str = ""  # a Django password hash; empty: the approved rule never matches
    emergency: bool = False
    disabled_rules: frozenset[str] = frozenset()
    member_moderation_action: Action = Action.HOLD
    nonmember_action: Action = Action.HOLD
    max_message_kb: int = 0  # 0: no limit
    max_recipients: int = 0  # 0: no limit
    acceptable_aliases: tuple[str, ...] = ()  # addresses, or ^regex
    header_filters: tuple[str, ...] = ()  # regexes over "Name: value" header lines
    ban_patterns: tuple[str, ...] = ()  # this list's and the site's bans: addresses, or ^regex
    content_rules: ContentRules | None = None  # None: the list does not filter content
    filter_action: str = "discard"  # for a post content filtering leaves empty: discard, reject, hold, forward, preserve


@dataclass(frozen=True, slots=True)
class Standing:
    """What the list knows about the sender's address."""

    address: str
    roles: frozenset[Role] = frozenset()
    moderated: bool = False  # a member whose posts are moderated
    action: str = "defer"  # a non-member's own action: accept/hold/reject/discard, or defer to the list

    @property
    def may_post_as_member(self) -> bool:
        return bool(self.roles & POSTING_ROLES)


@dataclass(frozen=True, slots=True)
class Filtering:
    """The list's content filtering applied to a copy of the post, once (`Post.filtered`): the
    content-filter rule decides by it and the pipeline's filter-content handler sends the copy."""

    message: EmailMessage  # the copy, filtered in place (nothing of it is meant to go when result.empty)
    result: Filtered

    @property
    def reason(self) -> str:
        """Why a post filtering empties is stopped (shown to moderators and posters)."""
        removed = ", ".join(dict.fromkeys(self.result.removed)) or "every part"
        return f"the list does not pass what the message holds ({removed})"


@dataclass
class Post:
    """One message sent to a list's posting address."""

    raw: bytes  # as received (without a Received: line); never modified
    message: EmailMessage  # the working copy: the approved rule and the pipeline change it
    policy: Policy
    standing: Standing
    envelope_sender: str | None = None  # None: not known; "": the null sender (a bounce)
    origin: str = "lmtp"
    approved: bool = False  # a moderator approved it (password, or release from the hold queue)
    verdict: Verdict | None = None
    body_edited: bool = False  # the message body was changed (the approved rule's password line, content filtering)
    filtering: Filtering | None = None  # content filtering's result, kept by the first step that ran it
    kept: Kept | None = None  # not sent, but kept whole: in the quarantine or with the owners (content filtering)
    # What the pipeline learned and made:
    identity: ListIdentity | None = None
    mitigation: Mitigation = Mitigation.NONE
    archived_copy: bytes = b""  # the bytes given to the archive
    archive_outcome: str = ""  # stored, duplicate, quarantined
    archived_message_pk: int | None = None
    archived_url: str = ""  # the archive page (Archived-At)
    template: Template | None = None  # the decorated copy
    queued: int = 0  # recipients of the copies queued
    notes: list[str] = field(default_factory=list)

    @property
    def message_id(self) -> str:
        return str(self.message.get("Message-ID", "")).strip().strip("<>").strip()

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject", "") or "")

    def filtered(self) -> Filtering | None:
        """The list's content filtering of the message as it is now, run once whichever step asks
        first (the content-filter rule, else the pipeline); None when the list does not filter."""
        rules = self.policy.content_rules
        if rules is None:
            return None
        if self.filtering is None:
            working = copy.deepcopy(self.message)
            self.filtering = Filtering(working, filter_content(working, rules))
        return self.filtering

    def pipeline_input(self) -> bytes:
        """What decoration starts from: the bytes received, unless a step edited the body (header
        edits need no copy: decoration's cleanse removes the same fields)."""
        return message_bytes(self.message, self.raw) if self.body_edited else self.raw


def parse_post_bytes(raw: bytes) -> EmailMessage:
    """The working copy of a post. `email.policy.default` gives decoded header values and
    re-folds what the pipeline changes; the raw bytes stay the record of what was received."""
    message = BytesParser(policy=email.policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def header_values(message: EmailMessage, name: str) -> list[str]:
    """Every value of header `name`, unfolded, as sent (RFC 2047 words not decoded). Read from
    the raw items: the default policy's structured parsing can fail on hostile values."""
    wanted = name.lower()
    return [" ".join(str(v).split()) for k, v in message.raw_items() if k.lower() == wanted]


def first_header(message: EmailMessage, name: str) -> str:
    values = header_values(message, name)
    return values[0] if values else ""


def message_bytes(message: EmailMessage, like: bytes) -> bytes:
    """The working copy as bytes, with the line endings of `like` (the bytes received). Header
    lines the pipeline did not touch are written as they came (not re-folded)."""
    linesep = "\r\n" if b"\r\n" in like[:4096] else "\n"
    return message.as_bytes(policy=email.policy.default.clone(linesep=linesep, refold_source="none"))
