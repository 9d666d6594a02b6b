from __future__ import annotations

from listhaven.mail.ids import (
    derived_message_id,
    is_derived_message_id,
    message_id_hash,
    normalise_message_id,
    referenced_ids,
)


def test_hash_matches_mailman_for_real_ids() -> None:
    assert message_id_hash("<175815674591.268333.2624904445631478642.b4-ty@kernel.org>") == "QM74LZKADEYWWGUAL35Y6RZCJL5LZ3SS"
    assert message_id_hash("<20220506141009.18047-1-christian.koenig@amd.com>") == "MOGQN3TBLB5ZRRF5VEVBPCWDM3AJXIXR"


def test_hash_ignores_brackets_and_space() -> None:
    bare = "20220506141009.18047-1-christian.koenig@amd.com"
    assert message_id_hash(bare) == message_id_hash(f"  <{bare}> ")


def test_normalise_strips_brackets_space_and_trailing_text() -> None:
    assert normalise_message_id(" <a.b@c.d> ") == "a.b@c.d"
    assert normalise_message_id("<a@b>\n (added by list)") == "a@b"
    assert normalise_message_id("bare@id.example") == "bare@id.example"
    assert normalise_message_id("   ") is None
    assert normalise_message_id(None) is None


def test_referenced_ids_in_order_and_bare_single() -> None:
    assert referenced_ids("<a@x> <b@x>\n\t<c@x>") == ["a@x", "b@x", "c@x"]
    assert referenced_ids("one@x") == ["one@x"]
    assert referenced_ids("not an id") == []


DOMAIN = "ids.example.invalid"


def test_derived_ids_are_stable_and_distinct() -> None:
    first = derived_message_id(b"From: a@b\n\nbody", DOMAIN)
    assert first == derived_message_id(b"From: a@b\n\nbody", DOMAIN)
    assert first != derived_message_id(b"From: a@b\n\nother body", DOMAIN)
    assert is_derived_message_id(first, DOMAIN)
    assert not is_derived_message_id("a@b", DOMAIN)


def test_derived_ids_are_made_in_the_domain_given():
    # The store chooses the domain (the archive records it); the same bytes in two domains are two ids.
    raw = b"From: a@b\n\nbody"
    assert derived_message_id(raw, DOMAIN).endswith("@" + DOMAIN)
    assert derived_message_id(raw, "other.invalid") == derived_message_id(raw, DOMAIN).replace(DOMAIN, "other.invalid")


def test_parse_derives_in_the_domain_given_and_the_neutral_one_by_default():
    from listhaven.mail.message import SourceMessage
    from listhaven.mail.parse import DEFAULT_LIMITS, parse_message

    source = SourceMessage(b"From: a@example.org\nSubject: no id\n\nbody\n", "t#1")
    given = parse_message(source, DEFAULT_LIMITS, DOMAIN)
    assert given.message_id_derived and given.message_id.endswith("@" + DOMAIN)
    assert parse_message(source).message_id.endswith("@derived.listhaven.invalid")
    with_id = SourceMessage(b"From: a@example.org\nMessage-ID: <m1@example.org>\n\nbody\n", "t#2")
    assert parse_message(with_id, DEFAULT_LIMITS, DOMAIN).message_id == "m1@example.org"


def test_derived_id_ignores_line_endings():
    from listhaven.mail.ids import derived_message_id

    lf = b"From: a@example.org\nSubject: x\n\nbody\n"
    assert derived_message_id(lf, DOMAIN) == derived_message_id(lf.replace(b"\n", b"\r\n"), DOMAIN)
    assert derived_message_id(lf, DOMAIN) != derived_message_id(lf + b"more\n", DOMAIN)
