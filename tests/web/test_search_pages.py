"""The search pages: results, escaping and highlighting, bad queries answered with 400, access."""

import pytest

from listhaven.archive.models import Message
from listhaven.archive.search import remove_message

pytestmark = pytest.mark.django_db


def test_list_search_shows_hits_with_highlighted_terms(client, fixture_archive):
    response = client.get("/harbour-dev/search", {"q": "parser"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<mark>parser</mark>" in html.lower()
    assert "message" in html and "found" in html
    assert "/harbour-dev/message/" in html
    assert "/allotment/message/" not in html


def test_global_search_covers_every_public_list(client, fixture_archive):
    response = client.get("/search", {"q": "the", "sort": "date"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "newest first</strong>" in html


def test_group_by_thread(client, fixture_archive):
    response = client.get("/harbour-dev/search", {"q": "parser", "group": "thread"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "threads matching" in html or "thread matching" in html
    assert "/harbour-dev/thread/" in html


@pytest.mark.parametrize("query", ['"unclosed', "(a OR b", "foo:bar", "date:", "date:2019-13", "-alone", "a OR -b"])
def test_bad_queries_answer_400_with_the_reason(client, fixture_archive, query):
    response = client.get("/harbour-dev/search", {"q": query})
    assert response.status_code == 400
    html = response.content.decode()
    assert "could not be understood" in html
    assert "search-help" in html or "/search/help" in html


def test_empty_query_shows_the_form(client, fixture_archive):
    response = client.get("/harbour-dev/search")
    assert response.status_code == 200
    assert 'name="q"' in response.content.decode()


def test_help_page_documents_every_field(client, db):
    html = client.get("/search/help").content.decode()
    for example in ("from:", "to:", "cc:", "subject:", "s:", "body:", "b:", "list:", "has:attachment",
                    "filename:", "id:", "thread:", "date:2019-01..2019-06", "date:2w..", "fano*", " OR ", "-draft"):
        assert example in html


def test_private_list_is_404_and_absent_from_global_search(client, db):
    from listhaven.lists.directory import create_list
    from tests.web.conftest import make_message, store

    secret = create_list("hidden@lists.example.org", private=True)
    store(secret, [make_message("s1@example.org", subject="Zanzibar plans", body="zanzibar\n")])
    assert client.get("/hidden/search", {"q": "zanzibar"}).status_code == 404
    html = client.get("/search", {"q": "zanzibar"}).content.decode()
    assert "Zanzibar plans" not in html


def test_snippets_escape_html_and_obfuscate_addresses(client, db):
    from listhaven.lists.directory import create_list
    from tests.web.conftest import make_message, store

    mlist = create_list("cases@lists.example.org")
    store(mlist, [make_message(
        "x1@example.org", subject="<b>bold</b> quokka", sender="Quinn <quinn@example.net>",
        body="<script>alert(1)</script> quokka mail me at quinn@example.net\n",
    )])
    html = client.get("/cases/search", {"q": "quokka"}).content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt; <mark>quokka</mark>" in html
    assert "quinn at example.net" in html
    assert "quinn@example.net" not in html


def test_removed_message_disappears_from_results(client, db):
    from listhaven.lists.directory import create_list
    from tests.web.conftest import make_message, store

    mlist = create_list("cases@lists.example.org")
    store(mlist, [make_message("a@example.org", subject="wombat one"), make_message("b@example.org", subject="wombat two")])
    message = Message.objects.get(message_id="b@example.org")
    remove_message(message)
    Message.objects.filter(pk=message.pk).update(redacted=True)
    html = client.get("/cases/search", {"q": "wombat"}).content.decode()
    assert "<mark>wombat</mark> one" in html and "<mark>wombat</mark> two" not in html
    assert "1 message found" in html


def test_page_beyond_the_results_is_404(client, fixture_archive):
    assert client.get("/harbour-dev/search", {"q": "parser", "page": "999"}).status_code == 404
    assert client.get("/harbour-dev/search", {"q": "parser", "page": "x"}).status_code == 404
