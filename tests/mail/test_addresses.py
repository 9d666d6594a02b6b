from __future__ import annotations

import pytest

from listhaven.mail.addresses import (
    parse_address,
    parse_address_checked,
    parse_address_list,
)
from listhaven.mail.message import Address


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("jjl at pobox.com (John J. Lee)", Address("John J. Lee", "jjl@pobox.com")),
        ("goran at Domain.com", Address("", "goran@domain.com")),
        ("Ada Lovelace <ada@Example.ORG>", Address("Ada Lovelace", "ada@example.org")),
        ('"Lovelace, Ada" <Ada@example.org>', Address("Lovelace, Ada", "Ada@example.org")),
        ("ada@example.org (Ada)", Address("Ada", "ada@example.org")),
        ("=?ISO-8859-1?Q?G=F6ran_Lastname?= <g@example.com>", Address("Göran Lastname", "g@example.com")),
        ('"=?utf-8?B?SsO2cmc=?=" <j@example.com>', Address("Jörg", "j@example.com")),
        ("=?utf-8?q?broken <b@example.com>", Address("=?utf-8?q?broken", "b@example.com")),
        ("=?x-foo?q?Zo=EB?= <z@example.com>", Address("Zoë", "z@example.com")),
        ("Evil\u202eName <e@example.com>", Address("Evil Name", "e@example.com")),
    ],
)
def test_parse_address(value: str, expected: Address) -> None:
    assert parse_address(value) == expected


@pytest.mark.parametrize("value", [None, "", "   ", "<>", "<<<>>>", '"', "@"])
def test_garbled_sender_is_empty_with_a_defect(value: str | None) -> None:
    address, defect = parse_address_checked(value)
    assert address == Address("", "") or "@" not in address.email
    if address == Address("", ""):
        assert defect


def test_name_without_address_is_kept_as_name() -> None:
    assert parse_address("Foo Bar") == Address("Foo Bar", "")


def test_address_list_simple_and_quoted() -> None:
    found = parse_address_list('a@B.com, "C, D" <c@D.com>, Ed <ed@x.org>')
    assert found == (Address("", "a@b.com"), Address("C, D", "c@d.com"), Address("Ed", "ed@x.org"))


def test_address_list_groups_and_limit() -> None:
    assert parse_address_list("undisclosed-recipients:;") == ()
    many = ", ".join(f"u{i}@example.org" for i in range(500))
    assert len(parse_address_list(many, limit=50)) == 50
    assert parse_address_list(None) == ()
