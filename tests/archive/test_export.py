"""Exports: mboxrd round trips byte for byte, Pipermail text, months, attachments as the parser lists them,
and the `listhaven export` command."""

from __future__ import annotations

import gzip
import random
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from listhaven.archive import export
from listhaven.archive.compression import decompress
from listhaven.archive.ingest import store_batch
from listhaven.archive.models import Attachment, Message, RawMessage
from listhaven.lists.directory import create_list
from listhaven.mail.attachments import extract_attachment
from listhaven.mail.message import SourceMessage
from listhaven.mail.parse import parse_message
from listhaven.mail.presenter import OBFUSCATING
from listhaven.mail.sources.pipermail import read_pipermail_file

from .conftest import make_message, parsed

EMAIL = re.compile(r"\S+@\S+\.\w+")


def stored(mlist) -> dict[str, list[bytes]]:
    """Message-ID → raw bytes of each stored copy (a reused id has several)."""
    found: dict[str, list[bytes]] = {}
    rows = RawMessage.objects.filter(message__mailing_list=mlist).values_list("message__message_id", "data")
    for message_id, data in rows:
        found.setdefault(message_id, []).append(decompress(data))
    return {k: sorted(v) for k, v in found.items()}


def as_mbox_reads_back(raw: bytes) -> bytes:
    # mbox cannot carry a message without a final newline: the writer adds one.
    return raw if raw.endswith(b"\n") else raw + b"\n"


def import_file(path: Path, address: str):
    from listhaven.archive.importer import import_path

    target = create_list(address)
    summary = import_path(target, str(path), workers=0)
    return target, summary


@pytest.mark.parametrize("name", ["reading-circle", "harbour-dev", "allotment"])
def test_whole_list_round_trip_gives_same_ids_and_bytes(fixture_archive, db, tmp_path, name):
    mlist = fixture_archive[name]
    path = tmp_path / f"{name}.mbox.gz"
    with path.open("wb") as out:
        export.write_mbox(export.iter_list_raw(mlist, chunk_size=7), out, gzip=True)
    target, summary = import_file(path, f"copy-{name}@lists.example.org")
    assert summary.quarantined == 0 and summary.duplicates == 0
    original = stored(mlist)
    copy = stored(target)
    assert set(copy) == set(original)
    assert copy == {k: sorted(as_mbox_reads_back(r) for r in v) for k, v in original.items()}


def test_month_and_thread_exports_hold_exactly_their_messages(fixture_archive, db, tmp_path):
    mlist = fixture_archive["reading-circle"]
    pks = export.month_message_pks(mlist, 2019, 3)
    expected = Message.objects.filter(mailing_list=mlist, date__gte=datetime(2019, 3, 1, tzinfo=UTC),
                                      date__lt=datetime(2019, 4, 1, tzinfo=UTC))
    assert sorted(pks) == sorted(expected.values_list("pk", flat=True)) and pks
    dates = list(Message.objects.filter(pk__in=pks).values_list("date", flat=True))
    assert [Message.objects.get(pk=pk).date for pk in pks] == sorted(dates)

    thread = Message.objects.filter(mailing_list=mlist).order_by("-thread__message_count").first().thread
    path = tmp_path / "thread.mbox"
    with path.open("wb") as out:
        export.write_mbox(export.iter_raw(export.thread_message_pks(thread)), out)
    target, summary = import_file(path, "thread-copy@lists.example.org")
    assert summary.stored == thread.message_count
    assert set(stored(target)) == set(Message.objects.filter(thread=thread).values_list("message_id", flat=True))


def test_iter_raw_keeps_the_requested_order_across_chunks(fixture_archive, db):
    mlist = fixture_archive["harbour-dev"]
    pks = list(Message.objects.filter(mailing_list=mlist).order_by("-date").values_list("pk", flat=True))
    raws = [raw for raw, _ in export.iter_raw(pks, chunk_size=3)]
    expected = [decompress(RawMessage.objects.get(pk=pk).data) for pk in pks]
    assert raws == expected


def test_redacted_messages_are_never_exported(fixture_archive, db):
    mlist = create_list("red@lists.example.org")
    store_batch(mlist, [parsed(make_message(f"r{i}@example.org", minutes=i)) for i in range(3)])
    Message.objects.filter(message_id="r1@example.org").update(redacted=True)
    ids = [raw.split(b"Message-ID: <")[1].split(b">")[0] for raw, _ in export.iter_list_raw(mlist)]
    assert ids == [b"r0@example.org", b"r2@example.org"]
    assert len(export.month_message_pks(mlist, 2024, 3)) == 2


