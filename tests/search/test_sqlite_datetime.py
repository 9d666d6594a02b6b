"""search.fts5.sqlite_datetime writes a datetime exactly as Django's SQLite backend does (the ingest
and the command line's quick path use it instead of Django's adapter)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from listhaven.search.fts5 import sqlite_datetime

offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


@pytest.mark.skipif(connection.vendor != "sqlite", reason="Django's SQLite adapter is the reference")
@given(st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2200, 1, 1), timezones=offsets))
def test_the_text_django_writes(moment: datetime) -> None:
    assert sqlite_datetime(moment) == connection.ops.adapt_datetimefield_value(moment)


def test_none_and_utc() -> None:
    assert sqlite_datetime(None) is None
    assert sqlite_datetime(datetime(2019, 4, 27, 4, 53, 44, tzinfo=UTC)) == "2019-04-27 04:53:44"
