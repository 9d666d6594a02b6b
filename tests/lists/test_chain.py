"""The chain's one loop: order, first match wins, rules turned off, the default verdict."""

from __future__ import annotations

import pytest

from listhaven.lists.chain import CHAIN, RULE_NAMES, run_chain
from listhaven.lists.post import Action, Finding, Post
from listhaven.lists.rules import Rule
from tests.lists.messages import build, make_post, stranger


def test_every_rule_has_a_unique_name_and_a_description():
    assert len(RULE_NAMES) == len(CHAIN)
    assert all(r.description.strip() for r in CHAIN)


def test_a_members_ordinary_post_is_accepted_by_default():
    post = make_post(max_message_kb=40, max_recipients=10)
    verdict = run_chain(post)
    assert (verdict.action, verdict.rule) == (Action.ACCEPT, "default")
    assert post.verdict == verdict


def test_the_first_matching_rule_decides():
    # emergency comes before the non-member rule: its reason is the one recorded
    post = make_post(standing=stranger(), emergency=True, nonmember_action=Action.REJECT)
    verdict = run_chain(post)
    assert (verdict.action, verdict.rule) == (Action.HOLD, "emergency")


def test_a_rule_turned_off_is_skipped():
    post = make_post(build(subject=None), disabled_rules=frozenset({"no-subject"}))
    assert run_chain(post).rule == "default"
    assert run_chain(make_post(build(subject=None))).rule == "no-subject"


def test_a_loop_is_discarded_even_from_a_stranger():
    post = make_post(build(headers={"X-BeenThere": "garden@lists.example.org"}), standing=stranger())
    assert (run_chain(post).action, post.verdict.rule) == (Action.DISCARD, "loop")


def test_an_approved_post_skips_the_chain():
    post = make_post(standing=stranger(), emergency=True)
    post.approved = True
    assert run_chain(post).action == Action.ACCEPT


@pytest.mark.parametrize("action", list(Action))
def test_the_loop_runs_any_ordered_rule_list(action):
    seen = []

    def first(post: Post) -> Finding | None:
        seen.append("first")
        return None

    def second(post: Post) -> Finding | None:
        seen.append("second")
        return Finding(action, "because")

    def third(post: Post) -> Finding | None:  # never reached
        seen.append("third")
        return None

    chain = [Rule("first", "-", first), Rule("second", "-", second), Rule("third", "-", third)]
    verdict = run_chain(make_post(), chain)
    assert (verdict.action, verdict.rule, verdict.reason) == (action, "second", "because")
    assert seen == ["first", "second"]
