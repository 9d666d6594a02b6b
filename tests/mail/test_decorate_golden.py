"""Golden files for decoration: each post shape of tests/support/posts.py beside what `decorate` makes of it.

The input ``NAME.eml`` is written by its generator and the expected ``NAME.decorated.eml`` is the
personalised template (markers included, so the diff shows where each member's values go). Regenerate with
``pytest --regen-golden tests/mail/test_decorate_golden.py`` and review ``git diff``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from listhaven.mail.decorate import Mitigation, decorate
from listhaven.mail.identity import ListIdentity, ReplyTo
from tests.support import posts

GOLDEN = Path(__file__).parent / "golden" / "decorate"
IDENTITY = ListIdentity(
    address=posts.LIST_ADDRESS,
    display_name="Harbour Dev",
    subject_tag="[Harbour-dev]",
    description="Harbour developers",
    listinfo_url="https://lists.example.org/listinfo/harbour-dev",
    archive_url="https://lists.example.org/harbour-dev/",
    footer=(
        "_______________________________________________\n"
        "{list_name} mailing list -- {list_address}\n"
        "Leave the list: {unsubscribe_url}\n"
        "Your options ({member_address}): {options_url}\n"
    ),
)
ARCHIVED_AT = "https://lists.example.org/harbour-dev/message/UQ2B6MLA2DNSCM7V5DVW6XWXQDRVL4UU/"
CASES = {name: (make, IDENTITY, Mitigation.NONE, True) for name, make in posts.SHAPES.items()}
CASES |= {
    "plain-munged-reply-to-list": (posts.plain_post, replace(IDENTITY, reply_to=ReplyTo.LIST), Mitigation.MUNGE_FROM,
                                   True),
    "signed-wrapped": (posts.signed_post, IDENTITY, Mitigation.WRAP, True),
    "alternative-bulk": (posts.alternative_post, IDENTITY, Mitigation.NONE, False),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_decorated_post_matches_its_golden_file(name: str, golden) -> None:
    make, identity, mitigation, personal = CASES[name]
    raw = make()
    golden.check(GOLDEN / f"{name}.eml", raw)
    template = decorate(raw, identity, personal=personal, archived_at=ARCHIVED_AT, mitigation=mitigation)
    golden.check(GOLDEN / f"{name}.decorated.eml", template.data)
