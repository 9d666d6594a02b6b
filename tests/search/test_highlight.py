"""Folding for highlights: one character for one, each as _fold_char folds it alone."""

from __future__ import annotations

import random

from listhaven.search.highlight import _fold_char, fold

EVERY_CHARACTER = "".join(chr(c) for c in range(0x20, 0x110000) if not 0xD800 <= c < 0xE000)


def by_character(text: str) -> str:
    return "".join(_fold_char(c) for c in text)


def test_fold_folds_every_character_alone():
    assert fold(EVERY_CHARACTER) == by_character(EVERY_CHARACTER)
    assert len(fold(EVERY_CHARACTER)) == len(EVERY_CHARACTER)


def test_fold_ignores_the_context_lower_case_uses():
    # str.lower() writes a capital sigma at the end of a word as ς, and İ as two characters.
    for text in ("ΟΔΟΣ ΟΔΟΣ.", "İstanbul İİ", "Straße ﬁle ǅ", "Crème BRÛLÉE", "plain ASCII"):
        assert fold(text) == by_character(text), text
    assert fold("ΟΔΟΣ") == "οδοσ" and fold("Crème") == "creme"


def test_fold_of_mixed_text():
    rng = random.Random(14)
    for _ in range(2000):
        text = "".join(rng.choice(EVERY_CHARACTER) if rng.random() < 0.3 else rng.choice("aBc Σ\n")
                       for _ in range(rng.randint(1, 40)))  # fmt: skip
        assert fold(text) == by_character(text), repr(text)


def test_terms_match_at_the_start_of_words_only():
    from listhaven.mail.presenter import Presenter
    from listhaven.search.highlight import mark, snippet, term_pattern
    from listhaven.search.query import Text

    text = "other the bathe theory, The_end; a memory-leak here"
    assert mark(text, term_pattern([Text("the")])) == (
        "other <mark>the</mark> bathe theory, <mark>The</mark>_end; a memory-leak here")
    assert mark(text, term_pattern([Text("the", prefix=True)])) == (
        "other <mark>the</mark> bathe <mark>theory</mark>, <mark>The</mark>_end; a memory-leak here")
    assert mark(text, term_pattern([Text("memory leak", phrase=True), Text("a")])) == (
        "other the bathe theory, The_end; <mark>a</mark> <mark>memory-leak</mark> here")
    body = "word " * 1000 + "naïve bathe the end"
    assert snippet(body, [Text("the")], present=Presenter(obfuscates=False)).endswith("naïve bathe <mark>the</mark> end")
