"""The address-list fast path gives exactly what `email.utils.getaddresses` gives, or steps aside.

`_simple_list` answers for plain To/Cc values and returns None for anything else, which then goes
to the standard parser. Checked on generated values (plain ones, which it must take, and soups of
the characters that matter to the grammar) and on every From/To/Cc value of the shared corpora.
"""

from __future__ import annotations

from collections.abc import Iterator
from email.utils import getaddresses
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from listhaven.mail.addresses import _make, _simple_list, parse_address, parse_address_list
from listhaven.mail.headers import split_message
from listhaven.mail.sources import open_source

CORPORA = Path(__file__).resolve().parents[2] / "../shared/corpora"
MANY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
if settings._current_profile == "long":
    MANY = settings(settings.get_profile("long"))

# Letters, digits, the atext punctuation, non-ASCII letters and whitespace that is not space/tab.
WORD_CHARS = "abcXYZ019!#$%&'*+-/=?^_`{|}~é€\u00a0\x0b"
atom = st.text(WORD_CHARS, min_size=1, max_size=8)
address_atom = st.text(WORD_CHARS.replace("\u00a0", "").replace("\x0b", ""), min_size=1, max_size=8)
dot_atom = st.lists(address_atom, min_size=1, max_size=3).map(".".join)
addr_spec = st.builds(lambda local, domain: f"{local}@{domain}", dot_atom, dot_atom)
space = st.sampled_from(["", " ", "  ", "\t", " \t "])
quoted = st.text(WORD_CHARS + " ,.<>@:;()[]\t", max_size=12).map(lambda s: f'"{s}"')
phrase_word = st.one_of(atom, quoted, st.sampled_from(["J.", ".", "Jr.", "=?utf-8?q?J=C3=B6rg?="]))
phrase = st.lists(st.tuples(space, phrase_word), min_size=1, max_size=4).map(
    lambda words: "".join(gap + word for gap, word in words)
)
plain_item = st.one_of(
    addr_spec,
    addr_spec.map(lambda a: f"<{a}>"),
    st.builds(lambda p, gap, a: f"{p}{gap}<{a}>", phrase, space, addr_spec),
)
plain_list = st.lists(st.tuples(space, plain_item, space), min_size=1, max_size=40).map(
    lambda items: ",".join(a + item + b for a, item, b in items)
)
# Pieces of the grammar the fast path must recognise as not plain: comments, groups, escapes,
# domain literals, stray brackets and separators, line breaks, empty items.
ODD_PIECES = ["(", ")", "(c)", ":", ";", "g:", "\\", '\\"', "[", "]", "@[1.2.3.4]", "<", ">", "<>", "@",
              ",", ",,", ", ,", "\r\n", "\n", " ", '"', ".", "..", "@@"]
soup = st.lists(st.one_of(plain_item, atom, space, st.sampled_from(ODD_PIECES)), max_size=12).map("".join)
unicode_soup = st.lists(st.one_of(st.text(max_size=6), st.sampled_from(ODD_PIECES), plain_item), max_size=8).map("".join)


def _standard(value: str) -> list[tuple[str, str]]:
    return getaddresses([value])


def _assert_same(value: str) -> bool:
    """True when the fast path took the value (and agreed), False when it stepped aside."""
    fast = _simple_list(value)
    if fast is None:
        return False
    assert fast == _standard(value), value
    return True


@MANY
@given(plain_list)
def test_plain_lists_take_the_fast_path_and_agree(value: str) -> None:
    assert _assert_same(value)


@MANY
@given(st.one_of(soup, unicode_soup))
def test_any_value_agrees_or_falls_back(value: str) -> None:
    _assert_same(value)


@MANY
@given(st.one_of(plain_list, soup))
def test_parsed_addresses_equal_the_standard_parser(value: str) -> None:
    standard = [_make(name, email) for name, email in _standard(value)]
    assert parse_address_list(value) == tuple(a for a in standard if a.email or a.name)[:200]


def test_known_values() -> None:
    assert _simple_list('"Wysocki, Rafael J" <rafael.j.wysocki@intel.com>,Len Brown<lenb@kernel.org>') == [
        ("Wysocki, Rafael J", "rafael.j.wysocki@intel.com"), ("Len Brown", "lenb@kernel.org")]
    assert _simple_list('"Foo"  Bar  <a@b>, c@d,') == [("Foo Bar", "a@b"), ("", "c@d")]
    for odd in ("Foo [Bar] <a@b>", "a@b c@d", "a (Ann) <a@b>", "g: a@b;", "a..b@c", "Foo <a@b>,, x@y",
                "undisclosed-recipients:;", "a\\b <c@d>", "x <a@b@c>"):
        assert _simple_list(odd) is None, odd


def _corpus_values(path: Path) -> Iterator[str]:
    for source in open_source(path):
        headers, _, _ = split_message(source.raw)
        for name in ("from", "to", "cc"):
            values = headers.all_text(name)
            if values:
                yield ", ".join(values)  # as parse.py reads them


@pytest.mark.corpus
@pytest.mark.parametrize("name", ["linux-pm-10k.mbox.zst", "ltp.mbox.zst"])
def test_every_real_header_agrees(name: str) -> None:
    path = CORPORA / name
    if not path.exists():
        pytest.skip(f"corpus {name} not found at {path} (../shared/corpora is absent here)")
    taken = total = 0
    for value in _corpus_values(path):
        total += 1
        taken += _assert_same(value)
        if "," not in value:
            first = _standard(value)[0] if _standard(value) else ("", "")
            fast = _simple_list(value)
            if fast:
                assert parse_address(value) == _make(*first)
    # The point of the fast path: nearly every real value is plain.
    assert taken > 0.95 * total, (taken, total)
