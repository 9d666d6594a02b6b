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


def test_derived_ids_are_stable_and_distinct() -> None:
    first = derived_message_id(b"From: a@b\n\nbody")
    assert first == derived_message_id(b"From: a@b\n\nbody")
    assert first != derived_message_id(b"From: a@b\n\nother body")
    assert is_derived_message_id(first)
    assert not is_derived_message_id("a@b")


def test_derived_ids_keep_the_domain_archives_already_hold():
    # Stored archives hold ids with this domain; a new one would make re-imports store id-less messages twice.
    assert derived_message_id(b"From: a@b\n\nbody").endswith("@synthetic.listhaven.invalid")


def test_derived_id_ignores_line_endings():
    from listhaven.mail.ids import derived_message_id

    lf = b"From: a@example.org\nSubject: x\n\nbody\n"
    assert derived_message_id(lf) == derived_message_id(lf.replace(b"\n", b"\r\n"))
    assert derived_message_id(lf) != derived_message_id(lf + b"more\n")
