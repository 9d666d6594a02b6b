"""The PostgreSQL search backend on a real database. These tests run only with DATABASE_URL set
to a PostgreSQL server (test_postgres.py starts one and runs them); on SQLite they skip."""

from __future__ import annotations

import importlib
import re
from email.message import EmailMessage
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.contrib.admin.sites import site
from django.db import connection
from django.test import RequestFactory

from listhaven.archive.admin import redact
from listhaven.archive.ingest import store_batch
from listhaven.archive.models import Message
from listhaven.archive.search import QueryError, scope_of, search, search_message_ids
from listhaven.search.pg_document import ID_BLOCK, ID_BLOCK_SIZE
from listhaven.search.query import parse_query
from tests.archive.conftest import make_message, parsed

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs DATABASE_URL=postgres://..."),
]


@pytest.fixture
def mlist(db):
    from listhaven.lists.directory import create_list

    return create_list("pgsearch@lists.example.org", description="A test list")


def _store(mlist, *raws: bytes) -> list[int]:
    return store_batch(mlist, [parsed(raw, f"t#{i}") for i, raw in enumerate(raws)]).stored


def _rows_matching(word: str) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT message_id FROM search_document WHERE document @@ %s::tsquery", [f"'{word}'"])
        return [row[0] for row in cursor.fetchall()]


def _ids(mlist, query: str) -> set[int]:
    return set(search_message_ids([mlist], query))


