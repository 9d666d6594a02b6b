"""Member addresses: syntax checked without the network, the domain compared without case."""

from __future__ import annotations

import pytest

from listhaven.lists.addresses import InvalidAddress, canonical_address, parse_named_address, sender_address
from listhaven.lists.post import parse_post_bytes
from tests.lists.messages import build


@pytest.mark.parametrize(("given", "stored"), [
    ("Ann@Example.ORG", "Ann@example.org"), (" <bob@example.net> ", "bob@example.net"),
    ("zoë@exämple.org", "zoë@exämple.org"), ("ann@no-such-domain-for-sure.invalid", None),
])  # fmt: skip
def test_canonical_address(given, stored):
    if stored is None:  # .invalid is a special-use domain: syntax checks refuse it
        with pytest.raises(InvalidAddress):
            canonical_address(given)
    else:
        assert canonical_address(given) == stored


@pytest.mark.parametrize("bad", ["", "ann", "ann@", "@example.org", "ann@@example.org", "ann example@x.org"])
def test_bad_syntax_is_refused_with_a_reason(bad):
    with pytest.raises(InvalidAddress, match=r"is not a valid address|empty"):
        canonical_address(bad)


def test_named_address():
    found = parse_named_address('"Ann Example" <ann@EXAMPLE.org>')
    assert (found.address, found.display_name) == ("ann@example.org", "Ann Example")
    assert parse_named_address("bob@example.net").display_name == ""


def test_sender_is_from_then_sender_then_envelope():
    assert sender_address(parse_post_bytes(build(sender="Ann <ann@EXAMPLE.org>"))) == "ann@example.org"
    no_from = parse_post_bytes(build(sender="", headers={"Sender": "bob@example.net"}))
    assert sender_address(no_from) == "bob@example.net"
    assert sender_address(parse_post_bytes(build(sender="")), "Zed@Elsewhere.example") == "Zed@elsewhere.example"
    assert sender_address(parse_post_bytes(build(sender=""))) == ""
