"""VERP return paths: the member's address survives the trip out and back."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from listhaven.mail.verp import format_address, verp_decode, verp_encode

BOUNCES = "marxism-bounces@lists.example.org"


@pytest.mark.parametrize(
    ("member", "verp"),
    [
        ("bob@example.com", "marxism-bounces+bob=example.com@lists.example.org"),
        ("bob+lists@example.com", "marxism-bounces+bob+lists=example.com@lists.example.org"),
        ("a=b@example.com", "marxism-bounces+a=b=example.com@lists.example.org"),
        ("Bob.Smith@Example.COM", "marxism-bounces+Bob.Smith=Example.COM@lists.example.org"),
        ('"john doe"@example.com', '"marxism-bounces+john doe=example.com"@lists.example.org'),
        ('"a\\"b"@example.com', '"marxism-bounces+a\\"b=example.com"@lists.example.org'),
        ("user@[192.0.2.1]", '"marxism-bounces+user=[192.0.2.1]"@lists.example.org'),
        ("ünï@example.com", "marxism-bounces+ünï=example.com@lists.example.org"),
    ],
)
def test_encode_and_decode(member, verp):
    assert verp_encode(BOUNCES, member) == verp
    decoded = verp_decode(verp, "marxism-bounces")
    local, _, domain = member.rpartition("@")
    assert decoded == f"{local}@{domain if domain.startswith('[') else domain.lower()}"


def test_decode_ignores_case_of_the_list_part_and_lowercases_the_domain():
    assert verp_decode("MARXISM-Bounces+Bob=EXAMPLE.com@Lists.Example.ORG", "marxism-bounces") == "Bob@example.com"


def test_decode_accepts_angle_brackets_and_quoting_where_none_was_needed():
    assert verp_decode("<marxism-bounces+bob=example.com@lists.example.org>", "marxism-bounces") == "bob@example.com"
    assert verp_decode('"marxism-bounces+bob=example.com"@lists.example.org', "marxism-bounces") == "bob@example.com"


@pytest.mark.parametrize(
    "recipient",
    [
        "marxism-bounces@lists.example.org",  # no member: a plain bounce to the list
        "other-bounces+bob=example.com@lists.example.org",  # another list
        "marxism-bounces-x+bob=example.com@lists.example.org",
        "marxism-bounces+bob@lists.example.org",  # no '='
        "marxism-bounces+=example.com@lists.example.org",  # empty local part
        "marxism-bounces+bob=@lists.example.org",  # empty domain
        "marxism-bounces+bob=exa mple.com@lists.example.org",
        "marxism-bounces+bob=example.com",  # no '@'
        "",
        '""@lists.example.org',
        '"marxism-bounces+bob=example.com\\"@lists.example.org',
    ],
)
def test_decode_refuses_what_is_not_a_verp_address_of_this_list(recipient):
    assert verp_decode(recipient, "marxism-bounces") is None


@pytest.mark.parametrize(
    ("bounces", "member"),
    [
        ("marxism-bounces@lists.example.org", "no-at-sign"),
        ("marxism-bounces@lists.example.org", "bob@"),
        ("marxism-bounces@lists.example.org", "@example.com"),
        ("marxism-bounces@lists.example.org", "bob@exa=mple.com"),
        ("marxism-bounces@lists.example.org", "bob\r\n@example.com"),
        ("marxism+x-bounces@lists.example.org", "bob@example.com"),
        ("lists.example.org", "bob@example.com"),
    ],
)
def test_encode_refuses_what_it_could_not_decode(bounces, member):
    with pytest.raises(ValueError):
        verp_encode(bounces, member)


_ATEXT = st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~-é")
_ATOM = st.text(_ATEXT, min_size=1, max_size=12)
_LABEL = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789-"), min_size=1, max_size=10)
_DOMAIN = st.lists(_LABEL, min_size=1, max_size=4).map(".".join)


@given(local=st.lists(_ATOM, min_size=1, max_size=4).map(".".join), domain=_DOMAIN)
def test_round_trip_dot_atom_addresses(local, domain):
    member = f"{local}@{domain}"
    verp = verp_encode(BOUNCES, member)
    assert verp.endswith("@lists.example.org")
    assert verp_decode(verp, "marxism-bounces") == member


@given(
    local=st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=30),
    domain=_DOMAIN,
)
def test_round_trip_any_local_part_quoted_as_needed(local, domain):
    member = format_address(local, domain)
    verp = verp_encode(BOUNCES, member)
    assert verp_decode(verp, "marxism-bounces") == member
    assert verp_decode(verp, "MARXISM-BOUNCES") == member
