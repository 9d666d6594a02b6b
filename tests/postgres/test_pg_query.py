"""How the PostgreSQL backend writes vectors and queries (pure Python: no database needed)."""

from __future__ import annotations

from datetime import UTC, datetime

from listhaven.search.base import SearchDocument
from listhaven.search.pg_document import (
    MAX_LEXEME_BYTES,
    MAX_POSITIONS_PER_LEXEME,
    MAX_VECTOR_BYTES,
    PAIR_CHARS,
    PAIRS_CUT,
    RANK_RECIPIENT_WORDS,
    RANK_TEXT_WORDS,
    tsvector_literal,
    vectors,
    words,
)
from listhaven.search.pg_query import NEVER, Compiler, text_tsquery, tsquery
from listhaven.search.query import Text, parse_query


def _document(**fields: str) -> SearchDocument:
    values = {"subject": "", "sender": "", "recipients": "", "body": "", "quoted": "", "filenames": ""}
    return SearchDocument(rowid=1, **{**values, **fields})


def test_words_fold_case_and_accents_and_split_on_punctuation():
    assert words("Élodie.Martin@Example.org x86-64 naïve_text ﬁle") == [
        "elodie", "martin", "example", "org", "x86", "64", "naive", "text", "file",
    ]  # fmt: skip


def test_a_words_lexeme_does_not_depend_on_the_rest_of_the_text():
    # Compatibility characters decompose to ASCII letters (™ to TM, mathematical bold to plain):
    # a text that is ASCII once folded and one that is not must cut them into the same words.
    for text in ("Windows™ 11", "𝐇𝐞𝐥𝐥𝐨 world", "ℍilbert ﬁle"):
        assert words(text + " 日本") == [*words(text), "日本"], text


def test_compatibility_characters_fold_to_lower_case_words():
    # Lowered after decomposing: ™ is "tm", ℍ "h", mathematical letters plain lower-case ones.
    assert words("Windows™ ℍilbert 𝐇𝐞𝐥𝐥𝐨 𝚨𝛀 Ⅻ ＡＢＣ") == ["windowstm", "hilbert", "hello", "αω", "xii", "abc"]
    assert words("WINDOWS™") == words("windowstm")


def test_vector_weights_fields_prefixes_names_and_leaves_gaps():
    literal = tsvector_literal(
        _document(
            subject="Hello", sender="Ann ann@x.org", filenames="log.txt", recipients="bo@x", body="hello", quoted="> hi"
        )
    )
    assert literal == (
        "'hello':1A,21C 'ann':3B,4B 'x':5B 'org':6B '~thello':8A '~sann':10B,11B '~sx':12B '~sorg':13B "
        "'~flog':15B '~ftxt':16B '~rbo':18D '~rx':19D 'hi':23D '~pann~ann' '~pann~x' '~px~org' '~i0'"
    )


def test_a_word_keeps_at_most_256_positions_and_long_words_are_cut():
    literal = tsvector_literal(_document(body="spam " * 300 + "q" * 5000))
    assert literal.split(" ")[0].count(",") == 255
    assert "'" + "q" * MAX_LEXEME_BYTES + "':305C"  # after four empty fields' gaps in literal


def test_texts_become_quoted_lexemes_per_field():
    assert text_tsquery(Text("Fano", None, prefix=True)) == "(('fano':*) | ('~ffano':*))"
    assert text_tsquery(Text("release notes", "subject", phrase=True)) == "('~trelease' <-> '~tnotes')"
    assert text_tsquery(Text("oops", "body")) == "('oops':CD)"
    assert text_tsquery(Text("alice", "sender", prefix=True)) == "('~salice':*)"
    assert text_tsquery(Text("bob", "recipients")) == "('~rbob')"
    assert text_tsquery(Text("log", "filenames")) == "('~flog')"
    assert text_tsquery(Text("’", None)) == NEVER


def test_boolean_queries_share_one_tsquery():
    node = parse_query("(mmap OR munmap) -hugepage")
    assert tsquery(node).count("::") == 0
    sql, params = Compiler({}, lambda d: d).where(node)
    assert sql == "d.document @@ %s::tsquery" and len(params) == 1
    assert "!" in params[0] and "|" in params[0]


def test_filters_are_sql_beside_the_words():
    node = parse_query("list:ltp has:attachment date:2019 patch id:<a@b>", now=datetime(2020, 1, 1, tzinfo=UTC))
    sql, params = Compiler({"ltp": 7}, lambda d: d).where(node)
    assert "d.list_id = %s" in sql and "d.has_attachment" in sql and "d.date >= %s" in sql
    assert "m.message_id = %s" in sql
    assert 7 in params and "a@b" in params
    unknown, _ = Compiler({}, lambda d: d).where(parse_query("list:nope patch"))
    assert "FALSE" in unknown


