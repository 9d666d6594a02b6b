"""Every Pipermail message link of a real Pipermail archive lands on the right message."""

from __future__ import annotations

import re

import pytest

from listhaven.archive.importer import import_path
from listhaven.lists.directory import create_list
from listhaven.mail.ids import message_id_hash
from tests.conftest import corpus_path


@pytest.fixture
def numpy_archive(db):
    mlist = create_list("numpy-discussion@scipy.org")
    path = corpus_path("numpy-discussion-2001-November.txt")
    import_path(mlist, str(path), workers=0)
    return mlist, path.read_text("latin-1")


def test_every_pipermail_message_number_redirects_to_its_message(client, numpy_archive):
    mlist, text = numpy_archive
    ids_in_file_order = list(dict.fromkeys(re.findall(r"^Message-ID: <([^>]+)>", text, re.MULTILINE)))
    assert len(ids_in_file_order) == 82  # the file holds each of its 82 messages twice
    for number, message_id in enumerate(ids_in_file_order):
        response = client.get(f"/pipermail/{mlist.name}/2001-November/{number:06d}.html")
        assert response.status_code == 301
        assert response["Location"] == f"/{mlist.name}/message/{message_id_hash(message_id)}/"
        assert client.get(response["Location"]).status_code == 200
    assert client.get(f"/pipermail/{mlist.name}/2001-November/{len(ids_in_file_order):06d}.html").status_code == 404


@pytest.mark.parametrize("page,query", [("thread.html", ""), ("date.html", "?sort=date"),
                                        ("subject.html", "?sort=subject"), ("author.html", "?sort=author")])
def test_pipermail_month_orders_redirect(client, numpy_archive, page, query):
    mlist, _ = numpy_archive
    response = client.get(f"/pipermail/{mlist.name}/2001-November/{page}")
    assert response.status_code == 301 and response["Location"] == f"/{mlist.name}/2001-11/{query}"
    assert client.get(response["Location"]).status_code == 200