def test_from_lines_come_from_the_source_or_are_built(db):
    mlist = create_list("fl@lists.example.org")
    raw = make_message("fl1@example.org", body="From the start\n>From quoted\n")
    store_batch(mlist, [parsed(raw)])
    (data, line), = export.iter_list_raw(mlist)
    assert data == raw and line == "ann@example.org Fri Mar  1 12:00:00 2024"
    mbox = b"".join(export.mbox_chunks([(data, line)], gzip=False))
    assert mbox.startswith(b"From ann@example.org Fri Mar  1 12:00:00 2024\n")
    assert b"\n>From the start\n>>From quoted\n" in mbox


def test_gzip_chunks_are_one_valid_stream():
    rng = random.Random(5)
    messages = [(make_message(f"g{i}@x", body=f"{rng.getrandbits(8000):x}\n"), None) for i in range(300)]
    chunks = list(export.mbox_chunks(messages, flush_bytes=4096))
    assert len(chunks) > 1
    plain = gzip.decompress(b"".join(chunks))
    assert plain == b"".join(export.mbox_chunks(messages, gzip=False))
    assert plain.count(b"\nFrom MAILER-DAEMON Thu Jan  1 00:00:00 1970\n") == 299


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2014-08", (2014, 8)), ("2019-12", (2019, 12))],
)
def test_parse_month(value, expected):
    assert export.parse_month(value) == expected


@pytest.mark.parametrize("value", ["2014-13", "2014-00", "0000-01", "14-08", "2014-8", "2014-08-01", ""])
def test_parse_month_refuses_malformed(value):
    with pytest.raises(ValueError):
        export.parse_month(value)


def test_pipermail_periods():
    assert export.parse_pipermail_period("2014-August") == (2014, 8)
    assert export.pipermail_period(2014, 8) == "2014-August"
    for bad in ("2014-august", "2014-Augus", "14-August", "2014-", "2014-08"):
        with pytest.raises(ValueError):
            export.parse_pipermail_period(bad)


def test_obfuscation():
    assert OBFUSCATING.address("jo@example.org") == "jo at example.org"
    text = "On Monday, Jo <jo.smith+list@mail.example.org> wrote:\n> mail me@x.example.com"
    assert not EMAIL.search(OBFUSCATING.text(text))
    assert "jo.smith+list at mail.example.org" in OBFUSCATING.text(text)


def test_pipermail_text_obfuscates_and_reads_back(fixture_archive, db, tmp_path):
    mlist = fixture_archive["reading-circle"]
    pks = export.month_message_pks(mlist, 2019, 3)
    path = tmp_path / "2019-March.txt.gz"
    path.write_bytes(b"".join(export.pipermail_chunks(export.iter_pipermail_text(mlist, pks))))
    text = gzip.decompress(path.read_bytes()).decode("utf-8")
    senders = set(Message.objects.filter(mailing_list=mlist).values_list("sender_email", flat=True)) - {""}
    assert senders and not [s for s in senders if s in text]
    assert re.search(r"^From \S+ at \S+  (Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d 2019$",
                     text, re.MULTILINE)
    read = list(read_pipermail_file(path))
    assert len(read) == len(pks)
    back = [parse_message(m) for m in read]
    originals = list(Message.objects.filter(pk__in=pks).order_by("date", "pk"))
    assert [p.message_id for p in back] == [m.message_id for m in originals]
    assert [p.sender.email for p in back] == [m.sender_email or "unknown" for m in originals]


def test_attachments_match_what_the_parser_listed(fixture_archive, db):
    rows = Attachment.objects.select_related("message__raw")
    assert rows.exists()
    for row in rows:
        raw = decompress(row.message.raw.data)
        part = extract_attachment(raw, row.index)
        assert part is not None
        assert (part.filename, part.content_type, len(part.data)) == (row.filename, row.content_type, row.size)
    message = rows.first().message
    raw = decompress(message.raw.data)
    assert extract_attachment(raw, message.attachments.count()) is None
    assert extract_attachment(raw, -1) is None
    assert extract_attachment(b"", 0) is None
    assert extract_attachment(b"not a message at all", 0) is None


def test_extract_attachment_from_a_message_written_here():
    raw = (
        b"From: a@example.org\nSubject: s\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed; boundary="b"\n\n'
        b"--b\nContent-Type: text/plain\n\nhello\n"
        b'--b\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename="../../etc/passwd"\n'
        b"Content-Transfer-Encoding: base64\n\nAAEC/w==\n--b--\n"
    )
    info = parse_message(SourceMessage(raw, "t#1")).attachments
    part = extract_attachment(raw, 0)
    assert part is not None and part.data == b"\x00\x01\x02\xff"
    assert part.filename == info[0].filename == "passwd"