def test_the_head_keeps_short_fields_whole_and_the_first_words_of_the_rest():
    recipients = " ".join(f"r{i}" for i in range(RANK_RECIPIENT_WORDS + 5))
    body = " ".join(f"b{i}" for i in range(RANK_TEXT_WORDS - 2))
    built = vectors(_document(subject="Hello there", sender="Ann", recipients=recipients, body=body, quoted="> q1 q2 q3"))
    head = {entry.split(":")[0].strip("'") for entry in built.head.split(" ")}
    assert {"hello", "there", "~thello", "~tthere", "ann", "~sann"} <= head
    assert {f"~rr{i}" for i in range(RANK_RECIPIENT_WORDS)} <= head and f"~rr{RANK_RECIPIENT_WORDS}" not in head
    assert {f"b{i}" for i in range(RANK_TEXT_WORDS - 2)} | {"q1", "q2"} <= head and "q3" not in head  # text, quoted after it
    assert built.document.startswith("'hello':1A") and "'q3':" in built.document
    assert built.words == 2 * 2 + 2 * 1 + RANK_RECIPIENT_WORDS + 5 + RANK_TEXT_WORDS - 2 + 3  # every position, head or not


def test_a_word_repeated_past_the_last_position_counts_once():
    built = vectors(_document(body="word " * 16500))
    assert built.words == MAX_POSITIONS_PER_LEXEME
    far = vectors(_document(body=" ".join(f"w{i}" for i in range(16390)) + " tail tail"))
    assert "'tail':16383C '~pw0~w1'" in far.document  # PostgreSQL keeps one entry per position


def test_past_the_vector_budget_new_words_are_left_out_and_kept_ones_still_placed():
    long = [f"{i:04d}" + "x" * 1996 for i in range(460)]
    built = vectors(_document(body=" ".join([*long, long[0]]), quoted="> tail"))
    kept = [w for w in long if f"'{w}':" in built.document]
    assert kept == long[: MAX_VECTOR_BYTES // (2000 + 8)]
    assert f"'{long[0]}':7C,467C " in built.document  # six empty fields' gaps before the body
    assert "'tail'" not in built.document and built.words == len(kept) + 1


def _pairs(literal: str) -> list[str]:
    return [entry.strip("'") for entry in literal.split(" ") if entry.startswith("'~p")]


def test_words_that_follow_each_other_in_a_bare_field_are_pairs():
    built = vectors(
        _document(subject="Fix the build", sender="Ann", filenames="a b.txt", recipients="x y", body="the build\nfails", quoted="> fix it")
    )
    # within a field (none from the subject's last word to the sender's first), none of
    # file names or recipients (written only prefixed, where no phrase is asked for by pairs)
    assert set(_pairs(built.document)) == {"~pfix~the", "~pthe~build", "~pbuild~fails", "~pfix~it"}
    # pairs hold no position: the length counts the words of every field (subject and sender twice)
    assert built.words == 3 + 1 + 3 + 1 + 3 + 2 + 3 + 2
    assert all(":" not in entry for entry in built.document.split(" ") if entry.startswith("'~p"))
    assert "~p" not in built.head  # ranking reads positions only


def test_pairs_too_long_are_left_out_and_pairs_past_the_budget_are_cut():
    long = "x" * (PAIR_CHARS - 1)
    assert _pairs(vectors(_document(body=f"ab {long} c d")).document) == [f"~p{long}~c", "~pc~d"]
    many = " ".join(f"{i:05d}" + "y" * 1500 for i in range(590))  # words fill most of the budget
    built = vectors(_document(body=many + " " + " ".join(f"p{i}" for i in range(20_000))))
    pairs = _pairs(built.document)
    assert pairs[-1] == PAIRS_CUT and 0 < len(pairs) < 20_000
    assert len(built.document.encode()) < 1_000_000


def test_a_phrase_is_asked_for_by_its_pairs_when_matching():
    # two bare words: the pair alone, but in vectors whose pairs stopped short
    assert text_tsquery(Text("test suite", None), pairs=True) == (
        "(('~ptest~suite' | ('~pcut' & 'test' <-> 'suite')) | ('~ftest' <-> '~fsuite'))"
    )
    # more words, a field or a prefix: the pairs as a condition, the positions checked
    assert text_tsquery(Text("a b c", None), pairs=True).startswith("(((('~pa~b' & '~pb~c') | '~pcut') & 'a' <-> 'b' <-> 'c') | ")
    assert text_tsquery(Text("release notes", "subject"), pairs=True) == (
        "(('~prelease~notes' | '~pcut') & '~trelease' <-> '~tnotes')"
    )
    assert text_tsquery(Text("oops now", "body"), pairs=True) == "(('~poops~now' | '~pcut') & 'oops':CD <-> 'now':CD)"
    assert text_tsquery(Text("run tes", None, prefix=True), pairs=True).startswith("(('run' <-> 'tes':*)")
    assert text_tsquery(Text("to bob", "recipients"), pairs=True) == "('~rto' <-> '~rbob')"
    long = "x" * PAIR_CHARS
    assert text_tsquery(Text(f"a {long}", None), pairs=True).startswith(f"(('a' <-> '{long}')")
    # ranking reads heads, which hold no pairs
    assert text_tsquery(Text("test suite", None)) == "(('test' <-> 'suite') | ('~ftest' <-> '~fsuite'))"
    _, params = Compiler({}, lambda d: d).where(parse_query('"test suite" -"old news"'))
    assert "'~ptest~suite'" in params[0] and "!(('~pold~news'" in params[0]
