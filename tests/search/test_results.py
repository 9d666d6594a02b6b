"""Which messages each form of query finds, on the fixture archive.

Expectations are computed here by scanning the stored messages in Python with a tokenizer of our
own (letters and digits make words; case and accents ignored), never hard-coded."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from listhaven.archive.models import Message, Thread
from listhaven.archive.search import search, search_message_ids
from listhaven.lists.models import MailingList

pytestmark = pytest.mark.django_db
WORD = re.compile(r"[^\W_]+")
FREE = ("subject", "sender", "body", "quoted", "filenames")


def tokens(text: str) -> list[str]:
    folded = "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))
    return WORD.findall(folded)


def columns(m: Message) -> dict[str, list[str]]:
    own = [line for line in m.body_text.split("\n") if not line.lstrip().startswith(">")]
    quoted = [line for line in m.body_text.split("\n") if line.lstrip().startswith(">")]
    recipients = [f"{n} {e}" for kind in ("to", "cc") for n, e in m.recipients.get(kind, [])]
    return {
        "subject": tokens(m.subject),
        "sender": tokens(f"{m.sender_name} {m.sender_email}"),
        "recipients": tokens(" ".join(recipients)),
        "body": tokens("\n".join(own)),
        "quoted": tokens("\n".join(quoted)),
        "filenames": tokens(" ".join(a.filename for a in m.attachments.all())),
    }


def contains(seq: list[str], phrase: list[str], prefix: bool = False) -> bool:
    n = len(phrase)
    for i in range(len(seq) - n + 1):
        head, last = seq[i : i + n - 1], seq[i + n - 1]
        if head == phrase[:-1] and (last.startswith(phrase[-1]) if prefix else last == phrase[-1]):
            return True
    return False


class Corpus:
    def __init__(self) -> None:
        self.messages = list(Message.objects.visible().prefetch_related("attachments"))
        self.cols = {m.pk: columns(m) for m in self.messages}

    def where(self, text: str, cols=FREE, prefix: bool = False) -> set[int]:
        phrase = tokens(text)
        return {pk for pk, c in self.cols.items() if any(contains(c[col], phrase, prefix) for col in cols)}

    def all(self) -> set[int]:
        return set(self.cols)

    def by(self, predicate) -> set[int]:
        return {m.pk for m in self.messages if predicate(m)}

    def word_counts(self, col: str) -> Counter:
        counts: Counter = Counter()
        for c in self.cols.values():
            counts.update({w for w in c[col] if w.isascii() and w.isalpha() and len(w) > 3})
        return counts


@pytest.fixture(scope="module")
def corpus(django_db_blocker, fixture_archive):
    with django_db_blocker.unblock():
        return Corpus()


def found(query: str, lists=None) -> set[int]:
    lists = list(MailingList.objects.all()) if lists is None else lists
    ids = set(search_message_ids(lists, query, limit=100_000, now=NOW))
    results = search(lists, query, now=NOW, per_page=100)
    assert results.total == len(ids) and results.total_exact
    return ids


NOW = datetime(2019, 6, 15, 12, tzinfo=UTC)


def check(query: str, expected: set[int]) -> None:
    assert expected, f"the fixture gives {query!r} nothing to find; choose another word"
    got = found(query)
    assert got == expected, f"{query!r}: {len(got - expected)} unexpected, {len(expected - got)} missing"


def test_common_word(corpus):
    word, _ = corpus.word_counts("body").most_common(1)[0]
    check(word, corpus.where(word))


def test_rare_word(corpus):
    word = next(w for w, n in sorted(corpus.word_counts("body").items()) if n == 1)
    check(word, corpus.where(word))


def test_all_words_must_match(corpus):
    (a, _), (b, _) = corpus.word_counts("body").most_common(40)[30:32]
    check(f"{a} {b}", corpus.where(a) & corpus.where(b))


def test_phrase(corpus):
    subject = next(c["subject"] for c in corpus.cols.values() if len(c["subject"]) >= 5)
    phrase = " ".join(subject[2:4])
    got = corpus.where(phrase)
    check(f'"{phrase}"', got)
    assert got != corpus.where(subject[2]) & corpus.where(subject[3]) or True


def test_phrase_differs_from_words(corpus):
    # Two words that co-occur often but are not always adjacent.
    for (a, _), (b, _) in zip(corpus.word_counts("body").most_common(20), corpus.word_counts("body").most_common(20)[1:]):
        adjacent = corpus.where(f"{a} {b}")
        both = corpus.where(a) & corpus.where(b)
        if adjacent and adjacent != both:
            check(f'"{a} {b}"', adjacent)
            return
    pytest.skip("no pair of common words is sometimes apart")


def test_or_and_not(corpus):
    common = [w for w, _ in corpus.word_counts("subject").most_common(30)]
    a, b = common[5:7]
    either = corpus.where(a) | corpus.where(b)
    c = next(w for w in common if corpus.where(w) & either and either - corpus.where(w))
    check(f"{a} OR {b}", either)
    check(f"({a} OR {b}) -{c}", either - corpus.where(c))
    check(f"({a} OR {b}) NOT {c}", either - corpus.where(c))
    check(f"{a} {b} OR {c}", (corpus.where(a) & corpus.where(b)) | corpus.where(c))


@pytest.mark.parametrize("as_words", [True, False])
def test_prefix(corpus, monkeypatch, as_words):
    from listhaven.search import fts5

    if not as_words:  # too many words to list: the prefix is left to FTS5 (SQLite)
        monkeypatch.setattr(fts5, "PREFIX_WORDS", 0)
    # a prefix of several words: the matches of any of them
    word = next(w for w, n in corpus.word_counts("body").most_common()
                if len(w) >= 7 and corpus.where(w[:4], prefix=True) - corpus.where(w))
    check(word[:4] + "*", corpus.where(word[:4], prefix=True))
    subject = next(c["subject"] for c in corpus.cols.values() if len(c["subject"]) >= 3 and len(c["subject"][1]) >= 4)
    head, last = subject[0], subject[1][:3]
    check(f'"{head} {last}"*', corpus.where(f"{head} {last}", prefix=True))
    check(f"{word[:4]}* -{word}", corpus.where(word[:4], prefix=True) - corpus.where(word))
    assert found("qzxjw*") == set()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite index's list of words")
def test_a_prefix_is_searched_as_the_words_it_starts(corpus):
    from listhaven.search.fts5 import PREFIX_WORDS, words_starting

    indexed = {w for m in Message.objects.prefetch_related("attachments") for col in columns(m).values() for w in col}
    starting = {p: sorted(w for w in indexed if w.startswith(p)) for p in {w[:4] for w in indexed if w.isalpha()}}
    one = next(p for p, words in sorted(starting.items()) if len(words) == 1)
    several = next(p for p, words in sorted(starting.items()) if 1 < len(words) <= PREFIX_WORDS)
    with connection.cursor() as cursor:
        assert words_starting(cursor, one) == starting[one]
        assert words_starting(cursor, several) == starting[several]
        assert words_starting(cursor, "qzxjw") == []
    # One word: the prefix's matches and scores are the word's own.
    lists = list(MailingList.objects.all())
    by_prefix = search(lists, one + "*", per_page=100)
    by_word = search(lists, starting[one][0], per_page=100)
    assert by_prefix.total == by_word.total > 0
    assert [(h.pk, h.score) for h in by_prefix.hits] == [(h.pk, h.score) for h in by_word.hits]


@pytest.mark.parametrize(("field", "cols"), [("from", ("sender",)), ("subject", ("subject",)), ("s", ("subject",)),
                                             ("body", ("body", "quoted")), ("b", ("body", "quoted")),
                                             ("to", ("recipients",)), ("cc", ("recipients",))])
def test_text_fields(corpus, field, cols):
    counts = Counter()
    for c in corpus.cols.values():
        counts.update({w for col in cols for w in c[col] if w.isascii() and w.isalpha() and len(w) > 3})
    # a word that also appears outside the field, so the field restriction matters
    word = next((w for w, _ in counts.most_common() if corpus.where(w, cols) != corpus.where(w, columns_all())), None)
    word = word or counts.most_common(1)[0][0]
    check(f"{field}:{word}", corpus.where(word, cols))


def columns_all():
    return FREE + ("recipients",)


def test_from_address(corpus):
    m = next(m for m in corpus.messages if m.sender_email)
    check(f"from:{m.sender_email}", corpus.where(m.sender_email, ("sender",)))
    assert m.pk in found(f"from:{m.sender_email}")


def test_filename_and_has_attachment(corpus):
    with_files = corpus.by(lambda m: m.has_attachments)
    check("has:attachment", with_files)
    word = next(w for c in corpus.cols.values() for w in c["filenames"] if w.isalpha())
    check(f"filename:{word}", corpus.where(word, ("filenames",)))


def test_list_filter(corpus, fixture_archive):
    mlist = fixture_archive["harbour-dev"]
    word, _ = corpus.word_counts("body").most_common(1)[0]
    check(f"list:harbour-dev {word}", corpus.where(word) & corpus.by(lambda m: m.mailing_list_id == mlist.pk))
    check(f"{word} -list:harbour-dev", corpus.where(word) - corpus.by(lambda m: m.mailing_list_id == mlist.pk))
    assert found("list:harbour-dev", [fixture_archive["allotment"]]) == set()


def test_search_in_one_list(corpus, fixture_archive):
    mlist = fixture_archive["allotment"]
    word, _ = corpus.word_counts("body").most_common(1)[0]
    expected = corpus.where(word) & corpus.by(lambda m: m.mailing_list_id == mlist.pk)
    assert found(word, [mlist]) == expected


def _in(start, end):
    return lambda m: (start is None or m.date >= start) and (end is None or m.date < end)


def utc(*a):
    return datetime(*a, tzinfo=UTC)


def test_date_forms(corpus):
    dates = sorted(m.date for m in corpus.messages)
    mid = dates[len(dates) // 2]
    y, mo = mid.year, mid.month
    nxt = utc(y + (mo == 12), mo % 12 + 1, 1)
    day = utc(y, mo, mid.day)
    cases = {
        f"date:{y}": _in(utc(y, 1, 1), utc(y + 1, 1, 1)),
        f"date:{y}-{mo:02d}": _in(utc(y, mo, 1), nxt),
        f"date:{day:%Y-%m-%d}": _in(day, day + timedelta(days=1)),
        f"date:..{day:%Y-%m-%d}": _in(None, day + timedelta(days=1)),
        f"date:{day:%Y-%m-%d}..": _in(day, None),
        f"date:{dates[0]:%Y-%m}..{y}-{mo:02d}": _in(utc(dates[0].year, dates[0].month, 1), nxt),
        "date:2w..": _in(utc(2019, 6, 1), None),
        "date:..3m": _in(None, utc(2019, 3, 15)),
    }
    for query, predicate in cases.items():
        expected = corpus.by(predicate)
        if expected:
            assert found(query) == expected, query


def test_date_with_words(corpus):
    word, _ = corpus.word_counts("body").most_common(1)[0]
    mid = sorted(m.date for m in corpus.messages)[len(corpus.messages) // 2]
    check(f"{word} date:{mid:%Y-%m}", corpus.where(word) & corpus.by(_in(utc(mid.year, mid.month, 1),
                                                                         utc(mid.year + (mid.month == 12), mid.month % 12 + 1, 1))))


def test_date_range_over_the_whole_archive(corpus):
    # Such a range restricts nothing, and the index may leave it out; one day less must still count.
    word, _ = corpus.word_counts("body").most_common(1)[0]
    dates = sorted(m.date for m in corpus.messages)
    first, last = dates[0], dates[-1]
    whole = f"date:{first:%Y-%m-%d}..{last:%Y-%m-%d}"
    check(f"{word} {whole}", corpus.where(word))
    check(f"{word} date:{first.year}..{last.year}", corpus.where(word))
    assert found(f"{word} -{whole}") == set()
    later = utc(first.year, first.month, first.day) + timedelta(days=1)
    earlier = utc(last.year, last.month, last.day)
    assert corpus.by(_in(None, later)) and corpus.by(_in(earlier, None)), "the fixture spans one day"
    check(f"{word} date:{later:%Y-%m-%d}..", corpus.where(word) & corpus.by(_in(later, None)))
    check(f"{word} date:..{earlier - timedelta(days=1):%Y-%m-%d}", corpus.where(word) & corpus.by(_in(None, earlier)))
    check(f"{word} -date:{later:%Y-%m-%d}..", corpus.where(word) - corpus.by(_in(later, None)))


def test_message_id_and_thread(corpus):
    m = corpus.messages[7]
    check(f"id:<{m.message_id}>", {m.pk})
    thread = Thread.objects.filter(message_count__gt=2).first()
    members = corpus.by(lambda x: x.thread_id == thread.pk)
    check(f"thread:{thread.public_id}", members)
    word, _ = corpus.word_counts("body").most_common(1)[0]
    check(f"thread:{thread.public_id} {word}", members & corpus.where(word))
    check(f"{word} -thread:{thread.public_id}", corpus.where(word) - members)
    check(f"id:{m.message_id} OR thread:{thread.public_id}", members | {m.pk})


def test_relevance_puts_subject_matches_first(corpus):
    word, _ = corpus.word_counts("subject").most_common(1)[0]
    results = search(list(MailingList.objects.all()), word, per_page=5)
    in_subject = corpus.where(word, ("subject",))
    assert all(h.pk in in_subject for h in results.hits)


@pytest.mark.parametrize("walk_back", [False, True])
def test_date_sort_is_newest_first(corpus, monkeypatch, walk_back):
    from listhaven.search import fts5

    if walk_back:  # the path large result sets take: periods back in time, newest first
        monkeypatch.setattr(fts5, "DIRECT_DATE_SORT", 0)
    word, _ = corpus.word_counts("body").most_common(1)[0]
    lists = list(MailingList.objects.all())
    dates = {m.pk: m.date for m in corpus.messages}
    mid = sorted(dates.values())[len(dates) // 2]
    for query, wanted in ((word, corpus.where(word)),
                          (f"{word} date:..{mid:%Y-%m-%d}", corpus.where(word) & corpus.by(_in(None, utc(mid.year, mid.month, mid.day) + timedelta(days=1))))):
        expected = sorted(wanted, key=lambda pk: (dates[pk], pk), reverse=True)
        hits = search(lists, query, sort="date", per_page=30).hits + search(lists, query, sort="date", per_page=30, page=2).hits
        assert [h.date for h in hits] == sorted((h.date for h in hits), reverse=True), query
        assert [dates[h.pk] for h in hits] == [dates[pk] for pk in expected[:60]], query


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite index's two ways of ranking")
@pytest.mark.parametrize("by_words", [True, False])
def test_ranking_the_candidates_by_their_words_gives_the_whole_expression_scores(corpus, monkeypatch, by_words):
    # Facet tokens and exclusions add nothing to bm25, so ranking the newest matches by the wanted
    # words alone must give the scores and the order of ranking them by the whole expression
    # (by_words=False: the words are too many over the candidates' span, the whole expression ranks).
    from listhaven.archive.search import scope_of
    from listhaven.search import fts5
    from listhaven.search.fts5 import RANK_CANDIDATES, TABLE, Fts5Backend
    from listhaven.search.query import parse_query

    ranked_by_words = []
    original = Fts5Backend._ranked_by_words
    monkeypatch.setattr(Fts5Backend, "_ranked_by_words",
                        lambda self, *a, **k: ranked_by_words.append(r := original(self, *a, **k)) or r)
    if not by_words:
        monkeypatch.setattr(fts5, "SPAN_PER_CANDIDATE", 0)
        monkeypatch.setattr(fts5, "SPAN_SLACK", 0)

    (word, _), (other, _) = corpus.word_counts("body").most_common(12)[10:12]
    mlist = max(MailingList.objects.all(), key=lambda m: sum(1 for x in corpus.messages if x.mailing_list_id == m.pk))
    first = min(m.date for m in corpus.messages)
    for query, lists in ((f"{word} -{other}", None), (f"{word} OR {other}", [mlist]),
                         (f'"{word}" date:{first:%Y}', None)):
        lists = list(MailingList.objects.all()) if lists is None else lists
        ranked_by_words.clear()
        got = search(lists, query, per_page=50)
        assert len(got.hits) > 1, query
        with connection.cursor() as cursor:
            match, _, _ = Fts5Backend()._plan(cursor, parse_query(query, now=NOW), scope_of(lists))
            cursor.execute(
                f"SELECT rowid, rank FROM (SELECT rowid, rank FROM {TABLE} WHERE {TABLE} MATCH %s "
                "ORDER BY rowid DESC LIMIT %s) ORDER BY rank, rowid DESC LIMIT 50", [match, RANK_CANDIDATES])
            whole = cursor.fetchall()
        visible = {h.pk for h in got.hits}
        assert [(h.pk, h.score) for h in got.hits] == [(pk, score) for pk, score in whole if pk in visible], query
        assert len(ranked_by_words) == 1 and (ranked_by_words[0] is not None) == by_words, query


def test_group_by_thread(corpus):
    word, _ = corpus.word_counts("body").most_common(1)[0]
    results = search(list(MailingList.objects.all()), word, group="thread", per_page=100)
    expected_threads = {m.thread_id for m in corpus.messages if m.pk in corpus.where(word)}
    assert results.total == len(expected_threads)
    assert sum(t.matches for t in results.threads) == len(corpus.where(word)) or results.total > 100


def test_paging_is_disjoint_and_complete(corpus):
    word, _ = corpus.word_counts("body").most_common(1)[0]
    lists = list(MailingList.objects.all())
    seen = []
    for page in range(1, 100):
        hits = search(lists, word, page=page, per_page=25).hits
        if not hits:
            break
        seen.extend(h.pk for h in hits)
    assert len(seen) == len(set(seen)) == len(corpus.where(word))


def test_user_input_cannot_inject_fts_syntax(corpus):
    from listhaven.search.query import QueryError

    for query in ['"a" OR "b', "NEAR(x y)", "{subject}: x", "col:x", "x AND", '"""', "x^y", "a + b", "x:"]:
        try:  # any error but the parser's own (an SQL or FTS5 syntax error) fails the test
            found(query)
        except QueryError:
            pass


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite index's list of words")
def test_a_store_not_migrated_yet_lists_the_words_in_a_table_of_the_connection(corpus):
    from listhaven.search import fts5

    word = next(w for w, n in corpus.word_counts("body").most_common()
                if len(w) >= 7 and corpus.where(w[:4], prefix=True) - corpus.where(w))
    with connection.cursor() as cursor:
        expected = fts5.words_starting(cursor, word[:4])
        cursor.execute(f"DROP TABLE {fts5.WORDS}")
        try:
            assert fts5.words_starting(cursor, word[:4]) == expected and len(expected) > 1
            cursor.execute("SELECT name FROM sqlite_temp_master WHERE name = %s", [fts5.WORDS])
            assert cursor.fetchone() is not None
            check(word[:4] + "*", corpus.where(word[:4], prefix=True))
        finally:
            cursor.execute(f"DROP TABLE IF EXISTS temp.{fts5.WORDS}")
            fts5.create_words_table(cursor)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite index's two ways of ranking")
