"""The read commands' quick path (archive/sqlite_reads.py, no Django) prints what the Django path prints.

One generated store, made by the project's own commands (the demo archive, a members-only list whose
addresses are shown as written, a quarantined message, a removed message), and every read command
run twice as a whole process: once as `listhaven` runs it, once with the quick path turned off.
stdout, stderr and the exit status must be the same, and only the Django path may load Django.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
RUN = (
    "import sys\nfrom listhaven.cli import main\n"
    "try:\n    sys.exit(main(sys.argv[2:], quick=sys.argv[1] == 'quick'))\n"
    "finally:\n    sys.stderr.write(f'[django loaded: {\"django\" in sys.modules}]')\n"
)
HIDDEN_MAIL = """From ann@example.org Mon Mar 11 10:00:00 2019
From: Ann Example <ann@example.org>
To: hidden@lists.example.org
Subject: Wombat census for the members
Date: Mon, 11 Mar 2019 10:00:00 +0000
Message-ID: <census@example.org>

The wombat census is ready; write to ann@example.org with corrections.

From bob@example.org Mon Mar 11 11:00:00 2019
From: Bob <bob@example.org>
To: hidden@lists.example.org
Subject: Re: Wombat census for the members
Date: Mon, 11 Mar 2019 11:00:00 +0000
Message-ID: <census-reply@example.org>
In-Reply-To: <census@example.org>

> The wombat census is ready
Thanks, the wombat numbers look right. Remove me: quokka.

From nobody Mon Mar 11 12:00:00 2019


"""


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}


def _listhaven(store: Path, *argv: str, quick: bool = True, env: dict[str, str] | None = None):
    return subprocess.run(
        [sys.executable, "-c", RUN, "quick" if quick else "django", "--data-dir", str(store), *argv],
        capture_output=True, text=True, cwd=REPO, env=env or _env(), timeout=300,
    )


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("quick") / "store"
    mbox = store.parent / "hidden.mbox"
    mbox.write_text(HIDDEN_MAIL)
    for argv in (
        ["demo-import", "--messages", "300"],
        ["list", "create", "hidden@lists.example.org", "--archive", "members"],
        ["import", "hidden", str(mbox), "--json"],
    ):
        done = _listhaven(store, *argv, quick=False)
        assert done.returncode == 0, done.stderr
    with sqlite3.connect(store / "listhaven.sqlite3") as db:
        db.execute("UPDATE lists_mailinglist SET obfuscate_addresses = 0 WHERE name = 'hidden'")
        (removed,) = db.execute("SELECT public_id FROM archive_message WHERE message_id = 'census-reply@example.org'")
    done = _listhaven(store, "redact", "hidden", removed[0], "--reason", "asked", quick=False)
    assert done.returncode == 0, done.stderr
    return store


COMMANDS = [
    ["lists"],
    ["lists", "--json"],
    ["stats", "harbour-dev"],
    ["stats", "hidden@lists.example.org", "--json"],
    ["stats", "reading"],  # a prefix of no list's address
    ["threads", "allotment"],
    ["threads", "hidden", "--limit", "1", "--json"],
    ["threads", "harbour-dev", "--limit", "0"],
    ["search", "harbour-dev", "patch"],
    ["search", "all", "the", "--sort", "date", "--limit", "30"],
    ["search", "all", "wombat"],  # the removed reply mentions it too
    ["search", "all", "quokka"],  # only in the removed reply
    ["search", "hidden", "ann@example.org"],  # addresses shown as written on this list
    ["search", "harbour-dev", "review", "--threads", "--limit", "5", "--page", "2"],
    ["search", "allotment", "from:a* -seeds"],
    ["search", "all", "date:2019-03 has:attachment"],
    ["search", "harbour-dev", "subject:\"no such phrase here\""],
    ["search", "harbour-dev", "subject:("],  # a bad query: the reader's error message
    ["search", "no-such-list", "patch"],
]


@pytest.mark.parametrize("argv", COMMANDS, ids=" ".join)
def test_the_quick_path_prints_what_django_prints(store: Path, argv: list[str]) -> None:
    quick = _listhaven(store, *argv)
    django = _listhaven(store, *argv, quick=False)
    assert quick.stdout == django.stdout
    assert (quick.returncode, quick.stderr.replace("[django loaded: False]", "")) == (
        django.returncode, django.stderr.replace("[django loaded: True]", ""))  # fmt: skip
    assert quick.stderr.endswith("[django loaded: False]")
    assert django.stderr.endswith("[django loaded: True]")


def test_the_store_holds_the_cases_the_comparison_needs(store: Path) -> None:
    """The comparison above is only worth something if these differ from the plain case."""
    stats = _listhaven(store, "stats", "hidden")
    assert "quarantined  1" in stats.stdout and "messages     2" in stats.stdout
    assert "members" in _listhaven(store, "lists").stdout
    removed = _listhaven(store, "search", "all", "quokka")
    assert removed.stdout.startswith("0 messages match")
    shown = _listhaven(store, "search", "hidden", "corrections")
    assert "Ann Example" in shown.stdout and "1 message matches" in shown.stdout


def test_search_json_answers_through_django(store: Path) -> None:
    """Its URLs come from Django's URL map, so the quick path leaves it to Django."""
    done = _listhaven(store, "search", "harbour-dev", "patch", "--json")
    assert done.returncode == 0 and done.stderr.endswith("[django loaded: True]")
    assert '"url": "/harbour-dev/message/' in done.stdout


def test_postgresql_and_a_store_to_migrate_answer_through_django(store: Path, tmp_path: Path) -> None:
    pg = _listhaven(store, "lists", env={**_env(), "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"})
    assert pg.returncode != 0 and "127.0.0.1" in pg.stderr  # Django tried the (absent) server
    assert "[django loaded: True]" in pg.stderr
    old = tmp_path / "old"
    old.mkdir()
    (old / "listhaven.sqlite3").write_bytes((store / "listhaven.sqlite3").read_bytes())
    # A store from before the archive's last migration: migrated back one step.
    previous = sorted(p.stem for p in (REPO / "src/listhaven/archive/migrations").glob("0*.py"))[-2]
    back = ("import sys\nfrom listhaven.cli import setup_django\nsetup_django(sys.argv[1])\n"
            "from django.core.management import call_command\ncall_command('migrate', 'archive', sys.argv[2], verbosity=0)")
    subprocess.run([sys.executable, "-c", back, str(old), previous], check=True, cwd=REPO, env=_env(), timeout=300)
    behind = _listhaven(old, "lists")
    assert behind.returncode == 0 and behind.stderr.endswith("[django loaded: True]")
    assert "harbour-dev" in behind.stdout
    again = _listhaven(old, "lists")  # the Django path brought the schema up to date
    assert again.stderr.endswith("[django loaded: False]") and again.stdout == behind.stdout
    fresh = _listhaven(tmp_path / "new", "lists")
    assert fresh.returncode == 0 and fresh.stderr.endswith("[django loaded: True]")
