"""Size limits: a message over LISTHAVEN_MAX_MESSAGE_BYTES, or with more MIME parts than
LISTHAVEN_MAX_MIME_PARTS, is quarantined whole with its reason (never truncated, never stored),
through the real `listhaven import` and `listhaven quarantine` commands.
"""

from __future__ import annotations

import sqlite3

import pytest
import zstandard

from listhaven.mail.mboxwrite import write_mboxrd

from .conftest import DB_NAME, cli_env, json_output, run_cli

pytestmark = pytest.mark.sqlite_only(reason="reads the quarantine from the SQLite file the command wrote")

LIST = "limits@lists.example.org"
HEAD = "From: Ann <ann@example.org>\nTo: {list}\nSubject: {subject}\nDate: Mon, 04 Mar 2019 10:00:00 +0000\nMessage-ID: <{msgid}>\n"


def _plain(msgid: str, body: str) -> bytes:
    return (HEAD.format(list=LIST, subject=msgid, msgid=msgid) + "Content-Type: text/plain\n\n" + body).encode()


def _many_parts(msgid: str, parts: int) -> bytes:
    head = HEAD.format(list=LIST, subject=msgid, msgid=msgid)
    body = "".join(f"--b\nContent-Type: text/plain\n\npart {n}\n" for n in range(parts)) + "--b--\n"
    return (head + "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n" + body).encode()


def test_oversized_and_many_part_messages_are_quarantined_whole_with_the_reason(tmp_path):
    big = _plain("big@example.org", "a long line of text that goes on\n" * 1000)  # ~33 kB
    parts = _many_parts("parts@example.org", 30)
    within = [_plain("small@example.org", "Fits.\n"), _many_parts("fewparts@example.org", 5)]
    mbox = tmp_path / "in.mbox"
    with mbox.open("wb") as handle:
        write_mboxrd([(raw, None) for raw in (within[0], big, parts, within[1])], handle)
    data = tmp_path / "d"
    env = cli_env(data, LISTHAVEN_MAX_MESSAGE_BYTES="20000", LISTHAVEN_MAX_MIME_PARTS="10")

    summary = json_output(run_cli(data, "import", LIST, str(mbox), "--create", "--json", env=env))[0]  # type: ignore[index]
    assert (summary["read"], summary["stored"], summary["quarantined"]) == (4, 2, 2)

    listed = json_output(run_cli(data, "quarantine", "limits", "--json", env=env))
    reasons = {entry["size"]: entry["reason"] for entry in listed}  # type: ignore[union-attr]
    assert reasons.keys() == {len(big), len(parts)}
    assert "over the limit of 20000 bytes" in reasons[len(big)] and str(len(big)) in reasons[len(big)]
    assert "more than 10 MIME parts" in reasons[len(parts)]

    with sqlite3.connect(data / DB_NAME) as db:
        kept = [zstandard.ZstdDecompressor().decompress(row[0]) for row in db.execute("SELECT data FROM archive_quarantine")]
        stored = sorted(row[0] for row in db.execute("SELECT message_id FROM archive_message"))
    assert sorted(kept) == sorted([big, parts])  # the bytes as received, not a truncated copy
    assert stored == ["fewparts@example.org", "small@example.org"]


def test_default_limits_let_ordinary_large_mail_through(tmp_path):
    """The defaults (25 MB, 1000 parts) accept what real lists carry: a 2 MB message with 200 parts."""
    raw = _many_parts("large@example.org", 200)
    big_part = b"--b\nContent-Type: text/plain\n\n" + (b"y" * 79 + b"\n") * 25_000
    raw = raw.replace(b"--b--\n", big_part + b"--b--\n")
    mbox = tmp_path / "in.mbox"
    with mbox.open("wb") as handle:
        write_mboxrd([(raw, None)], handle)
    summary = json_output(run_cli(tmp_path / "d", "import", LIST, str(mbox), "--create", "--json"))[0]  # type: ignore[index]
    assert (summary["stored"], summary["quarantined"]) == (1, 0)
