"""search.fts5_match: the date facets of a message are the tokens strftime makes of its UTC date
(they are formatted as numbers, which is quicker; every date a store holds is in years 1000-9999)."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from listhaven.search.fts5_match import date_tokens_of, facets_of


@given(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)))
def test_date_tokens_are_strftimes(moment: datetime) -> None:
    assert date_tokens_of(moment) == [f"y{moment:%Y}", f"m{moment:%Y%m}", f"d{moment:%Y%m%d}"]


def test_facets_of_a_message() -> None:
    assert facets_of(7, datetime(2020, 3, 4, 23, 59, tzinfo=UTC), True) == "l7 y2020 m202003 d20200304 att"
    assert facets_of(1, datetime(1971, 11, 1, tzinfo=UTC), False) == "l1 y1971 m197111 d19711101"
