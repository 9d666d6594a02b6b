from __future__ import annotations

from datetime import UTC, datetime

import pytest

from listhaven.mail.dates import EPOCH, from_line_date, message_date, parse_date_value


def _none() -> list[str]:
    return []


@pytest.mark.parametrize(
    ("value", "utc", "offset"),
    [
        ("Sat, 27 Apr 2019 14:53:44 +1000", datetime(2019, 4, 27, 4, 53, 44, tzinfo=UTC), 600),
        ("Thu Nov  1 11:19:12 2001", datetime(2001, 11, 1, 11, 19, 12, tzinfo=UTC), 0),
        ("Mon, 3 Jun 02 10:00:00 EST", datetime(2002, 6, 3, 15, 0, tzinfo=UTC), -300),
        ("RANDOM_Wed, 21 Sep 2016 22:42:07 +0300", datetime(2016, 9, 21, 19, 42, 7, tzinfo=UTC), 180),
        ("Tue, 5 Mar 2024 10:15:00 -0430 (VET)", datetime(2024, 3, 5, 14, 45, tzinfo=UTC), -270),
    ],
)
def test_date_values(value: str, utc: datetime, offset: int) -> None:
    found = parse_date_value(value)
    assert found is not None
    assert found[0] == utc and found[0].tzinfo is UTC
    assert found[1] == offset


def test_missing_zone_is_utc_with_defect() -> None:
    found = parse_date_value("Mon, 3 Jun 2002 10:00:00")
    assert found is not None and found[2] and "time zone" in found[2]


def test_minus_zero_zone_is_utc_without_defect() -> None:
    found = parse_date_value("Sun, 03 Nov 2019 22:24:14 -0000")
    assert found == (datetime(2019, 11, 3, 22, 24, 14, tzinfo=UTC), 0, None)


def test_absurd_offset_is_rejected() -> None:
    found = parse_date_value("Wed, 01 Dec 2010 14:26:40 +9999")
    assert found is not None
    assert found[0] == datetime(2010, 12, 1, 14, 26, 40, tzinfo=UTC) and found[1] == 0 and found[2]


@pytest.mark.parametrize(
    "value",
    ["garbage", "", "Wed, 01 Dec 99999 14:26:40 +0100", "Thu, 01 Jan 1970 00:00:00 +0000",
     "1 Jan 2003 25:61:61 +0000", "Fri, 31 Feb 2020 10:00:00 +0000", "x" * 10_000, "Mon, 3 Zzz 2002 10:00"],
)
def test_garbled_dates_give_none(value: str) -> None:
    assert parse_date_value(value) is None


def test_received_fallback_uses_bottom_hop() -> None:
    received = [
        "from a by b; Sat, 27 Apr 2019 06:54:04 +0200 (CEST)",
        "from c by d; Fri, 26 Apr 2019 21:53:53 -0700 (PDT)",
    ]
    found = message_date(None, lambda: received, None)
    assert found.source == "received"
    assert found.when == datetime(2019, 4, 27, 4, 53, 53, tzinfo=UTC)
    assert found.utc_offset_minutes == -420


def test_from_line_fallback_and_placeholder() -> None:
    found = message_date("not a date", _none, "jjl at pobox.com  Thu Nov  1 11:19:12 2001")
    assert found.source == "from_line" and found.when == datetime(2001, 11, 1, 11, 19, 12, tzinfo=UTC)
    assert found.defect and "unreadable Date" in found.defect
    assert from_line_date("MAILER-DAEMON Thu Jan  1 00:00:00 1970") is None
    none = message_date(None, _none, "MAILER-DAEMON Thu Jan  1 00:00:00 1970")
    assert none.source == "none" and none.when == EPOCH


def test_date_header_wins() -> None:
    found = message_date("Tue, 05 Mar 2024 10:15:00 +0100", _none, "x Thu Nov  1 11:19:12 2001")
    assert found.source == "date" and found.when.year == 2024 and found.defect is None