def test_cli_export_writes_the_same_mbox(fixture_archive, db, tmp_path, settings):
    # The command runs in its own process against its own store: import there, export, compare.
    source = tmp_path / "in.mbox"
    mlist = fixture_archive["allotment"]
    with source.open("wb") as out:
        export.write_mbox(export.iter_list_raw(mlist), out)
    data = tmp_path / "data"
    cli = [sys.executable, "-m", "listhaven.cli", "--data-dir", str(data)]

    def run(*args: str) -> subprocess.CompletedProcess:
        result = subprocess.run([*cli, *args], capture_output=True, timeout=120, check=False)
        assert result.returncode == 0, result.stderr.decode()
        return result

    run("import", "cli@lists.example.org", str(source), "--create", "--workers", "1")
    run("export", "cli", "-o", str(tmp_path / "out.mbox.gz"))
    assert gzip.decompress((tmp_path / "out.mbox.gz").read_bytes()) == source.read_bytes()


def run_export(*argv: str) -> int:
    """`listhaven export ...` in this process, against the test database."""
    from listhaven.cli import build_parser

    args = build_parser().parse_args(["export", *argv])
    return args.handler(args)


def test_export_command_selections(fixture_archive, db, tmp_path):
    from listhaven.archive.models import Thread
    from listhaven.cli import CommandError

    thread = Thread.objects.filter(mailing_list__name="harbour-dev").order_by("-message_count").first()
    out = tmp_path / "t.mbox"
    assert run_export("harbour-dev", "--thread", thread.public_id, "-o", str(out)) == 0
    assert out.read_bytes().count(b"\nMessage-ID: <") == thread.message_count

    run_export("harbour-dev", "--month", "2019-03", "--format", "pipermail", "-o", str(tmp_path / "m.txt.gz"))
    text = gzip.decompress((tmp_path / "m.txt.gz").read_bytes()).decode()
    assert text.startswith("From ") and " at " in text.split("\n", 1)[0]
    assert text.count("\nMessage-ID: <") == len(export.month_message_pks(fixture_archive["harbour-dev"], 2019, 3))

    word = max(re.findall(r"[A-Za-z]{5,}", thread.subject_normalised), key=len)
    run_export("harbour-dev", "--query", f"subject:{word}", "-o", str(tmp_path / "q.mbox"))
    assert (tmp_path / "q.mbox").read_bytes().count(b"\nMessage-ID: <") >= thread.message_count

    for bad in (["--month", "2019-13"], ["--thread", "A" * 32], ["--query", "date:2019-99"]):
        with pytest.raises(CommandError):
            run_export("harbour-dev", *bad, "-o", str(tmp_path / "x"))
        assert not (tmp_path / "x").exists()
    with pytest.raises(CommandError):
        run_export("no-such-list", "-o", str(tmp_path / "x"))


def test_abandoned_download_stops_its_compression_thread():
    import threading

    rng = random.Random(9)
    messages = [(make_message(f"t{i}@x", body=f"{rng.getrandbits(80000):x}\n"), None) for i in range(200)]
    chunks = export.mbox_chunks(messages, flush_bytes=8192)
    next(chunks)
    assert any(t.name.startswith("gzip") for t in threading.enumerate())
    chunks.close()  # what Django does when the client goes away
    assert not any(t.name.startswith("gzip") for t in threading.enumerate())


_LINES = st.sampled_from(
    [b"From here on\n", b">From quoted\n", b">>From deeper\n", b"From: x@y\n", b"\n", b"\r\n", b"text\n",
     b"From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n", b"trailing", b"\x00\xff bytes\n", b"From \n"]
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(_LINES, min_size=1, max_size=12).map(b"".join), min_size=1, max_size=6))
def test_mbox_export_reads_back_exactly(tmp_path_factory, bodies):
    """Whatever the bodies hold (From_ lines, escapes, CRLF, no final newline), the reader gets them back."""
    from listhaven.mail.sources.mbox import read_mbox

    messages = [(b"Subject: m\n\n" + body, None) for body in bodies]
    path = tmp_path_factory.mktemp("rt") / "x.mbox.gz"
    path.write_bytes(b"".join(export.mbox_chunks(messages, flush_bytes=64)))
    back = [m.raw for m in read_mbox(path)]
    assert back == [as_mbox_reads_back(raw) for raw, _ in messages]
