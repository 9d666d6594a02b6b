"""Postfix's tables of the lists (lists/postfix_maps.py): written again after a list is created,
renamed or removed, naming exactly the addresses the LMTP server takes, each file replaced whole,
and indexed by the real `postmap` when it is there."""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from listhaven.delivery.lmtp import recipient_status
from listhaven.lists.directory import create_list
from listhaven.lists.postfix_maps import DOMAINS_MAP, TRANSPORT_MAP, lmtp_next_hop, write_maps
from listhaven.lists.removal import remove_list
from listhaven.lists.routing import resolve

POSTMAP = shutil.which("postmap") or shutil.which("postmap", path="/usr/sbin:/usr/local/sbin:/sbin")


@pytest.fixture
def maps(settings, tmp_path):
    """The maps written to tmp_path/maps, postmap off unless a test turns it on."""
    settings.POSTFIX_MAPS_DIR = tmp_path / "maps"
    settings.POSTMAP = "off"
    settings.LMTP_HOST, settings.LMTP_PORT = "127.0.0.1", 8024
    return tmp_path / "maps"


def table(path: Path) -> dict[str, str]:
    """The lines of a map file: key -> value, comments and blank lines left out."""
    rows = [line.split() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]
    return {key: value for key, value in rows}


def test_the_transport_map_names_exactly_the_addresses_the_lmtp_server_takes(db, maps, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        crew = create_list("crew@lists.example.org")
    transport = table(maps / TRANSPORT_MAP)
    assert set(transport.values()) == {"lmtp:[127.0.0.1]:8024"}
    assert all(recipient_status(address) is None for address in transport)  # each one the server takes
    # Every local part the server takes for this list (the posting address, every service address a
    # role is reached at, the ones with a +detail without it): each has its line.
    local_parts = {"crew", "crew-owner", "crew-bounces", "crew-request", "crew-join", "crew-leave", "crew-confirm",
                   "crew-subscribe", "crew-unsubscribe"}  # fmt: skip
    # (Other lists an earlier module committed may be in the tables too: only this list's lines are counted.)
    assert {address for address in transport if resolve(address).mailing_list == crew} == {
        f"{local}@lists.example.org" for local in local_parts}
    for other in ("crew-admin@lists.example.org", "crewe@lists.example.org", "crew@example.org"):
        assert other not in transport and recipient_status(other) is not None
    assert table(maps / DOMAINS_MAP)["lists.example.org"] == "lists.example.org"


def test_creating_and_removing_lists_writes_the_tables_again(db, maps, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        crew = create_list("crew@crew-only.example.org")
        create_list("news@other.example.net")
    assert "news-bounces@other.example.net" in table(maps / TRANSPORT_MAP)
    assert {"crew-only.example.org", "other.example.net"} <= set(table(maps / DOMAINS_MAP))
    with django_capture_on_commit_callbacks(execute=True):
        remove_list(crew, keep_archive=False)
    assert not any(address.endswith("@crew-only.example.org") for address in table(maps / TRANSPORT_MAP))
    assert "crew-only.example.org" not in table(maps / DOMAINS_MAP) and "other.example.net" in table(maps / DOMAINS_MAP)
    # A list removed with its archive kept still answers at its addresses (rejecting posts): they stay.
    with django_capture_on_commit_callbacks(execute=True):
        news = create_list("news2@other.example.net")
    with django_capture_on_commit_callbacks(execute=True):
        remove_list(news, keep_archive=True)
    assert "news2-owner@other.example.net" in table(maps / TRANSPORT_MAP)


def test_nothing_is_written_before_the_creation_commits(db, maps, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as waiting:
        create_list("crew@lists.example.org")
        assert not (maps / TRANSPORT_MAP).exists()
    assert len(waiting) == 1


def test_a_list_created_and_removed_on_the_web_is_in_the_tables_and_then_not(db, maps, django_capture_on_commit_callbacks):
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "x-long-password-1")
    client = Client()
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/manage/lists/new/", {"address": "herbs@lists.example.org"})
    assert response.status_code == 302
    assert table(maps / TRANSPORT_MAP)["herbs-request@lists.example.org"] == "lmtp:[127.0.0.1]:8024"
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/manage/herbs/remove/", {"confirm": "herbs@lists.example.org", "archive": "delete"})
    assert "herbs@lists.example.org" not in table(maps / TRANSPORT_MAP)


def test_a_list_renamed_in_the_admin_moves_in_the_tables(db, maps, django_capture_on_commit_callbacks):
    from django.contrib import admin as django_admin

    from listhaven.lists.models import MailingList

    mlist = create_list("crew@lists.example.org")
    model_admin = django_admin.site._registry[MailingList]
    form = type("Form", (), {"changed_data": ["address"]})()
    mlist.address = "crew@new.example.org"
    with django_capture_on_commit_callbacks(execute=True):
        model_admin.save_model(None, mlist, form, change=True)
    transport = table(maps / TRANSPORT_MAP)
    assert "crew-owner@new.example.org" in transport and "crew@lists.example.org" not in transport


@pytest.mark.skipif(POSTMAP is None, reason="postmap is not installed (apt-get install postfix)")
def test_postmap_indexes_each_table_and_nothing_is_left_behind(db, maps, settings):
    settings.POSTMAP = ""  # found where Postfix installs it
    create_list("crew@lists.example.org")
    written = write_maps()
    assert written is not None and written.postmap
    found = subprocess.run([POSTMAP, "-q", "crew-bounces@lists.example.org", f"hash:{maps / TRANSPORT_MAP}"],
                           capture_output=True, text=True, timeout=30)  # fmt: skip
    assert found.stdout.strip() == "lmtp:[127.0.0.1]:8024"
    domain = subprocess.run([POSTMAP, "-q", "lists.example.org", f"hash:{maps / DOMAINS_MAP}"],
                            capture_output=True, text=True, timeout=30)  # fmt: skip
    assert domain.stdout.strip() == "lists.example.org"
    names = sorted(path.name for path in maps.iterdir() if path.name != ".postfix_maps.lock")
    assert names == sorted([TRANSPORT_MAP, TRANSPORT_MAP + ".db", DOMAINS_MAP, DOMAINS_MAP + ".db"])
    assert all(path.stat().st_mode & 0o044 == 0o044 for path in maps.iterdir())  # Postfix's user reads them


def test_a_failing_postmap_keeps_the_old_tables_and_the_list(db, maps, settings, caplog, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        create_list("crew@lists.example.org")
    before = (maps / TRANSPORT_MAP).read_text()
    settings.POSTMAP = shutil.which("false")
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        news = create_list("news@lists.example.org")
    assert news.pk and "Postfix maps not written" in caplog.text and "listhaven postfix-maps" in caplog.text
    assert (maps / TRANSPORT_MAP).read_text() == before  # the whole old file, not a half-new one
    assert [path.name for path in maps.iterdir() if path.name.startswith(".postfix_lmtp.")] == []


def test_off_writes_nothing(db, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.POSTFIX_MAPS_DIR = None
    settings.DATA_DIR = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        create_list("crew@lists.example.org")
    assert write_maps() is None and list(tmp_path.iterdir()) == []


def test_unset_writes_them_in_the_data_directory(db, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.POSTFIX_MAPS_DIR, settings.POSTMAP, settings.DATA_DIR = "", "off", tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        create_list("crew@lists.example.org")
    assert "crew@lists.example.org" in table(tmp_path / TRANSPORT_MAP)


def test_the_next_hop_reaches_a_wildcard_bind_on_loopback_and_writes_ipv6_as_postfix_does():
    assert lmtp_next_hop("127.0.0.1", 8024) == "lmtp:[127.0.0.1]:8024"
    assert lmtp_next_hop("0.0.0.0", 24) == "lmtp:[127.0.0.1]:24"
    assert lmtp_next_hop("::1", 8024) == "lmtp:[ipv6:::1]:8024"


def test_the_command_writes_every_list_and_says_so_when_the_maps_are_off(tmp_path):
    import os
    import sys

    def listhaven(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
        environ = {**os.environ, "LISTHAVEN_DATA": str(tmp_path / "store"), "LISTHAVEN_POSTMAP": "off", **env}
        return subprocess.run([sys.executable, "-m", "listhaven", *args], env=environ, capture_output=True,
                              text=True, timeout=120)  # fmt: skip

    created = listhaven("list", "create", "crew@lists.example.org", LISTHAVEN_POSTFIX_MAPS="off")
    assert created.returncode == 0, created.stderr
    refused = listhaven("postfix-maps", LISTHAVEN_POSTFIX_MAPS="off")
    assert refused.returncode == 1 and "off" in refused.stderr
    written = listhaven("postfix-maps", "--directory", str(tmp_path / "maps"), LISTHAVEN_POSTFIX_MAPS="off")
    assert written.returncode == 0, written.stderr
    assert "1 list(s) in 1 domain(s)" in written.stdout
    assert "crew-leave@lists.example.org" in table(tmp_path / "maps" / TRANSPORT_MAP)


def test_a_worker_writes_the_tables_again_when_a_list_was_created_on_another_host(db, maps, settings, tmp_path,
                                                                                   django_capture_on_commit_callbacks):  # fmt: skip
    """Each host writes its own tables when a list is created there; the worker's timed job
    (delivery/schedule.py, refresh_maps) brings the tables Postfix reads up to date with a list created by a
    web server of another host."""
    from listhaven.delivery.schedule import JOBS
    from listhaven.lists.postfix_maps import refresh_maps

    assert "listhaven.lists.postfix_maps:refresh_maps" in {job.function for job in JOBS}
    with django_capture_on_commit_callbacks(execute=True):
        create_list("here@refresh.example.org")
    assert "here@refresh.example.org" in table(maps / TRANSPORT_MAP)
    assert refresh_maps() is None  # up to date: nothing written
    written = (maps / TRANSPORT_MAP).stat()
    settings.POSTFIX_MAPS_DIR = tmp_path / "other-host"
    with django_capture_on_commit_callbacks(execute=True):
        create_list("there@elsewhere.example.org")
    settings.POSTFIX_MAPS_DIR = maps
    # Before: this host's tables lacked the list until a list was created here or postfix-maps was run,
    # and Postfix refused its mail at RCPT.
    assert "there@elsewhere.example.org" not in table(maps / TRANSPORT_MAP)
    assert (maps / TRANSPORT_MAP).stat().st_ino == written.st_ino
    assert refresh_maps() is not None
    assert {"here@refresh.example.org", "there@elsewhere.example.org"} <= set(table(maps / TRANSPORT_MAP))
    assert table(maps / DOMAINS_MAP)["elsewhere.example.org"] == "elsewhere.example.org"
    assert refresh_maps() is None
