"""The moderation chain: the ordered rules and the one loop that runs them.

The first rule that matches decides the post (accept, hold, reject or discard); a post no rule
stops is accepted. The order is Mailman 3's default posting chain: the moderator's approval
first, then what must stop a post whatever its sender (emergency, loops, bans), then who the
sender is, then what is wrong with the message itself.
"""

from __future__ import annotations

from collections.abc import Sequence

from listhaven.lists import rules
from listhaven.lists.post import Action, Post, Verdict
from listhaven.lists.rules import Rule

CHAIN: tuple[Rule, ...] = (
    rules.approved,
    rules.emergency,
    rules.loop,
    rules.banned,
    rules.member_moderation,
    rules.nonmember,
    rules.administrivia,
    rules.implicit_destination,
    rules.max_recipients,
    rules.max_size,
    rules.no_subject,
    rules.suspicious_header,
    rules.content_filter,
)

RULE_NAMES = frozenset(r.name for r in CHAIN)
DEFAULT_RULE = "default"


def run_chain(post: Post, chain: Sequence[Rule] = CHAIN) -> Verdict:
    """Decides `post`, records the verdict on it and returns it. Rules the list has turned off
    (`disabled_rules`) are skipped; a post already approved skips the chain."""
    if post.approved:
        post.verdict = Verdict(Action.ACCEPT, "approved", "released by a moderator")
        return post.verdict
    for rule in chain:
        if rule.name in post.policy.disabled_rules:
            continue
        finding = rule.check(post)
        if finding is not None:
            post.verdict, post.kept = Verdict(finding.action, rule.name, finding.reason), finding.kept
            return post.verdict
    post.verdict = Verdict(Action.ACCEPT, DEFAULT_RULE, "no rule stopped the post")
    return post.verdict
