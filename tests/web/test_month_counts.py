"""The month counts and the index's figures after new posts: counted once, then kept up to date by
adding what was stored since (web/months.py), they must always equal a count made from scratch."""

from __future__ import annotations

import warnings

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from listhaven.archive.models import Message
from listhaven.web.months import list_activity, month_counts
from tests.web.conftest import make_message, store

pytestmark = pytest.mark.django_db


def counted_from_scratch(mlist) -> list[tuple[str, int]]:
    months: dict[str, int] = {}
    for date in Message.objects.filter(mailing_list=mlist).values_list("date", flat=True):
        months[date.strftime("%Y-%m")] = months.get(date.strftime("%Y-%m"), 0) + 1
    return sorted(months.items())


def shown(mlist) -> list[tuple[str, int]]:
    mlist.refresh_from_db()
    return [(month.key, n) for month, n in month_counts(mlist)]


def test_month_counts_follow_new_posts_by_counting_only_them(casebook):
    mlist = casebook["list"]
    assert shown(mlist) == counted_from_scratch(mlist)
    store(mlist, [
        make_message("new-march@example.org", date="Fri, 29 Mar 2019 10:00:00 +0000"),
        make_message("new-july@example.org", date="Mon, 01 Jul 2019 00:30:00 +0000"),
    ])  # fmt: skip
    with CaptureQueriesContext(connection) as queries:
        after = shown(mlist)
    assert after == counted_from_scratch(mlist)
    assert ("2019-07", 1) in after
    counting = [q["sql"] for q in queries.captured_queries if "COUNT" in q["sql"].upper()]
    assert counting and all("id" in sql and ">" in sql for sql in counting), counting  # only the new rows
    store(mlist, [make_message("newer-july@example.org", date="Tue, 02 Jul 2019 08:00:00 +0000")])
    assert ("2019-07", 2) in shown(mlist)
    assert shown(mlist) == counted_from_scratch(mlist)


def test_month_counts_are_counted_afresh_when_their_base_is_gone(casebook):
    mlist = casebook["list"]
    shown(mlist)
    cache.clear()
    store(mlist, [make_message("after-clear@example.org", date="Sat, 30 Mar 2019 10:00:00 +0000")])
    assert shown(mlist) == counted_from_scratch(mlist)


def test_index_figures_follow_a_post_to_one_list_and_keep_the_others(casebook):
    from listhaven.lists.directory import create_list
    from listhaven.lists.models import MailingList

    other = create_list("other@lists.example.org")
    store(other, [make_message("o1@example.org", to="other@lists.example.org", date="Mon, 04 Mar 2019 10:00:00 +0000")])
    lists = list(MailingList.objects.filter(pk__in=[casebook["list"].pk, other.pk]))
    before = list_activity(lists)
    assert before[other.pk].messages == 1
    assert before[casebook["list"].pk].messages == Message.objects.filter(mailing_list=casebook["list"]).count()
    store(other, [make_message("o2@example.org", to="other@lists.example.org", date="Tue, 09 Apr 2019 11:00:00 +0000")])
    lists = list(MailingList.objects.filter(pk__in=[casebook["list"].pk, other.pk]))
    after = list_activity(lists)
    assert after[other.pk].messages == 2
    assert after[other.pk].last_post.strftime("%Y-%m-%d %H:%M") == "2019-04-09 11:00"
    assert after[casebook["list"].pk] == before[casebook["list"].pk]


def test_index_figures_keep_cache_keys_short_with_many_lists(casebook):
    """memcached refuses keys over 250 characters (Django warns of them on every backend); one key
    naming every list's version grew with the number of lists."""
    from django.core.cache.backends.base import CacheKeyWarning

    from listhaven.lists.directory import create_list
    from listhaven.lists.models import MailingList

    for n in range(30):
        create_list(f"list-with-a-long-name-{n:02d}@lists.example.org")
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheKeyWarning)
        figures = list_activity(list(MailingList.objects.all()))
        again = list_activity(list(MailingList.objects.all()))
    assert len(figures) == MailingList.objects.count() >= 31 and figures == again
