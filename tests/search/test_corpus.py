"""Search over a real archive: the first 3,000 messages of the ltp corpus, imported through the
real ingest; hit counts checked against a scan of the parsed messages done here."""

from __future__ import annotations

from itertools import islice

import pytest

from tests.conftest import corpus_path
from tests.search.test_results import contains, tokens

pytestmark = [pytest.mark.corpus, pytest.mark.django_db]
SLICE = 3000


def _text_columns(m) -> dict[str, list[str]]:
    lines = m.body_text.split("\n")
    return {
        "subject": tokens(m.subject),
        "sender": tokens(f"{m.sender.name} {m.sender.email}"),
        "body": tokens("\n".join(line for line in lines if not line.lstrip().startswith(">"))),
        "quoted": tokens("\n".join(line for line in lines if line.lstrip().startswith(">"))),
        "filenames": tokens(" ".join(a.filename for a in m.attachments)),
    }


def test_hit_counts_on_a_real_archive():
    from listhaven.archive.importer import parse_one
    from listhaven.archive.ingest import Parsed, store_batch
    from listhaven.archive.search import search
    from listhaven.lists.directory import create_list
    from listhaven.mail.sources import open_source

    path = corpus_path("ltp.mbox.zst")
    parsed = [parse_one(s) for s in islice(open_source(str(path)), SLICE)]
    mlist = create_list("ltp@lists.linux.it")
    for start in range(0, len(parsed), 500):
        store_batch(mlist, parsed[start : start + 500])
    seen: set[tuple[str, str]] = set()
    docs = []
    for p in parsed:
        if not isinstance(p, Parsed) or (p.message.message_id, p.message.content_hash) in seen:
            continue
        seen.add((p.message.message_id, p.message.content_hash))
        docs.append((p.message, _text_columns(p.message)))

    def expected(text: str, cols=("subject", "sender", "body", "quoted", "filenames"), prefix=False) -> int:
        phrase = tokens(text)
        return sum(1 for _, c in docs if any(contains(c[col], phrase, prefix) for col in cols))

    cases = {
        "mmap": expected("mmap"),
        "fanotify": expected("fanotify"),
        '"memory leak"': expected("memory leak"),
        "from:cyril": expected("cyril", ("sender",)),
        "subject:patch": expected("patch", ("subject",)),
        "fano*": expected("fano", prefix=True),
        "body:segfault": expected("segfault", ("body", "quoted")),
    }
    first_year = min(m.date.year for m, _ in docs)
    cases[f"date:{first_year}"] = sum(1 for m, _ in docs if m.date.year == first_year)
    for query, count in cases.items():
        assert count > 0, f"{query} finds nothing in this slice; choose another"
        results = search([mlist], query, per_page=1)
        assert (results.total, results.total_exact) == (count, True), query
