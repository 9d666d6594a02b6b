"""A private list moved from Mailman 2 (archive_private = 1), or imported with `import --create
--archive`, shows outsiders nothing: pages, search, feeds, the API, downloads, and Pipermail's and
HyperKitty's links answer as a list that does not exist; listings never name it. Its members sign
in and read it, and its Pipermail links answer them 301."""

from __future__ import annotations

import pytest
from django.test import Client

from listhaven.archive.models import Message
from listhaven.cli import main
from listhaven.lists.models import MailingList
from tests.lists.test_move_mailman2 import ADDRESS, ARCHIVE, garden_config
from tests.support.mailman2 import py2_pickle

WORD = "Frost"  # searched for (a 404 page may repeat the query: it is the asker's own word)
LEAKS = ("Seeds", "body text")  # in the archive's messages and in no page of a list one may not read


def _urls(mlist: MailingList, message: Message) -> list[str]:
    name, mid, tid = mlist.name, message.public_id, message.thread.public_id
    return [
        f"/{name}/", f"/{name}/2010-02/", f"/{name}/message/{mid}/", f"/{name}/thread/{tid}/",
        f"/{name}/search?q={WORD}", f"/{name}/feed.atom", f"/{name}/threads.atom", f"/{name}/thread/{tid}/feed.atom",
        f"/{name}/message/{mid}/raw", f"/{name}/message/{mid}/mbox", f"/{name}/thread/{tid}/mbox",
        f"/{name}/2010-02.mbox.gz", f"/{name}/all.mbox.gz", f"/{name}/search.mbox.gz?q={WORD}",
        f"/{name}/2010-February.txt.gz", f"/listinfo/{name}", f"/api/lists/{name}", f"/api/lists/{name}/threads",
        f"/api/lists/{name}/messages/{mid}", f"/api/lists/{name}/search?q={WORD}", f"/api/lists/{name}/months",
        f"/pipermail/{name}/", f"/pipermail/{name}/2010-February/", f"/pipermail/{name}/2010-February/000001.html",
        f"/pipermail/{name}/2010-February.txt.gz", f"/{mlist.address}/", f"/hyperkitty/list/{mlist.address}/",
        f"/hyperkitty/list/{mlist.address}/message/{mid}/", f"/archives/list/{mlist.address}/2010/2/",
    ]  # fmt: skip


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _outsiders(django_user_model) -> dict[str, Client]:
    stranger = django_user_model.objects.create_user("zed@elsewhere.example", email="zed@elsewhere.example")
    signed_in = Client()
    signed_in.force_login(stranger)
    return {"anonymous": Client(), "non-member": signed_in}


def _assert_unseen(mlist: MailingList, clients: dict[str, Client]) -> None:
    message = Message.objects.select_related("thread").filter(mailing_list=mlist).first()
    for who, client in clients.items():
        for url in _urls(mlist, message):
            response = client.get(url)
            assert response.status_code == 404, (who, url, response.status_code)
            assert not any(leak.encode() in _body(response) for leak in LEAKS), (who, url)
        for url in ("/", "/api/lists", f"/search?q={WORD}", f"/search?q={WORD}&sort=date"):
            text = _body(client.get(url)).decode()
            assert f"/{mlist.name}/" not in text and f'"{mlist.name}"' not in text, (who, url)
            assert not any(leak in text for leak in LEAKS), (who, url)


@pytest.fixture
def moved(db, tmp_path):
    config = tmp_path / "config.pck"
    config.write_bytes(py2_pickle(garden_config(), protocol=2))  # archive_private: 1
    (tmp_path / "garden.mbox").write_bytes(ARCHIVE)
    assert main(["import-list", "mailman2", "--config", str(config), "--archive", str(tmp_path / "garden.mbox")]) == 0
    return MailingList.objects.get(address=ADDRESS)


def test_a_private_mailman2_list_shows_outsiders_nothing(moved, django_user_model):
    assert moved.archive_policy == "members" and Message.objects.filter(mailing_list=moved).count() == 4
    _assert_unseen(moved, _outsiders(django_user_model))


def test_its_members_sign_in_and_read_it_and_its_pipermail_links_lead_them_there(moved, django_user_model):
    ann = Client()
    ann.force_login(django_user_model.objects.create_user("ann@example.org", email="ann@example.org"))
    assert ann.get(f"/{moved.name}/").status_code == 200
    assert WORD in ann.get(f"/{moved.name}/search?q={WORD}").content.decode()
    first = ann.get(f"/pipermail/{moved.name}/2010-February/000001.html")
    assert first.status_code == 301 and ann.get(first["Location"]).status_code == 200
    assert f"/{moved.name}/" in ann.get("/").content.decode()


def test_the_archive_policy_given_on_the_command_line_wins(db, tmp_path, django_user_model):
    config = tmp_path / "config.pck"
    config.write_bytes(py2_pickle({**garden_config(), "archive_private": 0}, protocol=2))
    (tmp_path / "garden.mbox").write_bytes(ARCHIVE)
    args = ["--config", str(config), "--archive", str(tmp_path / "garden.mbox"), "--archive-policy", "owners"]
    assert main(["import-list", "mailman2", *args]) == 0
    mlist = MailingList.objects.get(address=ADDRESS)
    assert mlist.archive_policy == "owners"
    ann = Client()  # a member, not an owner: an owners-only archive is not hers to read
    ann.force_login(django_user_model.objects.create_user("ann@example.org", email="ann@example.org"))
    _assert_unseen(mlist, {**_outsiders(django_user_model), "member": ann})


def test_import_create_takes_the_archive_policy(db, tmp_path, django_user_model):
    (tmp_path / "in.mbox").write_bytes(ARCHIVE)
    assert main(["import", "quiet@lists.example.org", str(tmp_path / "in.mbox"), "--create", "--archive", "members"]) == 0
    mlist = MailingList.objects.get(address="quiet@lists.example.org")
    assert mlist.archive_policy == "members"
    _assert_unseen(mlist, _outsiders(django_user_model))
    admin = Client()
    admin.force_login(django_user_model.objects.create_user("root@example.org", email="root@example.org", is_staff=True))
    assert admin.get(f"/{mlist.name}/").status_code == 200
    assert main(["import", mlist.name, str(tmp_path / "in.mbox"), "--archive", "public"]) == 1  # not a way to publish it
