"""`listhaven migrate-store`: a generated SQLite store copied to a throwaway PostgreSQL cluster, its pages,
search and API answering the same there; a copy killed with SIGKILL and resumed; targets it must refuse."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.postgres.cluster import find_binary, running_cluster
from tests.support.databases import create_database

REPO = Path(__file__).resolve().parents[2]
LIST = "harbour-dev"
IN_LIST = f"m.mailing_list_id = (SELECT id FROM lists_mailinglist WHERE name = '{LIST}')"
pytestmark = [
    pytest.mark.skipif(not find_binary("initdb"), reason="no PostgreSQL server installed (initdb not found)"),
    pytest.mark.sqlite_only(reason="copies a SQLite store into a cluster of its own; the PostgreSQL run adds nothing"),
]

# The pages, search and API answers compared between the source and the copy: (status, body) of each URL.
PAGES = """
import hashlib, json, sys
import django
django.setup()
from django.test import Client
client = Client(HTTP_HOST="localhost")  # a host the site answers to (LISTHAVEN_ALLOWED_HOSTS unset)
answers = {}
for url in json.loads(sys.argv[1]):
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    answers[url] = [response.status_code, hashlib.sha256(body).hexdigest()]
print(json.dumps(answers))
"""


@pytest.fixture(scope="module")
def cluster():
    with running_cluster() as url:
        yield url


def _env(data_dir: Path, database_url: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(LISTHAVEN_DATA=str(data_dir), DJANGO_SETTINGS_MODULE="listhaven.site.settings")
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _listhaven(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "listhaven", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )
    if check:
        assert done.returncode == 0, done.stderr
    return done


def _source_rows(data_dir: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(data_dir / "listhaven.sqlite3") as db:
        return db.execute(sql).fetchall()


def _make_store(data_dir: Path, messages: int) -> None:
    """Demo messages (some with attachments), the demo roster, a post held from a stranger, a redaction."""
    env = _env(data_dir)
    _listhaven("demo-import", "--messages", str(messages), env=env)
    _listhaven("demo-members", env=env)
    post = data_dir / "stranger.eml"
    post.write_bytes(
        b"From: Stranger <stranger@elsewhere.example>\nTo: harbour-dev@lists.example.org\n"
        b"Subject: may I post here\nMessage-ID: <stranger-1@elsewhere.example>\n"
        b"Date: Mon, 30 Nov 2026 10:00:00 +0000\n\nhello from outside\n"
    )
    _listhaven("post", LIST, str(post), "--sender", "stranger@elsewhere.example", env=env)
    (hash_,) = _source_rows(data_dir, f"SELECT public_id FROM archive_message m WHERE {IN_LIST} ORDER BY id LIMIT 1 OFFSET 3")[0]
    _listhaven("redact", LIST, hash_, "--reason", "posted by mistake", env=env)


def _pages(data_dir: Path, database_url: str | None, urls: list[str]) -> dict[str, list]:
    done = subprocess.run(
        [sys.executable, "-c", PAGES, json.dumps(urls)], cwd=REPO, env=_env(data_dir, database_url),
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _target_count(url: str, table: str, key: str = "id") -> tuple[int, int]:
    import psycopg

    with psycopg.connect(url) as db:
        return db.execute(f"SELECT count(*), count(DISTINCT {key}) FROM {table}").fetchone()  # type: ignore[return-value]


def test_copy_answers_the_same_on_postgresql(cluster, tmp_path):
    source = tmp_path / "source"
    _make_store(source, 240)
    attachments = _source_rows(source, "SELECT count(*) FROM archive_attachment")[0][0]
    held = json.loads(_listhaven("held", LIST, "--json", env=_env(source)).stdout)
    assert attachments > 0 and held, "the generated store lacks attachments or a held post"

    target = create_database(cluster)
    moved = _listhaven("migrate-store", "--to", target, env=_env(source))
    assert "verified" in moved.stdout

    with_file = _source_rows(
        source, f"SELECT m.public_id, a.\"index\", a.filename FROM archive_message m "
        f"JOIN archive_attachment a ON a.message_id = m.id WHERE {IN_LIST} ORDER BY m.id LIMIT 1"
    )[0]
    redacted = _source_rows(source, f"SELECT public_id FROM archive_message m WHERE {IN_LIST} ORDER BY id LIMIT 1 OFFSET 3")[0][0]
    plain = _source_rows(source, f"SELECT public_id FROM archive_message m WHERE {IN_LIST} ORDER BY id DESC LIMIT 1")[0][0]
    thread = _source_rows(source, f"SELECT public_id FROM archive_thread m WHERE {IN_LIST} ORDER BY id LIMIT 1")[0][0]
    word = _source_rows(source, f"SELECT subject FROM archive_message m WHERE {IN_LIST} ORDER BY id LIMIT 1")[0][0].split()[-1]
    urls = [
        f"/{LIST}/", f"/{LIST}/message/{plain}/", f"/{LIST}/message/{redacted}/", f"/{LIST}/message/{plain}/raw",
        f"/{LIST}/message/{with_file[0]}/attachment/{with_file[1]}/{with_file[2]}", f"/{LIST}/thread/{thread}/",
        f"/api/lists/{LIST}/threads", f"/api/lists/{LIST}/messages/{plain}",
    ]
    before, after = _pages(source, None, urls), _pages(source, target, urls)
    assert after == before
    # Every page answers; the redacted message's answers as it does on SQLite (its removal notice).
    assert all(status == 200 for url, (status, _) in before.items() if redacted not in url), before

    # Search: the same messages found (FTS5 and PostgreSQL rank and highlight in their own ways).
    assert _pages(source, target, [f"/{LIST}/search?q={word}"])[f"/{LIST}/search?q={word}"][0] == 200
    search = ("search", LIST, word, "--json", "--sort", "date", "--limit", "100")
    found = [json.loads(_listhaven(*search, env=_env(source, db)).stdout) for db in (None, target)]
    assert found[0]["total"] > 0
    assert found[1]["total"] == found[0]["total"]
    assert [h["id"] for h in found[1]["results"]] == [h["id"] for h in found[0]["results"]]
    for command in (("members", LIST), ("held", LIST, "--json")):
        on_sqlite = _listhaven(*command, env=_env(source)).stdout
        assert _listhaven(*command, env=_env(source, target)).stdout == on_sqlite, command
    # New rows on the target get new ids: the sequences were moved past the copied ones.
    _listhaven("members", "add", LIST, "Newcomer <new@example.org>", env=_env(source, target))


def test_killed_copy_resumes_and_verifies(cluster, tmp_path):
    source = tmp_path / "source"
    _make_store(source, 400)
    target = create_database(cluster)
    command = [sys.executable, "-m", "listhaven", "migrate-store", "--to", target, "--chunk", "10"]
    copying = subprocess.Popen(command, cwd=REPO, env=_env(source), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    import psycopg

    deadline, copied = time.monotonic() + 120, 0
    while time.monotonic() < deadline and copying.poll() is None and copied < 100:
        time.sleep(0.05)
        try:
            with psycopg.connect(target) as db:
                copied = db.execute("SELECT count(*) FROM archive_message").fetchone()[0]
        except psycopg.Error:
            pass  # the schema is being made
    assert copying.poll() is None, "the copy ended before it could be killed: give it more rows"
    os.kill(copying.pid, signal.SIGKILL)
    copying.wait(timeout=30)
    total = _source_rows(source, "SELECT count(*) FROM archive_message")[0][0]
    assert 0 < _target_count(target, "archive_message")[0] < total

    resumed = _listhaven("migrate-store", "--to", target, "--chunk", "10", env=_env(source))
    assert "(resumed)" in resumed.stdout and "verified" in resumed.stdout
    # No row twice: the primary keys would refuse a duplicate, so count a natural key as well.
    for table, key in (("archive_message", "id"), ("archive_rawmessage", "message_id"), ("archive_attachment", "id"),
                       ("archive_message", "content_hash"), ("lists_member", "id")):
        in_source = _source_rows(source, f"SELECT count(*), count(DISTINCT {key}) FROM {table}")[0]
        assert _target_count(target, table, key) == tuple(in_source), table
    # The month counts are not copied: the target's triggers counted the copied messages, once each.
    counts = "SELECT list_id, month, messages FROM archive_month_count ORDER BY list_id, month"
    with psycopg.connect(target) as db:
        assert [tuple(row) for row in db.execute(counts).fetchall()] == _source_rows(source, counts)


def test_refuses_a_target_holding_another_store(cluster, tmp_path):
    other = create_database(cluster)
    _listhaven("list", "create", "elsewhere@lists.example.org", env=_env(tmp_path / "unused", other))
    source = tmp_path / "source"
    _listhaven("list", "create", "mine@lists.example.org", env=_env(source))
    refused = _listhaven("migrate-store", "--to", other, env=_env(source), check=False)
    assert refused.returncode == 1 and "already holds tables" in refused.stderr

    target = create_database(cluster)
    _listhaven("migrate-store", "--to", target, env=_env(source))
    second = tmp_path / "second"
    _listhaven("list", "create", "theirs@lists.example.org", env=_env(second))
    refused = _listhaven("migrate-store", "--to", target, env=_env(second), check=False)
    assert refused.returncode == 1 and "copy of another store" in refused.stderr
