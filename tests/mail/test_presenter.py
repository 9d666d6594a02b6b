"""The Presenter: how a list shows its posters' addresses, names and texts."""

from __future__ import annotations

import doctest

import listhaven.mail.presenter
from listhaven.mail.presenter import OBFUSCATING, Presenter


class _List:
    def __init__(self, obfuscate: bool) -> None:
        self.obfuscate_addresses = obfuscate


def test_the_lists_setting_chooses_the_presenter():
    assert Presenter.for_list(_List(True)) == OBFUSCATING
    assert Presenter.for_list(_List(False)) == Presenter(obfuscates=False)


def test_obfuscating_leaves_no_complete_address():
    shown = Presenter.for_list(_List(True))
    assert shown.address("jo@example.org") == "jo at example.org"
    assert shown.text("Jo <jo@example.org> wrote") == "Jo <jo at example.org> wrote"
    assert shown.author("jo@example.org", "jo@example.org") == "jo at example.org"  # a name that is an address
    assert shown.author("  Jo  ", "jo@example.org") == "Jo"
    assert shown.author("", "") == ""


def test_as_written_changes_nothing():
    shown = Presenter.for_list(_List(False))
    for text in ("jo@example.org", "Jo <jo@example.org> wrote", "no address"):
        assert shown.address(text) == text and shown.text(text) == text
    assert shown.author("", " jo@example.org ") == "jo@example.org"


def test_the_examples_in_the_module_hold():
    assert doctest.testmod(listhaven.mail.presenter).failed == 0
