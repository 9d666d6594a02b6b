"""`split_quoted` (two regular expressions) gives exactly what splitting the body into lines gives."""

from __future__ import annotations

import sys
from itertools import islice

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from listhaven.search.documents import split_quoted
from tests.conftest import corpus_path

MANY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Every character str.isspace() knows (what lstrip() removes), beside ">", line breaks and letters.
SPACES = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
line_text = st.text(SPACES + ">> ab\r", max_size=8)


def by_lines(body: str) -> tuple[str, str]:
    lines = body.split("\n")
    own = [line for line in lines if not line.lstrip().startswith(">")]
    quoted = [line for line in lines if line.lstrip().startswith(">")]
    return "\n".join(own), "\n".join(quoted)


@MANY
@given(st.lists(line_text, max_size=8).map("\n".join))
def test_same_as_a_loop_over_the_lines(body):
    assert split_quoted(body) == by_lines(body)


@pytest.mark.parametrize("body", ["", ">", "\n", ">a\n", "a\n>b", "\n>b", ">a\n>b", "a\n>b\n", " \u2028> x\ny", "\x85>q"])
def test_edges(body):
    assert split_quoted(body) == by_lines(body)


@pytest.mark.corpus
def test_same_on_the_bodies_of_a_real_archive():
    from listhaven.mail.parse import parse_message
    from listhaven.mail.sources import open_source

    for source in islice(open_source(str(corpus_path("ltp.mbox.zst"))), 1000):
        body = parse_message(source).body_text
        assert split_quoted(body) == by_lines(body)