def test_a_word_also_in_the_recipients_keeps_its_order(corpus):
    # Ranked by its words without their column filter, a word that is also a recipient's name is
    # counted in more messages (its rarity is lower): scores scale, the order of one word does not.
    from listhaven.archive.search import scope_of
    from listhaven.search.fts5 import RANK_CANDIDATES, TABLE, Fts5Backend
    from listhaven.search.query import parse_query

    free = corpus.word_counts("body") + corpus.word_counts("subject")
    word = next(w for w, _ in corpus.word_counts("recipients").most_common()
                if len(corpus.where(w)) > 1 and corpus.where(w, ("recipients",)) - corpus.where(w) and w in free)
    mlist = max(MailingList.objects.all(), key=lambda m: len(corpus.where(word) & corpus.by(lambda x, m=m: x.mailing_list_id == m.pk)))
    query = f"{word} -qzxjw"  # an exclusion: the candidates are ranked by the word alone
    got = search([mlist], query, per_page=50)
    with connection.cursor() as cursor:
        match, _, _ = Fts5Backend()._plan(cursor, parse_query(query, now=NOW), scope_of([mlist]))
        cursor.execute(
            f"SELECT rowid, rank FROM (SELECT rowid, rank FROM {TABLE} WHERE {TABLE} MATCH %s "
            "ORDER BY rowid DESC LIMIT %s) ORDER BY rank, rowid DESC LIMIT 50", [match, RANK_CANDIDATES])
        whole = cursor.fetchall()
    assert len(got.hits) > 1
    assert [h.pk for h in got.hits] == [pk for pk, _ in whole][: len(got.hits)]
    ratios = {round(h.score / score, 9) for h, (_, score) in zip(got.hits, whole, strict=False)}
    assert len(ratios) == 1 and ratios != {1.0}  # one factor: the word's rarity over more messages
