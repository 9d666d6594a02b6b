"""The golden-file check itself: a match passes, a difference or a missing file fails, --regen-golden writes."""

from __future__ import annotations

import pytest

from tests.support.golden import Golden, encode_json


def test_matching_file_passes(tmp_path):
    path = tmp_path / "case.json"
    path.write_bytes(encode_json({"subject": "Hello"}))
    Golden(regen=False).check(path, {"subject": "Hello"})


def test_different_value_fails(tmp_path):
    path = tmp_path / "case.json"
    path.write_bytes(encode_json({"subject": "Hello"}))
    with pytest.raises(AssertionError):
        Golden(regen=False).check(path, {"subject": "Goodbye"})


def test_missing_file_fails_and_names_the_flag(tmp_path):
    with pytest.raises(pytest.fail.Exception, match="--regen-golden"):
        Golden(regen=False).check(tmp_path / "absent.json", {"a": 1})


def test_changed_input_bytes_fail(tmp_path):
    path = tmp_path / "case.eml"
    path.write_bytes(b"Subject: one\n\nbody\n")
    with pytest.raises(pytest.fail.Exception):
        Golden(regen=False).check(path, b"Subject: two\n\nbody\n")


def test_regen_writes_inputs_and_expectations(tmp_path):
    Golden(regen=True).check(tmp_path / "new" / "case.eml", b"raw\n")
    Golden(regen=True).check(tmp_path / "new" / "case.json", {"b": 2, "a": [1]})
    assert (tmp_path / "new" / "case.eml").read_bytes() == b"raw\n"
    assert (tmp_path / "new" / "case.json").read_text(encoding="utf-8") == '{\n  "a": [\n    1\n  ],\n  "b": 2\n}\n'
    Golden(regen=False).check(tmp_path / "new" / "case.json", {"a": [1], "b": 2})


def test_option_is_registered(request):
    assert request.config.getoption("--regen-golden") in (True, False)
