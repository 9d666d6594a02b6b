"""The synthetic mail generator: determinism, well-formedness, thread shapes and the fixture archive."""

from __future__ import annotations

import codecs
import email
import email.policy
import re
import zlib
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from email.message import Message
from email.utils import parsedate_to_datetime
from functools import cache
from pathlib import Path

import pytest

from listhaven.demo import mime_shapes as mime
from listhaven.demo.messages import (
    CASE_HEADER,
    DEMO_LISTS,
    ListSpec,
    fixture_archive,
    generate_messages,
    seed_like_message,
)

_ID = re.compile(rb"^Message-ID: (<[^>]+>)", re.MULTILINE)
_PARENT = re.compile(rb"^In-Reply-To: (<[^>]+>)", re.MULTILINE)
_REFERENCES = re.compile(rb"^References: ((?:.*\n)(?:[ \t].*\n)*)", re.MULTILINE)


@cache
def _stream(count: int, seed: int) -> tuple[tuple[ListSpec, bytes], ...]:
    return tuple(generate_messages(DEMO_LISTS, count, seed=seed))


@cache
def _fixture() -> tuple[tuple[ListSpec, bytes], ...]:
    return tuple(fixture_archive())


def _head(raw: bytes) -> bytes:
    return raw.split(b"\n\n", 1)[0] + b"\n"


def _case(msg: Message) -> str | None:
    value = msg.get(CASE_HEADER)
    return None if value is None else str(value)


def _decoded(value: str) -> str:
    return str(make_header(decode_header(value)))


def _parents(messages: tuple[tuple[ListSpec, bytes], ...]) -> dict[bytes, bytes | None]:
    """Message-ID -> In-Reply-To, for messages with an id (first occurrence wins)."""
    out: dict[bytes, bytes | None] = {}
    for _, raw in messages:
        head = _head(raw)
        found = _ID.search(head)
        if found and found.group(1) not in out:
            parent = _PARENT.search(head)
            out[found.group(1)] = parent.group(1) if parent else None
    return out


def _roots(parents: dict[bytes, bytes | None]) -> Counter[bytes]:
    sizes: Counter[bytes] = Counter()
    for msgid in parents:
        node = msgid
        while parents.get(node):
            node = parents[node]  # type: ignore[assignment]
        sizes[node] += 1
    return sizes


def _depth(parents: dict[bytes, bytes | None], msgid: bytes) -> int:
    depth = 0
    while parents.get(msgid):
        msgid = parents[msgid]  # type: ignore[assignment]
        depth += 1
    return depth


def test_same_seed_gives_same_bytes_and_other_seeds_differ() -> None:
    first = list(generate_messages(DEMO_LISTS, 300, seed=4))
    assert first == list(generate_messages(DEMO_LISTS, 300, seed=4))
    other = list(generate_messages(DEMO_LISTS, 300, seed=5))
    assert [raw for _, raw in first] != [raw for _, raw in other]
    assert fixture_archive() == fixture_archive()
    assert fixture_archive(seed=8) != fixture_archive()


@pytest.mark.parametrize("count", [0, 1, 2, 7, 1234])
def test_yields_exactly_count_messages(count: int) -> None:
    assert sum(1 for _ in generate_messages(DEMO_LISTS, count)) == count


def test_streams_without_building_the_whole_run() -> None:
    stream = generate_messages(DEMO_LISTS, 10**9)
    spec, raw = next(stream)
    assert spec in DEMO_LISTS and raw.startswith(b"Received: ")


def test_rejects_naive_start_and_missing_lists() -> None:
    with pytest.raises(ValueError):
        generate_messages(DEMO_LISTS, 1, start=datetime(2019, 1, 1))
    with pytest.raises(ValueError):
        generate_messages([], 1)


