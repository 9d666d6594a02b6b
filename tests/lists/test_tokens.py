"""Signed address tokens: accepted when genuine, refused for every way they can be wrong."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from listhaven.lists.tokens import MAX_CLOCK_SKEW, _decode, _encode, check_token, make_token, token_issued

OLD = b"o" * 32
NEW = b"n" * 32
DAY = 86_400
T0 = 1_790_000_000
ADDRESS = "Bob.Smith+lists@Example.ORG"


def _check(token: str, keys=(NEW,), purpose="unsubscribe", list_id=7, now=T0 + 60, max_age=30 * DAY, **kw):
    return check_token(keys, token, purpose, list_id, max_age=max_age, now=now, **kw)


def test_a_genuine_token_gives_back_its_address():
    token = make_token([NEW], "unsubscribe", 7, ADDRESS, T0)
    assert _check(token) == ADDRESS
    assert token_issued(token) == T0


def test_token_is_safe_in_urls_subjects_and_local_parts():
    token = make_token([NEW], "unsubscribe", 7, "ünïcode@example.org", T0)
    assert set(token) <= set(string.hexdigits.lower())
    assert _check(token) == "ünïcode@example.org"
    # Mail software that upper-cases an address does not break it.
    assert _check(token.upper()) == "ünïcode@example.org"


def test_refused_after_expiry_and_accepted_up_to_it():
    token = make_token([NEW], "unsubscribe", 7, ADDRESS, T0)
    assert _check(token, now=T0 + 30 * DAY) == ADDRESS
    assert _check(token, now=T0 + 30 * DAY + 1) is None


def test_refused_when_issued_in_the_future_beyond_clock_skew():
    token = make_token([NEW], "unsubscribe", 7, ADDRESS, T0)
    assert _check(token, now=T0 - MAX_CLOCK_SKEW) == ADDRESS
    assert _check(token, now=T0 - MAX_CLOCK_SKEW - 1) is None


def test_refused_for_another_list():
    token = make_token([NEW], "unsubscribe", 7, ADDRESS, T0)
    assert _check(token, list_id=8) is None
    assert _check(token, list_id="marxism") is None
    # The id's text is what is signed: 7 and "7" are the same list.
    assert _check(token, list_id="7") == ADDRESS


def test_refused_for_another_purpose():
    token = make_token([NEW], "unsubscribe", 7, ADDRESS, T0)
    assert _check(token, purpose="confirm") is None
    confirm = make_token([NEW], "confirm", 7, ADDRESS, T0)
    assert _check(confirm) is None
    assert _check(confirm, purpose="confirm") == ADDRESS


def test_purpose_and_list_cannot_be_shifted_into_each_other():
    token = make_token([NEW], "unsub", "scribe7", ADDRESS, T0)
    assert check_token([NEW], token, "unsubscribe", 7, max_age=DAY, now=T0) is None


@pytest.mark.parametrize("position", [0, 5, 12, 20, -3, -1])
def test_refused_when_any_character_is_changed(position):
    token = make_token([NEW], "unsubscribe", 7, ADDRESS, T0)
    index = position % len(token)
    for replacement in "0a7f":
        if replacement != token[index]:
            tampered = token[:index] + replacement + token[index + 1 :]
            assert _check(tampered) is None, (index, replacement)


def test_only_the_canonical_spelling_is_accepted():
    token = make_token([NEW], "unsubscribe", 7, ADDRESS, T0)
    assert _check(f" {token}\n") == ADDRESS  # pasted with surrounding space
    assert _check(token[:10] + " " + token[10:]) is None


def test_refused_when_the_address_inside_is_swapped():
    mine = make_token([NEW], "unsubscribe", 7, "bob@example.org", T0)
    other = make_token([NEW], "unsubscribe", 7, "eve@example.org", T0)
    # Splice the other token's address into mine: the tag no longer matches.
    a, b = _decode(mine), _decode(other)
    assert a is not None and b is not None
    spliced = _encode(b[:-16] + a[-16:])
    assert _check(spliced) is None


@pytest.mark.parametrize("junk", ["", "x", "not a token!", "=" * 40, "a" * 2000, "é" * 30, "ab=cd"])
def test_malformed_tokens_are_refused_without_error(junk):
    assert _check(junk) is None
    assert token_issued(junk) is None


def test_expected_address_must_match_with_domain_case_ignored():
    token = make_token([NEW], "unsubscribe", 7, ADDRESS, T0)
    assert _check(token, expected="Bob.Smith+lists@example.org") == ADDRESS
    assert _check(token, expected="bob.smith+lists@example.org") is None
    assert _check(token, expected="eve@example.org") is None


def test_rotation_old_tokens_accepted_during_grace_and_refused_after():
    old_token = make_token([OLD], "unsubscribe", 7, ADDRESS, T0)
    # Rotation: the new key signs, the old one stays in the list for a while.
    assert _check(old_token, keys=[NEW, OLD]) == ADDRESS
    new_token = make_token([NEW, OLD], "unsubscribe", 7, ADDRESS, T0)
    assert _check(new_token, keys=[NEW]) == ADDRESS
    assert _check(new_token, keys=[OLD]) is None
    # Grace over: the old key is dropped, its tokens die.
    assert _check(old_token, keys=[NEW]) is None


def test_keys_and_arguments_are_checked():
    with pytest.raises(ValueError):
        make_token([], "unsubscribe", 7, ADDRESS, T0)
    with pytest.raises(ValueError):
        make_token([b"short"], "unsubscribe", 7, ADDRESS, T0)
    with pytest.raises(ValueError):
        make_token([NEW], "", 7, ADDRESS, T0)
    with pytest.raises(ValueError):
        make_token([NEW], "unsubscribe", 7, "", T0)
    with pytest.raises(ValueError):
        make_token([NEW], "unsubscribe", 7, "a" * 321, T0)
    with pytest.raises(ValueError):
        check_token([], "abc", "unsubscribe", 7, max_age=DAY, now=T0)


def test_tokens_of_the_same_address_differ_by_issue_time_and_key():
    a = make_token([NEW], "unsubscribe", 7, ADDRESS, T0)
    b = make_token([NEW], "unsubscribe", 7, ADDRESS, T0 + 1)
    c = make_token([OLD], "unsubscribe", 7, ADDRESS, T0)
    assert len({a, b, c}) == 3


def test_importable_without_django():
    import subprocess
    import sys

    code = "import sys, listhaven.lists.tokens; assert 'django' not in sys.modules"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


@given(
    address=st.text(min_size=1, max_size=80),
    list_id=st.one_of(st.integers(min_value=0), st.text(max_size=20)),
    issued=st.integers(min_value=0, max_value=2**40 - 1),
)
def test_round_trip_for_any_address_list_and_time(address, list_id, issued):
    token = make_token([NEW, OLD], "unsubscribe", list_id, address, issued)
    assert check_token([OLD, NEW], token, "unsubscribe", list_id, max_age=10, now=issued + 10) == address
