"""The query parser: every construct, every malformed form."""

from datetime import UTC, datetime

import pytest

from listhaven.search.query import (
    And,
    DateIn,
    HasAttachment,
    ListIs,
    MessageIdIs,
    Not,
    Or,
    QueryError,
    Text,
    ThreadIs,
    parse_query,
    positive_texts,
)

NOW = datetime(2024, 5, 20, 12, 0, tzinfo=UTC)


def p(text):
    return parse_query(text, now=NOW)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def test_free_words_all_must_match():
    assert p("kernel panic") == And((Text("kernel"), Text("panic")))
    assert p("kernel") == Text("kernel")


def test_quoted_phrase():
    assert p('"kernel panic" now') == And((Text("kernel panic", phrase=True), Text("now")))


def test_word_with_inner_punctuation_is_a_phrase_of_its_tokens():
    assert p("fork()") == Text("fork", phrase=False)
    assert p("ltp-devel") == Text("ltp-devel", phrase=True)


def test_or_binds_looser_than_and():
    assert p("a b OR c") == Or((And((Text("a"), Text("b"))), Text("c")))


def test_lowercase_or_is_a_word():
    assert p("a or b") == And((Text("a"), Text("or"), Text("b")))


def test_explicit_and_is_accepted():
    assert p("a AND b") == And((Text("a"), Text("b")))


def test_minus_and_not_exclude():
    assert p("patch -draft") == And((Text("patch"), Not(Text("draft"))))
    assert p("patch NOT draft") == And((Text("patch"), Not(Text("draft"))))


def test_hyphen_inside_a_word_is_not_negation():
    assert p("x86-64") == Text("x86-64", phrase=True)


def test_parentheses_group():
    assert p("(patch OR diff) -draft") == And((Or((Text("patch"), Text("diff"))), Not(Text("draft"))))
    assert p("-(a OR b) c") == And((Not(Or((Text("a"), Text("b")))), Text("c")))


def test_double_negation_cancels():
    assert p("a --b") == And((Text("a"), Text("b")))


def test_prefix_star():
    assert p("fano*") == Text("fano", prefix=True)
    assert p('"memory lea"*') == Text("memory lea", phrase=True, prefix=True)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from:alice", "sender"),
        ("to:bob", "recipients"),
        ("cc:bob", "recipients"),
        ("subject:release", "subject"),
        ("s:release", "subject"),
        ("body:oops", "body"),
        ("b:oops", "body"),
        ("filename:log", "filenames"),
    ],
)
def test_text_fields(query, field):
    node = p(query)
    assert node == Text(query.split(":")[1], field)


def test_field_names_are_case_insensitive():
    assert p("From:alice") == Text("alice", "sender")


def test_field_with_phrase_and_address():
    assert p('subject:"release notes"') == Text("release notes", "subject", phrase=True)
    assert p("from:alice@example.com") == Text("alice@example.com", "sender", phrase=True)
    assert p("from:ali*") == Text("ali", "sender", prefix=True)


def test_filters():
    assert p("list:LTP x") == And((ListIs("ltp"), Text("x")))
    assert p("has:attachment") == HasAttachment()
    assert p("has:attachments") == HasAttachment()
    assert p("id:<abc@example.com>") == MessageIdIs("abc@example.com")
    assert p("id:abc@example.com") == MessageIdIs("abc@example.com")
    assert p("thread:abcd234") == ThreadIs("ABCD234")


def test_negated_filter_beside_a_positive_one():
    assert p("list:ltp -has:attachment") == And((ListIs("ltp"), Not(HasAttachment())))


@pytest.mark.parametrize(
    ("value", "start", "end"),
    [
        ("2024", utc(2024, 1, 1), utc(2025, 1, 1)),
        ("2019-05", utc(2019, 5, 1), utc(2019, 6, 1)),
        ("2019-12", utc(2019, 12, 1), utc(2020, 1, 1)),
        ("2019-05-01", utc(2019, 5, 1), utc(2019, 5, 2)),
        ("2019-01..2019-06", utc(2019, 1, 1), utc(2019, 7, 1)),
        ("..2020-03-15", None, utc(2020, 3, 16)),
        ("2019-05-01..", utc(2019, 5, 1), None),
        ("2w..", utc(2024, 5, 6), None),
        ("2w", utc(2024, 5, 6), None),
        ("3d..", utc(2024, 5, 17), None),
        ("1m..", utc(2024, 4, 20), None),
        ("1y..", utc(2023, 5, 20), None),
        ("..1y", None, utc(2023, 5, 20)),
        ("2019..1y", utc(2019, 1, 1), utc(2023, 5, 20)),
    ],
)
def test_dates(value, start, end):
    assert p(f"date:{value}") == DateIn(start, end)


def test_relative_month_clamps_to_month_end():
    node = parse_query("date:1m..", now=utc(2024, 3, 31))
    assert node == DateIn(utc(2024, 2, 29), None)


def test_positive_texts_skip_exclusions_and_filters():
    node = p('a (b OR "c d") -e list:x')
    assert [t.text for t in positive_texts(node)] == ["a", "b", "c d"]


def test_punctuation_only_words_are_ignored():
    assert p("patch - && fix") == And((Text("patch"), Text("fix")))


@pytest.mark.parametrize(
    ("query", "needle"),
    [
        ('"unbalanced', "Unbalanced quotes"),
        ('a "b c', "Unbalanced quotes"),
        ("(a OR b", "never closed"),
        ("a OR b)", "closes nothing"),
        (")", "closes nothing"),
        ("foo:bar", "Unknown field"),
        ("http://example.com", "Unknown field"),
        ("date:", "needs a value"),
        ("from:", "needs a value"),
        ("date:..", "at least one side"),
        ("date:2019-13", "not a real date"),
        ("date:2019-02-30", "not a real date"),
        ("date:yesterday", "not a date"),
        ("date:2020..2019", "ends before it starts"),
        ("date:2019..2020..2021", "more than one"),
        ("-foo", "cannot only exclude"),
        ("NOT foo", "cannot only exclude"),
        ("-foo -bar", "cannot only exclude"),
        ("(-foo)", "cannot only exclude"),
        ("(-foo) OR bar", "cannot join an exclusion"),
        ("a OR -b", "cannot join an exclusion"),
        ("OR a", "both sides"),
        ("a OR", "both sides"),
        ("a NOT", "must be followed"),
        ("has:pictures", "has:attachment"),
        ("id:<>", "needs a Message-ID"),
        ("*", "needs a letter"),
        ("fa*no", "may only end a word"),
        ("", "Nothing to search for"),
        ("   ", "Nothing to search for"),
        ("()", "Nothing to search for"),
        ("- !!", "Nothing to search for"),
        ("a " * 60, "Too many terms"),
        ("x" * 1001, "too long"),
    ],
)
def test_malformed_queries_raise_clear_errors(query, needle):
    with pytest.raises(QueryError) as info:
        p(query)
    assert needle in str(info.value)


def test_error_for_unknown_field_suggests_quoting():
    with pytest.raises(QueryError, match='"foo:bar"'):
        p("foo:bar")


def test_date_error_says_how_to_write_dates():
    with pytest.raises(QueryError, match=r"date:2019-01\.\.2019-06"):
        p("date:soon")
