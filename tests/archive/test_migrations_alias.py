"""The data migrations write to the database being migrated (`migrate --database NAME`), not to the
default one: lists.0008 (is_private becomes archive_policy) and archive.0009 (the store's derived-id
domain) run on a second store made as one from before them, beside a default store at the newest
state, and must change the second store alone.

In a process of its own, on two SQLite files: the test runner allows no database alias but its own."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

LEGACY = "synthetic.listhaven.invalid"

SCRIPT = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime

    from django.conf import settings
    settings.DATABASES["second"] = {"ENGINE": "django.db.backends.sqlite3", "NAME": sys.argv[1]}
    import django
    django.setup()
    from django.db import connections
    from django.db.migrations.executor import MigrationExecutor

    def migrate(alias, targets=None):
        executor = MigrationExecutor(connections[alias])
        executor.loader.build_graph()
        targets = targets or executor.loader.graph.leaf_nodes()
        executor.migrate(targets)
        return executor.loader.project_state(targets).apps

    migrate("default")
    apps = migrate("second", [("lists", "0007_list_info"), ("archive", "0008_message_purged_at")])
    # a private list holding a message whose id was derived in the legacy domain, as stored before
    model = lambda name: apps.get_model(*name.split(".")).objects.using("second")
    mlist = model("lists.MailingList").create(name="board", address="board@lists.example.org", is_private=True)
    when = datetime(2024, 3, 1, tzinfo=UTC)
    thread = model("archive.Thread").create(mailing_list=mlist, public_id="T1", first_date=when, last_date=when)
    model("archive.Message").create(mailing_list=mlist, thread=thread, public_id="M1", message_id="a@" + sys.argv[2],
                                    message_id_synthetic=True, date=when, archive_number=0)
    migrate("second")
    """
)


def _rows(database: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(database) as db:
        return db.execute(sql).fetchall()


def test_the_data_migrations_change_the_database_being_migrated(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(DJANGO_SETTINGS_MODULE="listhaven.site.settings", LISTHAVEN_DATA=str(tmp_path / "data"))
    (tmp_path / "data").mkdir()
    second = tmp_path / "second.sqlite3"
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(second), LEGACY], env=env, capture_output=True, text=True,
                          check=False, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]

    assert _rows(second, "SELECT name, archive_policy FROM lists_mailinglist") == [("board", "members")]
    assert _rows(second, "SELECT id, derived_id_domain FROM archive_storeidentity") == [(1, LEGACY)]
    default = tmp_path / "data" / "listhaven.sqlite3"
    assert _rows(default, "SELECT name FROM lists_mailinglist") == []
    assert _rows(default, "SELECT id, derived_id_domain FROM archive_storeidentity") == [(1, "derived.listhaven.invalid")]