def test_messages_parse_without_defects_except_the_malformed_ones() -> None:
    malformed = 0
    for spec, raw in _stream(3000, 11):
        assert b"\r" not in raw
        msg = email.message_from_bytes(raw)
        case = _case(msg)
        if case:
            assert case in mime.MALFORMED_KINDS
            malformed += 1
            continue
        assert [d for part in msg.walk() for d in part.defects] == []
        for name in ("From", "To", "Subject", "Date", "Message-ID", "List-Id"):
            assert name in msg, name
        assert msg["To"] == spec.address
    assert 0.003 * 3000 <= malformed <= 0.02 * 3000


def test_headers_and_parts_decode_under_the_modern_policy() -> None:
    for _, raw in _stream(3000, 11)[:800]:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        if _case(msg):
            continue
        for name in ("From", "To", "Subject", "Date", "Message-ID", "References"):
            if name in msg:
                assert msg[name].defects == (), (name, msg[name])
        for part in msg.walk():
            if not part.is_multipart():
                part.get_content()  # every charset and transfer encoding decodes


def test_malformed_messages_are_malformed_as_labelled() -> None:
    seen = set()
    for _, raw in _stream(20000, 12):
        if CASE_HEADER.encode() not in raw:
            continue
        msg = email.message_from_bytes(raw)
        case = _case(msg)
        seen.add(case)
        if case == mime.MISSING_MESSAGE_ID:
            assert "Message-ID" not in msg
        elif case == mime.MISSING_DATE:
            assert "Date" not in msg and "Received" in msg
        elif case == mime.GARBLED_DATE:
            with pytest.raises((ValueError, TypeError)):
                parsedate_to_datetime(str(msg["Date"]))
        elif case == mime.BROKEN_BOUNDARY:
            assert msg.defects
        elif case == mime.UNKNOWN_CHARSET:
            with pytest.raises(LookupError):
                codecs.lookup(str(msg.get_content_charset()))
    assert seen == set(mime.MALFORMED_KINDS)


def test_dates_rise_within_the_span_in_several_timezones() -> None:
    start = datetime(2020, 6, 1, tzinfo=UTC)
    last = start
    offsets = set()
    for _, raw in generate_messages(DEMO_LISTS, 2000, seed=3, start=start, span_days=30):
        msg = email.message_from_bytes(raw)
        if _case(msg) in (mime.MISSING_DATE, mime.GARBLED_DATE):
            continue
        date = parsedate_to_datetime(str(msg["Date"]))
        assert date >= last
        last = date
        offsets.add(str(msg["Date"])[-5:])
    assert last <= start + timedelta(days=30)
    assert len(offsets) >= 8 and {"-0600", "+0530", "+0100"} <= offsets


def test_message_ids_are_unique_and_name_the_seed() -> None:
    ids = [m.group(1) for _, raw in _stream(3000, 11) if (m := _ID.search(_head(raw)))]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(rb"<\d{14}\.\d+\.11@[a-z.]+\.example\.(com|net|org)>", i) for i in ids)


def test_replies_reference_messages_of_the_same_list() -> None:
    stream = _stream(3000, 11)
    list_of = {m.group(1): spec.name for spec, raw in stream if (m := _ID.search(_head(raw)))}
    replies = 0
    for spec, raw in stream:
        head = _head(raw)
        parent = _PARENT.search(head)
        if not parent:
            continue
        replies += 1
        refs = _REFERENCES.search(head)
        ids = re.findall(rb"<[^>]+>", refs.group(1)) if refs else []
        assert not ids or ids[-1] == parent.group(1)
        for ref in [parent.group(1), *ids]:
            assert list_of[ref] == spec.name
    assert replies > 1500


def test_subjects_carry_the_tag_and_replies_say_re() -> None:
    for spec, raw in _stream(3000, 11):
        subject = _decoded(email.message_from_bytes(raw)["Subject"])
        assert subject.startswith(spec.subject_tag)
        assert (b"\nIn-Reply-To: " in _head(raw)) == subject.startswith(spec.subject_tag + " Re: ")


def test_random_stream_has_deep_and_wide_threads() -> None:
    parents = _parents(_stream(30000, 2))
    fan = Counter(p for p in parents.values() if p)
    assert fan.most_common(1)[0][1] >= 40
    assert max(_depth(parents, m) for m in parents) >= 30
    sizes = Counter(_roots(parents).values())
    assert sizes[1] > 100 and sizes[2] > 50


