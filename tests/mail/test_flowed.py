from __future__ import annotations

from listhaven.mail.flowed import unflow


def test_flowed_lines_join() -> None:
    assert unflow("This is a \nflowed paragraph.\nNew line.") == "This is a flowed paragraph.\nNew line."


def test_delsp_removes_the_added_space() -> None:
    assert unflow("Splitword\x20\nhere", delsp=True) == "Splitwordhere"
    assert unflow("Splitword \nhere", delsp=False) == "Splitword here"


def test_quotes_stuffing_and_signature() -> None:
    text = "> quoted \n> more\n>> deep\n From stuffed\n-- \nsig"
    assert unflow(text) == "> quoted more\n>> deep\nFrom stuffed\n-- \nsig"


def test_quote_depth_change_ends_paragraph() -> None:
    assert unflow("> a \nb").split("\n") == ["> a ", "b"]
