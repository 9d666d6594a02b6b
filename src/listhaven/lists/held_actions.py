"""A moderator's decisions that do more than decide one post (the web's held queue and replies by
mail call these): approve and stop moderating the sender, always discard or reject the sender's
posts, ban the sender. Each decides the post and changes the sender's standing in one transaction."""

from __future__ import annotations

from django.db import transaction

from listhaven.lists.members import set_nonmember_action
from listhaven.lists.models import Ban, HeldMessage, MailingList, Member
from listhaven.lists.moderation import DECISIONS, Decision, HeldNotFound, moderate
from listhaven.lists.post import POSTING_ROLES

# action → (the decision on the post, what becomes of the sender)
ACTIONS: dict[str, tuple[str, str]] = {
    **{d: (d, "") for d in DECISIONS},
    "accept_unmoderate": ("accept", "unmoderate"),
    "always_discard": ("discard", "discard"),
    "always_reject": ("reject", "reject"),
    "ban": ("discard", "ban"),
}
LABELS = {
    "accept": "Approve", "reject": "Reject", "discard": "Discard", "defer": "Defer",
    "accept_unmoderate": "Approve and stop moderating this sender", "always_discard": "Discard, and always discard this sender",
    "always_reject": "Reject, and always reject this sender", "ban": "Discard and ban this sender",
}  # fmt: skip


def act(mlist: MailingList, held_id: int, action: str, reason: str = "") -> Decision:
    """Applies `action` (a key of ACTIONS) to held post `held_id`. Raises HeldNotFound, ValueError."""
    if action not in ACTIONS:
        raise ValueError(f"{action!r} is not one of {', '.join(ACTIONS)}")
    decision, standing = ACTIONS[action]
    with transaction.atomic():
        sender = HeldMessage.objects.filter(mailing_list=mlist, pk=held_id).values_list("sender", flat=True).first()
        if sender is None:
            raise HeldNotFound(f"no held post #{held_id} on {mlist.address} (decided already?)")
        result = moderate(mlist, held_id, decision, reason)
        if standing and sender:
            change_standing(mlist, sender, standing)
    return result


def change_standing(mlist: MailingList, sender: str, standing: str) -> None:
    if standing == "ban":
        Ban.objects.get_or_create(mailing_list=mlist, pattern=sender, defaults={"reason": "banned by a moderator"})
        return
    rows = Member.objects.filter(mailing_list=mlist, address=sender, role__in=[r.value for r in POSTING_ROLES])
    if standing == "unmoderate" and rows.exists():
        rows.update(moderated=False)
    else:
        set_nonmember_action(mlist, sender, "accept" if standing == "unmoderate" else standing)