def test_random_stream_mixes_every_mime_shape() -> None:
    types: Counter[str] = Counter()
    for _, raw in _stream(3000, 11):
        msg = email.message_from_bytes(raw)
        for part in msg.walk():
            types[part.get_content_type()] += 1
            types["charset=" + str(part.get_content_charset())] += 1
            types["cte=" + str(part.get("Content-Transfer-Encoding"))] += 1
            types["flowed=" + str(part.get_param("format"))] += 1
    for key in (
        "multipart/alternative", "multipart/mixed", "text/html", "image/png", "application/pdf", "text/x-patch",
        "charset=koi8-r", "charset=iso-2022-jp", "charset=shift_jis", "charset=iso-8859-1", "charset=windows-1252",
        "cte=quoted-printable", "cte=base64", "cte=8bit", "flowed=flowed",
    ):  # fmt: skip
        assert types[key] > 0, key
    assert types["text/plain"] > 0.8 * 3000


def _text_of(msg: Message) -> str:
    out = []
    for part in msg.walk():
        if part.get_content_maintype() == "text" and not part.get_filename():
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            out.append(payload.decode(part.get_content_charset() or "ascii"))
    return "\n".join(out)


def test_fixture_archive_covers_every_kind_and_feature() -> None:
    fixture = _fixture()
    assert 280 <= len(fixture) <= 340
    assert {spec for spec, _ in fixture} == set(DEMO_LISTS)
    found: set[str] = set()
    texts = []
    for _, raw in fixture:
        msg = email.message_from_bytes(raw)
        found.add(_case(msg) or "")
        ctype, cte = msg.get_content_type(), str(msg.get("Content-Transfer-Encoding"))
        charset = str(msg.get_content_charset())
        if ctype == "text/plain" and msg.get_param("format") == "flowed":
            found.add(mime.FLOWED)
        if ctype == "text/plain" and charset == "utf-8" and cte in ("quoted-printable", "base64"):
            found.add(cte)
        if ctype == "text/plain" and "charset-" + charset in mime.CHARSET_KINDS:
            found.add("charset-" + charset)
            assert not _text_of(msg).isascii()
        if ctype == "text/html":
            found.add(mime.HTML_ONLY)
        if ctype == "multipart/alternative":
            assert [p.get_content_type() for p in msg.walk()][1:] == ["text/plain", "text/html"]
            found.add(mime.ALTERNATIVE)
        for part in msg.walk():
            payload = part.get_payload(decode=True)
            if part.get_content_type() == "image/png":
                assert isinstance(payload, bytes) and payload.startswith(b"\x89PNG\r\n\x1a\n")
                zlib.decompress(payload[payload.index(b"IDAT") + 4 : payload.index(b"IEND") - 8])
                found.add(mime.ATTACH_PNG)
            if part.get_content_type() == "application/pdf":
                assert isinstance(payload, bytes) and payload.startswith(b"%PDF-")
                found.add(mime.ATTACH_PDF)
            if part.get_content_type() == "text/x-patch":
                assert isinstance(payload, bytes) and payload.startswith(b"diff --git ")
                found.add(mime.ATTACH_PATCH)
        if (ctype.startswith("text/") and _case(msg) != mime.UNKNOWN_CHARSET) or ctype.startswith("multipart/alt"):
            texts.append(_text_of(msg))
    assert set(mime.ALL_KINDS) - {mime.PLAIN} <= found
    lines = "\n".join(texts).split("\n")
    assert any(line.startswith("> > ") for line in lines)
    assert any(re.match(r"On .+, .+ wrote:$", line) for line in lines)
    assert "-- " in lines
    assert any(len(line) > 100 for line in lines)
    assert any(line.startswith("    ") and line.strip() for line in lines)
    assert any("https://" in line for line in lines)