def _with_attachment(msgid: str, filename: str, body: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Dee <dee@example.org>"
    message["To"] = "pgsearch@lists.example.org"
    message["Subject"] = "Logs"
    message["Date"] = "Fri, 01 Mar 2024 12:00:00 +0000"
    message["Message-ID"] = f"<{msgid}>"
    message.set_content(body)
    message.add_attachment(b"data", maintype="application", subtype="octet-stream", filename=filename)
    return message.as_bytes()


def test_rows_written_in_the_ingest_transaction_with_the_message_facts(mlist):
    [pk] = _store(mlist, make_message("p1@x", "Zanzibar meeting", "xylophone\n"))
    assert _rows_matching("xylophone") == [pk]
    with connection.cursor() as cursor:
        cursor.execute("SELECT list_id, date, has_attachment FROM search_document WHERE message_id = %s", [pk])
        list_id, date, has_attachment = cursor.fetchone()
    message = Message.objects.get(pk=pk)
    assert (list_id, date, has_attachment) == (mlist.pk, message.date, False)


def test_redaction_removes_the_row_and_keeps_the_rest(mlist, admin_user):
    keep, gone = _store(
        mlist,
        make_message("keep@x", "Keep", "quokka shared\n", sender="Bo <bo@example.org>"),
        make_message("gone@x", "Gone", "quokka wombat secret\n", sender="Cy <cy@example.org>"),
    )
    request = RequestFactory().post("/admin/")
    request.user = admin_user
    request._messages = type("Store", (), {"add": lambda *a, **k: None})()
    redact(site._registry[Message], request, Message.objects.filter(pk=gone))
    assert _rows_matching("wombat") == []
    assert _rows_matching("quokka") == [keep]
    assert _ids(mlist, "quokka") == {keep}
    # A query without words reads this table too: the removed message is neither found nor counted.
    assert _ids(mlist, "date:2000..") == {keep}
    assert search([mlist], "date:2000..").total == 1


def test_deleting_a_message_deletes_its_row(mlist):
    [pk] = _store(mlist, make_message("del@x", "Gone soon", "ephemeral\n"))
    Message.objects.filter(pk=pk).delete()
    assert _rows_matching("ephemeral") == []


def test_addresses_hyphens_and_accents_are_split_like_the_query_language(mlist):
    [pk] = _store(
        mlist,
        make_message(
            "tok@x",
            "Café on x86-64",
            "see https://example.com/a_b/c.html v2.6.32\n",
            sender="Élodie Martin <elodie.martin@example.org>",
        ),
    )
    for query in (
        "from:elodie",
        "from:martin",
        "from:example",
        "from:elodie.martin@example.org",
        "cafe",
        "CAFÉ",
        '"x86 64"',
        "x86-64",
        "example",
        "html",
        "b",
        '"v2 6 32"',
        "from:élo*",
    ):
        assert _ids(mlist, query) == {pk}, query
    assert _ids(mlist, "subject:elodie") == set()


def test_fields_stay_apart(mlist):
    plain, attached = _store(
        mlist,
        make_message("f1@x", "Plain", "the tracefile is attached\n", sender="Al <al@example.org>"),
        _with_attachment("f2@x", "tracefile.log", "see attachment\n"),
    )
    assert _ids(mlist, "tracefile") == {plain, attached}  # file names are part of the usual text
    assert _ids(mlist, "filename:tracefile") == {attached}
    assert _ids(mlist, "filename:trace*") == {attached}
    assert _ids(mlist, "body:tracefile") == {plain}
    assert _ids(mlist, "has:attachment") == {attached}
    assert _ids(mlist, "tracefile has:attachment") == {attached}
    # every message is "to" the list: recipients answer to: only, never free words or prefixes
    assert _ids(mlist, "to:lists") == {plain, attached}
    assert _ids(mlist, "lists") == _ids(mlist, "list*") == set()


def test_phrases_do_not_run_across_fields(mlist):
    [pk] = _store(mlist, make_message("ph@x", "alpha beta", "gamma delta\n", sender="Eve <eve@example.org>"))
    assert _ids(mlist, '"alpha beta"') == {pk}
    assert _ids(mlist, '"beta eve"') == set()  # subject's last word, sender's first
    assert _ids(mlist, '"org gamma"') == set()  # sender's last word, body's first


def test_quoted_text_ranks_below_the_authors_own_words(mlist):
    quoting, writing = _store(
        mlist,
        make_message("q1@x", "Re: plans", "> the marmoset escaped\n> twice\nok\n", minutes=1),
        make_message("q2@x", "Re: plans", "the marmoset escaped\n", minutes=2),
    )
    hits = search([mlist], "marmoset").hits
    assert [h.pk for h in hits] == [writing, quoting]
    assert _ids(mlist, "body:marmoset") == {quoting, writing}


def test_long_words_and_huge_bodies_are_indexed(mlist):
    long_word = "z" * 3000
    many = " ".join(f"w{i:07d}" for i in range(120_000))  # about 1 MB of distinct words
    first, second = _store(
        mlist,
        make_message("long@x", "Long", f"{long_word} tail\n"),
        make_message("huge@x", "Huge", f"start {many}\n"),
    )
    assert _ids(mlist, "tail") == {first}
    assert _ids(mlist, "z" * 900 + "*") == {first}
    assert _ids(mlist, "中" * 999) == set()  # 3 KB of UTF-8: cut like the indexed words, no error
    assert _ids(mlist, "start") == {second}
    # the huge body's words filled the vector: its pairs stopped short, its phrases are found by positions
    assert "'~pcut'" in _documents([second])[second]
    assert _ids(mlist, '"start w0000000"') == {second}
    assert _ids(mlist, '"w0000000 start"') == set()


def test_two_word_phrases_are_found_by_their_pairs_as_by_positions(mlist):
    far = " ".join(f"w{i}" for i in range(16_500))  # past the last position a vector keeps
    near, beyond, quoting = _store(
        mlist,
        make_message("pr1@x", "Test suite results", "the test suite passed\n"),
        make_message("pr2@x", "Other", f"{far} late phrase\n"),
        make_message("pr3@x", "Re: other", "> the test\n> suite was run\nsuite test\n"),
    )
    assert _ids(mlist, '"test suite"') == {near, quoting}  # subject, own text; quoted lines run on
    assert _ids(mlist, '"suite test"') == {quoting}
    assert _ids(mlist, '"suite passed" -"suite results"') == set()
    assert _ids(mlist, '"suite passed" OR "late phrase"') == {near, beyond}  # the pair holds what positions cannot
    assert _ids(mlist, '"test suite passed"') == {near}
    assert _ids(mlist, 'subject:"test suite"') == {near}
    assert _ids(mlist, 'body:"test suite"') == {near, quoting}
    assert _ids(mlist, '"suite results"') == {near}
    assert _ids(mlist, '"results the"') == set()  # subject's last word, text's first


def test_the_migration_writes_the_pairs_the_ingest_writes(mlist):
    pks = _store(
        mlist,
        make_message("mp1@x", "Test suite", "the test suite passed\n"),
        make_message("mp2@x", "Other", "suite test\n"),
    )
    written = _documents(pks)
    with connection.cursor() as cursor:  # a store indexed before pairs were written
        cursor.execute(
            "UPDATE search_document SET document = ts_delete(document, "
            "ARRAY(SELECT u.lexeme FROM unnest(document) u WHERE starts_with(u.lexeme, '~p')))"
        )
    assert all("'~p" not in document for document in _documents(pks).values())
    assert _ids(mlist, '"test suite"') == set()
    migration = importlib.import_module("listhaven.archive.migrations.0018_search_word_pairs")
    migration.write_pairs(django_apps, SimpleNamespace(connection=connection))
    assert _documents(pks) == written
    assert _ids(mlist, '"test suite"') == {pks[0]}
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM search_word WHERE starts_with(word, '~p')")
        assert cursor.fetchone()[0] == 0  # pairs are not words a prefix can start


def test_punctuation_in_queries_cannot_break_the_tsquery(mlist):
    [pk] = _store(mlist, make_message("pn@x", "It's done", "o'reilly \\ back & slash | !bang <-> :*\n"))
    assert _ids(mlist, "o'reilly") == {pk}
    for query in ["'", "it's", "\\", "a & b", "x | y", "!bang", "<->", ":*", "'a':*", "x:*A"]:
        try:  # any error but the parser's own (a tsquery syntax error) fails the test
            search([mlist], query)
        except QueryError:
            pass


def _rank_rows(pks: list[int]) -> dict[int, tuple[str, int]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT message_id, head::text, words FROM search_rank WHERE message_id = ANY(%s)", [pks])
        return {pk: (head, words) for pk, head, words in cursor.fetchall()}


def test_the_migration_computes_the_heads_the_ingest_writes(mlist):
    """Stores from before the rank table get it from their stored vectors, in SQL; it must equal
    what pg_document.vectors writes for new messages."""
    recipients = ", ".join(f"Person {i} <p{i}@example.org>" for i in range(12))
    long_body = " ".join(f"word{i % 150}" for i in range(400))
    pks = _store(
        mlist,
        make_message("h1@x", "Short", "just a line\n"),
        make_message("h2@x", "Long one", f"{long_body}\n> quoted {long_body}\n", extra_headers=f"Cc: {recipients}"),
        make_message("h3@x", "Only quoting", "> " + long_body + "\n", sender="Zoë Ünal <zoe@example.org>"),
        _with_attachment("h4@x", "trace-2024.log", "see the log\n"),
    )
    written = _rank_rows(pks)
    assert set(written) == set(pks)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM search_rank WHERE message_id = ANY(%s)", [pks])
    assert _rank_rows(pks) == {}
    migration = importlib.import_module("listhaven.archive.migrations.0011_search_rank")
    migration.add_rank_head(None, SimpleNamespace(connection=connection))
    assert _rank_rows(pks) == written


def test_a_word_past_the_head_still_matches_and_the_subject_ranks_first(mlist):
    filler = " ".join(f"filler{i}" for i in range(300))
    late, early, titled = _store(
        mlist,
        make_message("r1@x", "Report", f"{filler} pangolin\n", minutes=3),
        make_message("r2@x", "Report", "pangolin sighted\n", minutes=2),
        make_message("r3@x", "Pangolin", "sighted\n", minutes=1),
    )
    assert [h.pk for h in search([mlist], "pangolin").hits] == [titled, early, late]
    assert search([mlist], "pangolin").total == 3


def test_removing_a_message_removes_its_rank_row(mlist):
    keep, gone = _store(mlist, make_message("k@x", "Keep", "ocelot\n"), make_message("g@x", "Gone", "ocelot\n"))
    Message.objects.filter(pk=gone).delete()
    assert set(_rank_rows([keep, gone])) == {keep}


@pytest.mark.django_db(transaction=True)
def test_truncating_the_messages_empties_both_search_tables(mlist):
    _store(mlist, make_message("t@x", "Soon gone", "tapir\n"))
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE archive_message CASCADE")
        cursor.execute("SELECT (SELECT count(*) FROM search_document), (SELECT count(*) FROM search_rank)")
        assert cursor.fetchone() == (0, 0)


def _documents(pks: list[int]) -> dict[int, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT message_id, document::text FROM search_document WHERE message_id = ANY(%s)", [pks])
        return dict(cursor.fetchall())


def test_the_migration_adds_the_id_block_the_ingest_writes(mlist):
    pks = _store(mlist, make_message("b1@x", "Blocks", "one\n"), make_message("b2@x", "Blocks", "two\n"))
    written = _documents(pks)
    assert all(f"'{ID_BLOCK}{pk // ID_BLOCK_SIZE}'" in written[pk] for pk in pks)
    with connection.cursor() as cursor:  # as a store from before the blocks: vectors without them
        cursor.execute(
            "UPDATE search_document SET document = ts_delete(document, %s || (message_id / %s)::text) "
            "WHERE message_id = ANY(%s)",
            [ID_BLOCK, ID_BLOCK_SIZE, pks],
        )
    assert _documents(pks) != written
    migration = importlib.import_module("listhaven.archive.migrations.0012_search_id_blocks")
    migration.add_id_blocks(None, SimpleNamespace(connection=connection))
    assert _documents(pks) == written


def test_compatibility_characters_are_found_by_lower_case_words_and_the_migration_refolds_old_vectors(
    mlist, monkeypatch
):
    from listhaven.search import pg_document

    text = "Windows™ crashes in ℍilbert space, said 𝐁𝐨𝐥𝐝𝐥𝐲\n"
    pks = _store(mlist, make_message("c1@x", "Odd letters", text), make_message("c2@x", "Plain", "windows crashes\n"))
    for query in ("windowstm", "WINDOWS™", "hilbert", "ℍilbert", "boldly", "from:ann subject:odd"):
        assert _ids(mlist, query) == {pks[0]}, query
    written = _documents(pks)
    assert all(lexeme == lexeme.lower() for lexeme in written[pks[0]].split("'")[1::2])
    # A store indexed before: fold() lowered, then decomposed (and words took capitals too).
    monkeypatch.setattr(pg_document, "fold", _fold_lowering_first)
    monkeypatch.setattr(pg_document, "_ASCII_WORD", re.compile(r"[A-Za-z0-9]+"))
    from listhaven.archive.models import Message
    from listhaven.search import backend_for
    from listhaven.search.documents import document_for_message

    with connection.cursor() as cursor:
        backend_for(connection).index(cursor, [document_for_message(m) for m in Message.objects.filter(pk__in=pks)])
    monkeypatch.undo()
    stale = _documents(pks)
    assert "'windowsTM'" in stale[pks[0]] and stale[pks[1]] == written[pks[1]]
    assert _ids(mlist, "windowstm") == set()
    migration = importlib.import_module("listhaven.archive.migrations.0015_search_lower_after_nfkd")
    migration.relower(django_apps, SimpleNamespace(connection=connection))
    assert _documents(pks) == written
    assert _ids(mlist, "windowstm") == {pks[0]}


def _fold_lowering_first(text: str) -> str:
    import unicodedata

    from listhaven.search.pg_document import _UNMARKED

    return unicodedata.normalize("NFKD", text.lower()).translate(_UNMARKED)


@pytest.mark.parametrize(
    ("query", "longest", "prefix_words"),
    [("gnu", 16, 32), ("gnu", 1, 32), ("gn*", 16, 32), ("gn*", 1, 32), ("gn*", 16, 0), ("gn*", 1, 0)],
)
@pytest.mark.parametrize("cap", [100, 4, 8])
@pytest.mark.parametrize(
    "matching", ["every message", "the oldest messages only", "every third message", "two stretches", "none"]
)
def test_ranking_among_the_newest_blocks_equals_ranking_among_all(
    mlist, monkeypatch, matching, cap, query, longest, prefix_words
):
    """Small blocks and few candidates, so that the walk over windows of the newest blocks is
    tried: the results must be those found without it, whether the first window holds enough
    matches or not (a prefix's first window is sized from a sample of the newest ids: whether it
    says too much or too little), whether the next ones are windows or the rest of the ids
    (`longest`), and the count (made from the same scans, or counted on from them; a prefix is
    walked to the cap) that of a plain count, whether the windows reach the cap or not. A prefix is
    tried as its words (the vocabulary) and as a prefix (`prefix_words` 0: none is expanded)."""
    from listhaven.archive import search_pages
    from listhaven.search import pg_document, postgres

    monkeypatch.setattr(search_pages, "COUNT_CAP", cap)

    monkeypatch.setattr(pg_document, "ID_BLOCK_SIZE", 2)
    monkeypatch.setattr(postgres, "ID_BLOCK_SIZE", 2)
    monkeypatch.setattr(postgres, "RANK_CANDIDATES", 3)
    monkeypatch.setattr(postgres, "MAX_WINDOW_BLOCKS", longest)
    monkeypatch.setattr(postgres, "PREFIX_SAMPLE", 4)  # a prefix's first window sized from the newest 4 ids
    monkeypatch.setattr(postgres, "PREFIX_WORDS", prefix_words)
    has_word = {
        "every message": lambda i: True,
        "the oldest messages only": lambda i: i < 4,
        "every third message": lambda i: i % 3 == 0,
        # a list's own words come in its stretches of ids: the density of the first window misleads
        "two stretches": lambda i: 8 <= i < 12 or i >= 22,
        "none": lambda i: False,
    }[matching]
    raws = [
        make_message(
            f"w{i}@x",
            "Gnu" if i % 4 == 0 and has_word(i) else "Notes",
            ("gnu " * (i % 5 + 1) if has_word(i) else "yak") + "\n",
            minutes=i,
        )
        for i in range(24)
    ]
    pks = _store(mlist, *raws)
    assert pks == sorted(pks) and pks[-1] - pks[0] == 23
    # The first window (the blocks of the newest 6 ids) leaves out the blocks of the oldest messages.
    assert (pks[-1] - postgres._window_ids()) // 2 > pks[0] // 2
    found = search([mlist], query, per_page=50)
    windowed = [(h.pk, h.score) for h in found.hits]
    assert [(h.pk, h.score) for h in search([mlist], query, per_page=2, page=2).hits] == windowed[2:4]
    monkeypatch.setattr(postgres, "_window_ids", lambda: 10**9)  # every block: no window
    everything = [(h.pk, h.score) for h in search([mlist], query, per_page=50).hits]
    assert windowed == everything
    matches = sum(1 for i in range(24) if has_word(i))
    assert (found.total, found.total_exact) == (min(matches, cap), matches <= cap)
    with connection.cursor() as cursor:
        assert postgres.PostgresBackend().count(cursor, parse_query(query), scope_of([mlist]), cap) == min(
            matches, cap + 1
        )
    newest = sorted((pk for i, pk in enumerate(pks) if has_word(i)), reverse=True)[:3]
    assert sorted(pk for pk, _ in windowed) == sorted(newest)


def test_the_count_and_the_page_come_in_one_round_trip_and_sequential_scans_come_back_on(mlist):
    _store(mlist, *(make_message(f"o{i}@x", "Okapi" if i % 2 else "Notes", "okapi\n", minutes=i) for i in range(7)))
    sent: list[str] = []

    def spy(execute, sql, params, many, context):
        sent.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        results = search([mlist], "okapi", per_page=3, page=2)
    counted_and_found = [sql for sql in sent if "total AS" in sql and "ts_rank" in sql]
    assert len(counted_and_found) == 1 and counted_and_found[0].startswith("SET enable_seqscan = off")
    assert results.total == 7 and len(results.hits) == 3
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_seqscan")
        assert cursor.fetchone() == ("on",)


def test_a_failing_statement_leaves_sequential_scans_on(mlist):
    from django.db import DatabaseError, transaction

    from listhaven.search import postgres

    with connection.cursor() as cursor:
        with pytest.raises(DatabaseError), transaction.atomic():
            postgres._run(cursor, [postgres._Statement("SELECT 1 / 0", [], True, postgres._number)])
        cursor.execute("SHOW enable_seqscan")
        assert cursor.fetchone() == ("on",)
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("on",)


def _pending_pages_merged() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT gin_clean_pending_list('search_document_document'::regclass)")
        return int(cursor.fetchone()[0])


def test_an_import_leaves_no_pending_entries_in_the_gin_index(mlist, tmp_path):
    from listhaven.archive.importer import import_path

    _store(mlist, *(make_message(f"p{i}@x", "Pending", f"entry{i} kinkajou\n", minutes=i) for i in range(5)))
    assert _pending_pages_merged() > 0  # small writes go to the pending list first
    _store(mlist, make_message("p5@x", "Pending", "kinkajou\n", minutes=5))
    mbox = tmp_path / "some.mbox"
    mbox.write_bytes(
        b"".join(
            b"From x@y Thu Jan  1 00:00:00 2024\n"
            + make_message(f"i{i}@x", "Imported", f"serval{i}\n", minutes=10 + i)
            + b"\n"
            for i in range(3)
        )
    )
    summary = import_path(mlist, str(mbox), workers=0)
    assert summary.stored == 3
    assert _pending_pages_merged() == 0
    assert _ids(mlist, "kinkajou") and len(_ids(mlist, "serval0")) == 1


def _vocabulary(stem: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT word FROM search_word WHERE starts_with(word, %s) ORDER BY word", [stem])
        return [row[0] for row in cursor.fetchall()]


def test_the_vocabulary_holds_every_word_the_ingest_writes_and_the_migration_finds_the_same(mlist):
    """Every lexeme of every stored vector but the id block's (field copies too), written in the
    statement that writes the vectors; the migration fills it for stores indexed before it."""
    pks = _store(
        mlist,
        make_message("v1@x", "Quoll report", "quollish quolls\n> quollcat\n", sender="Quollo <q@example.org>"),
        _with_attachment("v2@x", "quollfile.txt", "nothing\n"),
    )
    expected = {"quoll", "quollish", "quolls", "quollcat", "quollo"}  # a file name is "~f" words only
    assert set(_vocabulary("quoll")) == expected
    assert set(_vocabulary("~tquoll")) == {"~tquoll"} and set(_vocabulary("~squoll")) == {"~squollo"}
    assert set(_vocabulary("~fquoll")) == {"~fquollfile"}
    assert _vocabulary(ID_BLOCK) == []
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM search_word WHERE starts_with(word, 'quoll') OR word LIKE %s", ["~_quoll%"])
    assert _vocabulary("quoll") == []
    migration = importlib.import_module("listhaven.archive.migrations.0017_search_words_and_blocks")
    migration.fill_words_and_blocks(None, SimpleNamespace(connection=connection))
    assert set(_vocabulary("quoll")) == expected and set(_vocabulary("~fquoll")) == {"~fquollfile"}
    assert _ids(mlist, "quoll*") == set(pks)


@pytest.mark.parametrize(
    "query",
    [
        "numbat*",
        "numbatt*",  # one word
        "numbatz*",  # no word
        "subject:numb*",
        "from:numbat*",
        "filename:numbat*",
        "body:numbat*",
        '"stripy numb"*',
        "numbat* -numbatfoo*",
        "(numbatfoo* OR numbatt*) stripy",
        "numbat* date:2000..",
    ],
)
def test_a_prefix_searched_as_its_words_finds_and_ranks_what_the_prefix_does(mlist, monkeypatch, query):
    from listhaven.search import postgres

    _store(
        mlist,
        make_message("n1@x", "Numbat news", "stripy numbats seen\n", minutes=1),
        make_message("n2@x", "Other", "a numbatfoo and a numbattle\n", minutes=2, sender="Numbatter <n@example.org>"),
        make_message("n3@x", "Quoted", "> stripy numbat\nnothing\n", minutes=3),
        _with_attachment("n4@x", "numbat.png", "picture\n"),
        make_message("n5@x", "Nothing", "numb and stripy\n", minutes=5),
    )
    as_words = search([mlist], query, per_page=50)
    by_date = search([mlist], query, sort="date", per_page=50)
    monkeypatch.setattr(postgres, "PREFIX_WORDS", 0)  # every prefix left to the GIN index as ':*'
    as_prefix = search([mlist], query, per_page=50)
    assert [(h.pk, h.score) for h in as_words.hits] == [(h.pk, h.score) for h in as_prefix.hits]
    assert as_words.total == as_prefix.total
    assert [h.pk for h in by_date.hits] == [h.pk for h in search([mlist], query, sort="date", per_page=50).hits]
    with connection.cursor() as cursor:
        node, scope = parse_query(query), scope_of([mlist])
        assert postgres.PostgresBackend().count(cursor, node, scope, 100) == as_prefix.total


def test_a_prefix_is_asked_of_the_gin_index_as_its_words(mlist, monkeypatch):
    """`:*` makes the GIN index read every match of the words a prefix starts, whatever the window
    of id blocks beside it; the words themselves are read within the window. More words than
    PREFIX_WORDS: the prefix stays a prefix."""
    from listhaven.search import postgres

    _store(mlist, *(make_message(f"d{i}@x", "Dunnart", f"dunnart{i % 3}\n", minutes=i) for i in range(6)))
    sent: list[tuple[str, object]] = []

    def spy(execute, sql, params, many, context):
        sent.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        assert search([mlist], "dunnart*").total == 6
    tsqueries = [p for sql, params in sent if "ts_rank" in sql for p in params if isinstance(p, str) and "dunnart" in p]
    matching = [q for q in tsqueries if ":*" not in q]
    assert matching and all("'dunnart0' | 'dunnart1' | 'dunnart2'" in q for q in matching)
    assert any(":*" in q for q in tsqueries)  # the ranking's query: the prefix as written
    monkeypatch.setattr(postgres, "PREFIX_WORDS", 2)
    sent.clear()
    with connection.execute_wrapper(spy):
        assert search([mlist], "dunnart*").total == 6
    assert not any("'dunnart0'" in str(params) for _, params in sent)


def _blocks_table() -> dict[int, tuple]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT block, first, last FROM search_block")
        return {block: (first, last) for block, first, last in cursor.fetchall()}


def test_each_id_block_spans_its_messages_dates_and_the_migration_finds_the_same(mlist):
    pks = _store(mlist, *(make_message(f"s{i}@x", "Span", "spanword\n", minutes=(7 - i) * 1440) for i in range(8)))
    dates = dict(Message.objects.filter(pk__in=pks).values_list("pk", "date"))
    spans = _blocks_table()
    for pk in pks:
        first, last = spans[pk // ID_BLOCK_SIZE]
        assert first <= dates[pk] <= last
    mine = {pk // ID_BLOCK_SIZE for pk in pks}
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM search_block WHERE block = ANY(%s)", [list(mine)])
    migration = importlib.import_module("listhaven.archive.migrations.0017_search_words_and_blocks")
    migration.fill_words_and_blocks(None, SimpleNamespace(connection=connection))
    assert {b: s for b, s in _blocks_table().items() if b in mine} == {b: s for b, s in spans.items() if b in mine}


# Days from BASE of the 30 messages, in the order they are stored: mostly in date order, with some
# stored late (an import of an older archive, a delayed post), so that blocks' spans overlap.
_DAYS = [0, 1, 2, 3, 40, 4, 5, 6, 7, 8, 9, 2, 10, 11, 12, 13, 14, 15, 1, 16, 17, 18, 19, 20, 45, 21, 22, 23, 24, 25]


@pytest.mark.parametrize(
    "query",
    [
        "gnu date:2024-03-05..2024-03-12",
        "gnu date:2024-03-01..2024-03-24",  # many blocks within the range, the walk stopping early
        "gnu date:2024-03-02..2024-03-03",  # also in the late-stored messages
        "gnu date:2024-04-10..",  # the two stored late only
        "gnu date:..2024-03-01",
        "gnu -yak date:2024-03-05..2024-03-20 date:2024-03-10..2024-04-30",
        "gn* date:2024-03-05..2024-03-12",
        "gnu date:2023",  # no message
    ],
)
@pytest.mark.parametrize("cap", [100, 4])
def test_words_with_a_date_range_asked_within_the_blocks_it_meets_equal_every_match(mlist, monkeypatch, query, cap):
    """Words with a date range are asked of the GIN index within the id blocks whose span of dates
    meets the range: the same page and count as without, with blocks holding dates out of order."""
    from listhaven.archive import search_pages
    from listhaven.search import pg_document, postgres

    monkeypatch.setattr(search_pages, "COUNT_CAP", cap)
    monkeypatch.setattr(pg_document, "ID_BLOCK_SIZE", 2)
    monkeypatch.setattr(postgres, "ID_BLOCK_SIZE", 2)
    monkeypatch.setattr(postgres, "RANK_CANDIDATES", 3)
    monkeypatch.setattr(postgres, "RANGE_SHARE", 1.0)  # however many blocks the range meets
    raws = [
        make_message(f"r{i}@x", "Gnu" if i % 4 == 0 else "Notes", ("gnu " * (i % 3 + 1)) + "\n", minutes=day * 1440)
        for i, day in enumerate(_DAYS)
    ]
    pks = _store(mlist, *raws)
    assert pks == sorted(pks)
    walked = search([mlist], query, per_page=50)
    with connection.cursor() as cursor:
        blocks = postgres.PostgresBackend().date_blocks(cursor, parse_query(query))
    assert blocks is not None
    monkeypatch.setattr(postgres.PostgresBackend, "date_blocks", lambda self, cursor, node: None)
    everything = search([mlist], query, per_page=50)
    assert [(h.pk, h.score) for h in walked.hits] == [(h.pk, h.score) for h in everything.hits]
    assert (walked.total, walked.total_exact) == (everything.total, everything.total_exact)
    assert [(h.pk, h.score) for h in search([mlist], query, per_page=2, page=2).hits] == [
        (h.pk, h.score) for h in everything.hits[2:4]
    ]
    matching = set(search_message_ids([mlist], query, limit=1000))
    assert len(walked.hits) == min(3, len(matching))
    assert sorted(h.pk for h in walked.hits) == sorted(matching, reverse=True)[:3][::-1]


@pytest.mark.parametrize("neighbours", [512, 0])
def test_a_removed_messages_words_leave_the_vocabulary_unless_another_message_holds_them(
    mlist, admin_user, monkeypatch, neighbours
):
    """As its vector goes at once, so do the words only it held, whether found in the messages
    around it or asked of the GIN index (`neighbours` 0: the 8 ids either side only)."""
    from listhaven.search import postgres

    monkeypatch.setattr(postgres, "NEIGHBOURS", neighbours)
    keep, *_, gone = _store(
        mlist,
        make_message("zk@x", "Zorilla kept", "zorillashared\n", sender="Zed <zed@example.org>"),
        *(make_message(f"zf{i}@x", "Filler", "nothing\n") for i in range(10)),  # more than 8 ids apart
        make_message("zg@x", "Zorilla gone", "zorillashared zorillasecret\n", sender="Zorillaperson <zp@example.org>"),
    )
    assert {"zorillasecret", "zorillaperson", "~szorillaperson"} <= set(_vocabulary("zorilla") + _vocabulary("~s"))
    request = RequestFactory().post("/admin/")
    request.user = admin_user
    request._messages = type("Store", (), {"add": lambda *a, **k: None})()
    redact(site._registry[Message], request, Message.objects.filter(pk=gone))
    assert set(_vocabulary("zorilla")) == {"zorilla", "zorillashared"}
    assert _vocabulary("~szorilla") == [] and _vocabulary("~tzorilla") == ["~tzorilla"]
    assert _ids(mlist, "zorilla*") == {keep}


@pytest.fixture
def other_list(db):
    from listhaven.lists.directory import create_list

    return create_list("pgother@lists.example.org", description="Another list")


def test_each_vector_names_its_list_and_the_migration_adds_the_name_the_ingest_writes(mlist, other_list):
    mine = _store(mlist, make_message("l1@x", "Lemurs", "lemur sightings\n"), make_message("l2@x", "More", "lemur\n"))
    theirs = _store(other_list, make_message("l3@x", "Lemurs too", "lemur\n"))
    written = _documents(mine + theirs)
    assert all(f"'~l{mlist.pk}'" in written[pk] for pk in mine)
    assert f"'~l{other_list.pk}'" in written[theirs[0]] and f"'~l{mlist.pk}'" not in written[theirs[0]]
    assert _ids(mlist, "lemur") == set(mine)  # the GIN index is asked for the list with the word
    assert set(search_message_ids([mlist, other_list], "lemur")) == set(mine + theirs)
    with connection.cursor() as cursor:  # as a store from before the lists' lexemes
        cursor.execute("UPDATE search_document SET document = ts_delete(document, '~l' || list_id)")
    assert all("'~l" not in document for document in _documents(mine + theirs).values())
    assert _ids(mlist, "lemur") == set()
    migration = importlib.import_module("listhaven.archive.migrations.0019_search_list_lexemes")
    for _ in range(2):  # run again, as after an interruption: the vectors stay as they are
        migration.add_list_lexemes(django_apps, SimpleNamespace(connection=connection))
        assert _documents(mine + theirs) == written
    assert _ids(mlist, "lemur") == set(mine)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM search_word WHERE starts_with(word, '~l')")
        assert cursor.fetchone()[0] == 0  # a list's lexeme is not a word a prefix can start


@pytest.mark.parametrize("query", ["gnu", "gn*", "gnu -yak", '"gnu gnu"'])
@pytest.mark.parametrize("longest", [16, 1])
def test_a_search_within_a_list_older_than_the_stores_newest_messages_finds_its_newest_matches(
    mlist, other_list, monkeypatch, query, longest
):
    """Small blocks and few candidates, the searched list's messages between and before another
    list's, and the store's newest messages all the other list's: the walk starts at the searched
    list's newest id and must find what a search without windows finds, and count the same."""
    from listhaven.search import pg_document, postgres

    monkeypatch.setattr(pg_document, "ID_BLOCK_SIZE", 2)
    monkeypatch.setattr(postgres, "ID_BLOCK_SIZE", 2)
    monkeypatch.setattr(postgres, "RANK_CANDIDATES", 3)
    monkeypatch.setattr(postgres, "MAX_WINDOW_BLOCKS", longest)
    monkeypatch.setattr(postgres, "PREFIX_SAMPLE", 4)
    mine: list[int] = []
    for i in range(12):
        words = "gnu gnu" if i % 2 else "gnu yak"
        mine += _store(mlist, make_message(f"m{i}@x", "Notes", words + "\n", minutes=i))
        if i % 3 == 0:  # the other list's messages between
            _store(other_list, make_message(f"o{i}@x", "Notes", "gnu gnu\n", minutes=i))
    _store(other_list, *(make_message(f"n{i}@x", "Notes", "gnu\n", minutes=100 + i) for i in range(20)))
    assert scope_of([mlist]).everything is False
    found = search([mlist], query, per_page=50)
    windowed = [(h.pk, h.score) for h in found.hits]
    monkeypatch.setattr(postgres, "_window_ids", lambda: 10**9)  # every block: no window
    everything = search([mlist], query, per_page=50)
    assert windowed == [(h.pk, h.score) for h in everything.hits]
    assert found.total == everything.total
    expected = [pk for i, pk in enumerate(mine) if query in ("gnu", "gn*") or i % 2]
    assert found.total == len(expected)
    assert sorted(pk for pk, _ in windowed) == sorted(expected)[-3:]


@pytest.mark.parametrize("cap", [100, 5])
@pytest.mark.parametrize("query", ["gnu", "gnu -yak", "gn*", "gnu date:2000.."])
def test_newest_first_sorts_the_matches_or_reads_along_the_date_index_the_same(
    mlist, other_list, monkeypatch, cap, query
):
    """Up to the cap, the page is sorted from the count's matches; beyond, read along the (list,
    date) or date index. Either way: every match of the scope, newest date first, the count the
    same, for messages stored out of date order, in one list or two, in pages and grouped by thread."""
    from listhaven.archive import search_pages
    from listhaven.search import postgres

    monkeypatch.setattr(search_pages, "COUNT_CAP", cap)
    monkeypatch.setattr(postgres, "SORTED_MATCHES", cap)
    minutes = [7, 3, 11, 0, 9, 5, 1, 10, 2, 8, 4, 6]
    mine = [
        _store(mlist, make_message(f"d{i}@x", "Notes", ("gnu yak" if i % 3 == 0 else "gnu") + "\n", minutes=m))[0]
        for i, m in enumerate(minutes)
    ]
    theirs = _store(other_list, *(make_message(f"e{i}@x", "Notes", "gnu\n", minutes=20 + i) for i in range(3)))
    dates = dict(Message.objects.values_list("pk", "date"))
    for lists, candidates in (([mlist], mine), ([mlist, other_list], mine + theirs)):
        matching = [pk for pk in candidates if query != "gnu -yak" or pk not in mine[::3]]
        expected = sorted(matching, key=lambda pk: (dates[pk], pk), reverse=True)
        found = search(lists, query, sort="date", per_page=4, page=2)
        assert [h.pk for h in found.hits] == expected[4:8]
        assert found.total == min(len(expected), cap)
        every = search(lists, query, sort="date", per_page=50)
        assert [h.pk for h in every.hits] == expected[:50]
        threads = search(lists, query, sort="date", group="thread", per_page=50)
        assert [h.pk for t in threads.threads for h in t.hits] == expected
