from __future__ import annotations

import pytest

from listhaven.mail.dmarc import DmarcLookup, dmarc_policy, needs_mitigation, record_policy


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def lookup_for(local_dns, **options) -> DmarcLookup:
    return DmarcLookup(["127.0.0.1"], local_dns.port, timeout=1.0, **options)


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ("v=DMARC1; p=reject; rua=mailto:d@example.org", "reject"),
        ("v=DMARC1;p=quarantine;pct=100", "quarantine"),
        ("v=DMARC1; p=none", "none"),
        ("v=DMARC1; P=Reject", "reject"),
        ("v=DMARC1; p=bogus", "none"),
        ("v=DMARC1; rua=mailto:d@example.org", "none"),
    ],
)
def test_the_policy_of_the_domains_own_record(local_dns, record: str, expected: str) -> None:
    local_dns.set("_dmarc.example.org", [record, "some other TXT"])
    assert dmarc_policy("Example.ORG", lookup_for(local_dns)) == expected


def test_no_record_is_no_policy(local_dns) -> None:
    local_dns.set("_dmarc.example.org", ["v=spf1 -all"])
    lookup = lookup_for(local_dns)
    assert lookup.policy("example.org") is None
    assert lookup.policy("nowhere.example") is None
    assert lookup.policy("localhost") is None


def test_two_dmarc_records_count_as_none(local_dns) -> None:
    local_dns.set("_dmarc.example.org", ["v=DMARC1; p=reject", "v=DMARC1; p=none"])
    assert lookup_for(local_dns).policy("example.org") is None


def test_a_subdomain_falls_back_to_its_organisational_domain_and_its_sp(local_dns) -> None:
    local_dns.set("_dmarc.example.org", ["v=DMARC1; p=reject; sp=quarantine"])
    local_dns.set("_dmarc.example.net", ["v=DMARC1; p=reject"])
    lookup = lookup_for(local_dns)
    assert lookup.policy("mail.eu.example.org") == "quarantine"
    assert lookup.policy("lists.example.net") == "reject"
    # The walk stopped before the top-level domain: no question for _dmarc.org was asked.
    assert local_dns.queries[("_dmarc.org", "TXT")] == 0
    assert local_dns.queries[("_dmarc.eu.example.org", "TXT")] == 1


def test_the_nearest_record_wins(local_dns) -> None:
    local_dns.set("_dmarc.example.org", ["v=DMARC1; p=reject"])
    local_dns.set("_dmarc.news.example.org", ["v=DMARC1; p=none"])
    assert lookup_for(local_dns).policy("news.example.org") == "none"


def test_answers_are_cached_until_the_ttl_passes(local_dns) -> None:
    clock = Clock()
    local_dns.set("_dmarc.example.org", ["v=DMARC1; p=reject"])
    lookup = lookup_for(local_dns, ttl=600, clock=clock)
    assert lookup.policy("example.org") == "reject"
    local_dns.set("_dmarc.example.org", ["v=DMARC1; p=none"])
    clock.now += 599
    assert lookup.policy("example.org") == "reject"
    assert local_dns.queries[("_dmarc.example.org", "TXT")] == 1
    clock.now += 2
    assert lookup.policy("example.org") == "none"
    assert local_dns.queries[("_dmarc.example.org", "TXT")] == 2


def test_a_failing_server_gives_no_policy_cached_briefly(local_dns) -> None:
    clock = Clock()
    local_dns.fail("_dmarc.example.org")
    lookup = lookup_for(local_dns, ttl=3600, error_ttl=30, clock=clock)
    assert lookup.policy("example.org") is None
    local_dns.failing.clear()
    local_dns.set("_dmarc.example.org", ["v=DMARC1; p=quarantine"])
    clock.now += 31
    assert lookup.policy("example.org") == "quarantine"


def test_the_cache_is_bounded(local_dns) -> None:
    lookup = lookup_for(local_dns, max_entries=3)
    for n in range(5):
        lookup.policy(f"d{n}.example.org")
    assert len(lookup._cache) == 3


def test_record_policy_and_mitigation() -> None:
    assert record_policy("v=DMARC1; p=none; sp=reject", subdomain=True) == "reject"
    assert record_policy("v=DMARC1; p=none; sp=reject") == "none"
    assert [needs_mitigation(p) for p in ("none", "quarantine", "reject", None)] == [False, True, True, False]