def test_fixture_authors_include_encoded_non_ascii_names() -> None:
    raw_names = set()
    for _, raw in _fixture():
        raw_from = re.search(rb"^From: (.*)$", raw, re.MULTILINE)
        assert raw_from and raw_from.group(1).isascii()
        raw_names.add(raw_from.group(1).decode())
    assert any(name.lower().startswith("=?utf-8?") for name in raw_names)
    joined = "\n".join(_decoded(name) for name in raw_names)
    for name in ("José Müller", "Zoë Achterberg", "山田 花子"):
        assert name in joined


def test_fixture_threads_have_the_required_shapes() -> None:
    fixture = _fixture()
    parents = _parents(fixture)
    sizes = _roots(parents)
    assert max(sizes.values()) >= 200
    assert max(Counter(p for p in parents.values() if p).values()) >= 40
    assert max(_depth(parents, m) for m in parents) >= 30
    cases = {}
    for index, (_, raw) in enumerate(fixture):
        case = _case(email.message_from_bytes(raw))
        if case:
            cases.setdefault(case, []).append(index)
    single = _ID.search(_head(fixture[cases["single-message-thread"][0]][1]))
    assert single and sizes[single.group(1)] == 1
    assert single.group(1) not in parents.values()


def test_fixture_has_a_reply_that_arrives_before_its_parent() -> None:
    fixture = _fixture()
    position = {}
    for index, (_, raw) in enumerate(fixture):
        found = _ID.search(_head(raw))
        if found:
            position.setdefault(found.group(1), index)
    early = [
        index for index, (_, raw) in enumerate(fixture)
        if (p := _PARENT.search(_head(raw))) and position[p.group(1)] > index
    ]  # fmt: skip
    assert early


def test_fixture_has_reused_ids_duplicates_and_a_subject_only_reply() -> None:
    fixture = _fixture()
    by_id: dict[bytes, list[bytes]] = {}
    for _, raw in fixture:
        found = _ID.search(_head(raw))
        if found:
            by_id.setdefault(found.group(1), []).append(raw)
    shared = [copies for copies in by_id.values() if len(copies) > 1]
    assert any(len(set(copies)) == 1 for copies in shared)  # an exact duplicate
    assert any(len(set(copies)) > 1 for copies in shared)  # different messages, one Message-ID
    earlier_subjects: list[str] = []
    matched = False
    for spec, raw in fixture:
        msg = email.message_from_bytes(raw)
        subject = _decoded(str(msg["Subject"])).removeprefix(spec.subject_tag + " ")
        if _case(msg) == "subject-only-reply":
            assert "In-Reply-To" not in msg and "References" not in msg
            matched = subject.removeprefix("Re: ") in earlier_subjects
        earlier_subjects.append(subject)
    assert matched


def test_fixture_round_trips_through_an_mboxrd_file(tmp_path: Path) -> None:
    import mailbox

    path = tmp_path / "fixture.mbox"
    with path.open("wb") as out:
        for _, raw in _fixture():
            out.write(b"From list@example.org Sat Mar  2 10:00:00 2019\n")
            out.write(re.sub(rb"(?m)^(>*From )", rb">\1", raw).rstrip(b"\n") + b"\n\n")
    box = mailbox.mbox(path)
    assert len(box) == len(_fixture())
    assert [m.get("Message-ID") for m in box] == [email.message_from_bytes(r).get("Message-ID") for _, r in _fixture()]


def test_seed_like_message_mirrors_the_reference_page() -> None:
    raw = seed_like_message()
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg.defects == []
    assert str(msg["Subject"]).startswith("[Reading-circle] ")
    assert msg["From"].addresses[0].display_name == "Tomás Lindqvist"
    assert str(msg["Date"]).endswith("-0600")
    body = msg.get_content()
    lines = body.split("\n")
    assert {"“", "”", "’", "—"} <= set(body)
    assert any(line.startswith("> ") for line in lines)
    assert any(line.startswith("    ") for line in lines)
    assert "https://www.example.org/" in body and "\n-- \n" in body
    assert sum(1 for block in body.split("\n\n") if len(block) > 150) >= 3
    assert any(len(line) > 100 for line in lines)
    assert "Islamic State" not in body and "Aleppo" not in body
