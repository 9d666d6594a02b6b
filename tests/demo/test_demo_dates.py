"""The demo archive `listhaven demo-import` makes ends in the month before the one it is imported in, so
the post a newcomer makes that day (README, `make run`) lands in the month after the demo's last: the
list's activity chart stays the demo's two years and that post. Dated from 2019 as before, one post on
2026-12-02 stretched the chart to 96 months, 71 of them empty bars between."""

from __future__ import annotations

from datetime import date

import pytest

from listhaven.archive.importer import import_path
from listhaven.archive.models import Message
from listhaven.demo.archive import import_demo
from listhaven.lists.models import MailingList
from listhaven.web.charts import activity_chart
from listhaven.web.months import month_counts

pytestmark = pytest.mark.django_db

TODAYS_POST = b"""From ann@example.org Wed Dec  2 09:00:00 2026
From: Ann Archer <ann@example.org>
To: harbour-dev@lists.example.org
Subject: Hello
Message-ID: <hello-today@example.org>
Date: Wed, 02 Dec 2026 09:00:00 +0000

Hello, list.
"""


def test_a_post_made_the_day_of_the_import_follows_the_demo_months(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    # A store without the demo lists: the fixture archive (tests/conftest.py), committed for a whole
    # module, may hold lists of the same names from an earlier module; renamed within this test only
    # (its messages' threads keep a list from being deleted).
    for earlier in MailingList.objects.filter(name__in=["harbour-dev", "allotment", "reading-circle"]):
        MailingList.objects.filter(pk=earlier.pk).update(name=f"earlier-{earlier.name}", address=f"earlier-{earlier.address}")
    list(import_demo(200, today=date(2026, 12, 2)))
    mlist = MailingList.objects.get(name="harbour-dev")
    demo = [(month.key, n) for month, n in month_counts(mlist)]
    assert demo[-1][0] == "2026-11" and demo[0][0] >= "2024-12", demo
    (tmp_path / "today.mbox").write_bytes(TODAYS_POST)
    assert import_path(mlist, str(tmp_path / "today.mbox")).stored == 1
    chart = activity_chart(month_counts(mlist))
    assert [(bar.month.key, bar.count) for bar in chart.bars[-2:]] == [("2026-11", demo[-1][1]), ("2026-12", 1)]
    assert len(chart.bars) <= 25  # December 2024 to December 2026
    assert sum(bar.count == 0 for bar in chart.bars) <= 2, [(bar.month.key, bar.count) for bar in chart.bars]


def test_importing_the_demo_again_in_a_later_month_adds_nothing(settings, tmp_path):
    """The demo's Message-IDs hold its dates: an archive made a month later is other messages, and
    imported again it would double every list."""
    settings.DATA_DIR = tmp_path
    for earlier in MailingList.objects.filter(name__in=["harbour-dev", "allotment", "reading-circle"]):
        MailingList.objects.filter(pk=earlier.pk).update(name=f"earlier-{earlier.name}", address=f"earlier-{earlier.address}")
    first = dict(import_demo(200, today=date(2026, 12, 2)))
    assert all(summary is not None and summary.stored > 0 for summary in first.values()), first
    stored = {name: Message.objects.filter(mailing_list__name=name).count() for name in first}
    again = dict(import_demo(200, today=date(2027, 1, 5)))
    assert again == {name: None for name in first}
    assert {name: Message.objects.filter(mailing_list__name=name).count() for name in first} == stored
