"""What crosses from the parser processes to the importing process (`archive.wire`), and the import
with parser processes that read the source themselves: the same store as parsing in one process."""

from __future__ import annotations

import pickle
from dataclasses import replace

import pytest

from listhaven.archive.importer import _parse_stream, import_path, parse_one
from listhaven.archive.ingest import Parsed, Unparsed
from listhaven.archive.wire import pack, unpack
from listhaven.mail.mboxwrite import write_mboxrd
from listhaven.mail.message import SourceMessage
from listhaven.mail.sources import SourceError

from .conftest import make_message

DOMAIN = "derived.example.invalid"

ATTACHED = b"""From: =?utf-8?q?J=C3=BCrgen?= <jurgen@EXAMPLE.org>
To: a@example.org, "Last, First" <b@example.org>
Cc: c@example.org
Subject: Re: [LTP] a patch
Date: Tue, 3 Mar 2020 10:00:00 +0100
Message-ID: <att@example.org>
In-Reply-To: <parent@example.org>
List-Id: LTP <ltp.lists.linux.it>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain; charset=utf-8

> quoted line
own line
--b
Content-Type: application/octet-stream; name="fix.patch"
Content-Disposition: attachment; filename="fix.patch"

diff
--b--
"""

NO_ID = b"From: someone\nSubject: no id, no date\n\nbody\n"


def _messages() -> list[SourceMessage]:
    raws = [ATTACHED, NO_ID, make_message("plain@x", body="no quote at all\n"),
            make_message("html@x", extra_headers="X-A: b"), b"\n\n"]
    return [SourceMessage(raw, f"t#{i}", "MAILER-DAEMON Thu Jan  1 00:00:00 2015") for i, raw in enumerate(raws)]


def test_every_parsed_and_unparsed_message_crosses_unchanged():
    items = [parse_one(source, derived_id_domain=DOMAIN) for source in _messages()]
    kinds = [type(item) for item in items]
    assert kinds == [Parsed, Parsed, Parsed, Parsed, Unparsed]
    first = items[0]
    assert isinstance(first, Parsed)
    assert first.message.attachments and first.message.cc and first.document.quoted  # every part is exercised
    assert items[1].message.message_id_derived and items[1].message.defects
    for item in items:
        crossed = unpack(pickle.loads(pickle.dumps(pack(item), pickle.HIGHEST_PROTOCOL)))
        if isinstance(item, Parsed):  # its raw bytes cross only compressed
            assert item.source.raw and item.compressed_raw and crossed.source.raw == b""
            item = replace(item, source=replace(item.source, raw=b""))
        assert crossed == item
        assert type(crossed.source) is SourceMessage
    assert items[4].source.raw == b"\n\n"  # a failure keeps its bytes, for the quarantine


def test_a_message_left_uncompressed_crosses_with_its_raw_bytes():
    for source in _messages()[:4]:
        item = parse_one(source, derived_id_domain=DOMAIN, compressed=False)
        assert isinstance(item, Parsed) and item.compressed_raw == b""
        crossed = unpack(pickle.loads(pickle.dumps(pack(item), pickle.HIGHEST_PROTOCOL)))
        assert crossed == item and crossed.source.raw == source.raw


def _archive(path, count: int) -> None:
    messages = []
    for i in range(count):
        refs = (f"w{i // 3 * 3}@x",) if i % 3 else ()
        body = f"> quoted {i}\nBody {i}\nFrom the start\n" if i % 2 else f"Body {i}\n"
        messages.append((make_message(f"w{i}@x", f"Subject {i // 3}", body, refs, i), None))
    messages.insert(count // 2, (b"\n\n", None))  # quarantined
    messages.append(messages[5])  # an exact duplicate
    with path.open("wb") as out:
        write_mboxrd(messages, out)


def _stored(mlist) -> list[tuple]:
    from listhaven.archive.models import Message, Quarantine

    rows = list(
        Message.objects.filter(mailing_list=mlist)
        .order_by("archive_number")
        .values_list("archive_number", "message_id", "public_id", "subject", "body_text", "thread_order",
                     "thread_depth", "parent__message_id", "raw__data")
    )
    quarantined = list(Quarantine.objects.filter(mailing_list=mlist).values_list("origin", "content_hash"))
    return [(*row[:-1], bytes(row[-1])) for row in rows] + quarantined


# 0: the parsers compress every message; 2.0: none (the ingest does); 0.5: as the import goes
@pytest.mark.parametrize(("workers", "compress_ahead"), [(1, 0.0), (1, 2.0), (3, 0.5)])
def test_parser_processes_store_what_one_process_stores(db, tmp_path, settings, monkeypatch, workers, compress_ahead):
    from listhaven.archive import importer
    from listhaven.lists.directory import create_list

    monkeypatch.setattr(importer, "_COMPRESS_AHEAD", compress_ahead)
    settings.IMPORT_BATCH_SIZE = 7  # several batches, each ending between two parsers' chunks
    mbox = tmp_path / "a.mbox"
    _archive(mbox, 120)
    alone, forked = create_list("alone@lists.example.org"), create_list("forked@lists.example.org")
    first = import_path(alone, str(mbox), workers=0)
    second = import_path(forked, str(mbox), workers=workers)
    assert (second.read, second.stored, second.duplicates, second.quarantined) == (122, 120, 1, 1)
    assert (first.read, first.stored, first.duplicates, first.quarantined) == (122, 120, 1, 1)
    assert _stored(forked) == _stored(alone)


def _failing_source(count: int):
    for i in range(count):
        yield SourceMessage(make_message(f"s{i}@x", body=f"Body {i}\n"), f"s#{i + 1}")
    raise SourceError("s.mbox: reading failed (the stream ended early)")


@pytest.mark.parametrize("workers", [1, 2])
def test_a_source_that_fails_mid_way_raises_after_its_earlier_messages(db, workers):
    got = []
    with pytest.raises(SourceError, match="reading failed"):
        for item in _parse_stream(_failing_source(45), workers):
            got.append(item.message.message_id)
    assert got == [f"s{i}@x" for i in range(45)]  # every message before the failure, in order
