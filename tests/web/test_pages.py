"""The archive pages through Django's test client: what they show, their links, and that bad
input gives a clear 404 page (never a 500)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from listhaven.archive.models import Message, Thread

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)


def html_of(response) -> str:
    return response.content.decode()


def assert_clean(html: str) -> None:
    """No inline script, style attribute or event handler: the CSP forbids them."""
    assert not INLINE_SCRIPT.search(html), INLINE_SCRIPT.search(html)
    assert not INLINE_STYLE.search(html), INLINE_STYLE.search(html)
    assert not INLINE_HANDLER.search(html), INLINE_HANDLER.search(html)


def assert_404(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 404, (url, response.status_code)
    html = html_of(response)
    assert "Not found" in html and "listhaven.css" in html, url
    return html


def biggest_thread(mlist) -> Thread:
    return Thread.objects.filter(mailing_list=mlist).order_by("-message_count").first()


# --- index, overview, listinfo -------------------------------------------------------------


def test_index_lists_public_lists_with_activity(client, fixture_archive):
    response = client.get("/")
    html = html_of(response)
    assert response.status_code == 200
    for name, mlist in fixture_archive.items():
        assert reverse("list", args=[name]) in html
        assert f"{mlist.messages.count()} messages" in html
        assert f'<a href="/listinfo/{name}">about and subscribe</a>' in html  # where a newcomer joins
    assert "last post" in html
    assert_clean(html)


def test_index_hides_private_lists(client, fixture_archive):
    from listhaven.lists.directory import create_list

    create_list("hidden@lists.example.org", private=True)
    assert "/hidden/" not in html_of(client.get("/"))
    assert_404(client, "/hidden/")
    assert_404(client, "/listinfo/hidden")


def test_index_names_a_list_once_when_its_short_name_is_its_title(client):
    """The demo's `allotment` (display name "Allotment", as create_list makes it) read "Allotment allotment".
    The short name follows the title only when it says something more than the title in another case."""
    from listhaven.lists.directory import create_list

    create_list("plots@lists.example.org")
    create_list("beans@lists.example.org", display_name="BEANS")
    create_list("river-dev@lists.example.org")
    create_list("rc@lists.example.org", display_name="Reading Circle")
    html = html_of(client.get("/"))
    headings = {re.sub(r"<[^>]+>", "|", h).strip("|") for h in re.findall(r"<h2>(.*?)</h2>", html)}
    assert {"Plots", "BEANS", "River-dev", "Reading Circle| |rc"} <= headings, headings
    assert not {h for h in headings if h.split("|")[0] in ("Plots", "BEANS", "River-dev") and "|" in h}, headings
    assert '<span class="addr">plots</span>' not in html and '<span class="addr">rc</span>' in html


def test_overview_shows_description_threads_months_and_chart(client, fixture_archive):
    mlist = fixture_archive["reading-circle"]
    html = html_of(client.get(f"/{mlist.name}/"))
    assert mlist.description in html
    assert "<svg" in html and 'class="bar"' in html
    assert "2019-03: " not in html  # months are labelled in words, not ambiguous numbers
    assert "March 2019: " in html
    assert reverse("month", args=[mlist.name, "2019-03"]) in html
    assert reverse("thread", args=[mlist.name, biggest_thread(mlist).public_id]) in html
    assert "replies" in html
    recent = html.split('id="recent-h"')[1].split("</section>")[0]
    assert "@" not in recent  # participants without a name are shown as obfuscated addresses
    assert " since March 2019 " in html
    assert reverse("listinfo", args=[mlist.name]) in html
    assert_clean(html)


def test_listinfo_shows_description_address_and_archive(client, fixture_archive):
    mlist = fixture_archive["harbour-dev"]
    html = html_of(client.get(f"/listinfo/{mlist.name}"))
    assert mlist.description in html
    assert mlist.address.replace("@", " at ") in html
    assert f'href="/{mlist.name}/"' in html
    assert client.get(f"/listinfo/{mlist.name}/").status_code == 200


# --- month pages -------------------------------------------------------------------------------


def test_month_page_in_each_order(client, fixture_archive):
    mlist = fixture_archive["reading-circle"]
    count = Message.objects.filter(mailing_list=mlist, date__year=2019, date__month=3).count()
    for sort in ("thread", "date", "subject", "author"):
        response = client.get(f"/{mlist.name}/2019-03/", {"sort": sort})
        html = html_of(response)
        assert response.status_code == 200
        assert f"{count} messages in" in html
        assert html.count('<li class="d') == count
        assert f'<strong aria-current="page">{sort}</strong>' in html
        assert_clean(html)


def test_month_date_order_is_chronological(client, fixture_archive):
    mlist = fixture_archive["reading-circle"]
    html = html_of(client.get(f"/{mlist.name}/2019-03/?sort=date"))
    stamps = re.findall(r'<time datetime="([^"]+)"', html.split('class="msglist')[1])
    assert stamps == sorted(stamps) and len(stamps) > 10


def test_month_thread_order_indents_replies(client, fixture_archive):
    mlist = fixture_archive["reading-circle"]
    html = html_of(client.get(f"/{mlist.name}/2019-03/"))
    assert 'class="d0 new-thread"' in html
    assert 'class="d1"' in html


def test_unknown_sort_falls_back_to_thread(client, fixture_archive):
    response = client.get("/reading-circle/2019-03/?sort=<script>")
    assert response.status_code == 200
    assert "<script>" not in html_of(response).split("</head>")[1]


@pytest.mark.parametrize(
    "url",
    [
        "/reading-circle/2019-13/",
        "/reading-circle/2019-00/",
        "/reading-circle/0000-05/",
        "/reading-circle/1999-01/",  # a valid month without messages
        "/reading-circle/2019-3/",
        "/reading-circle/2019-03/?page=0",
        "/reading-circle/2019-03/?page=2",
        "/reading-circle/2019-03/?page=99999999999999999999",
        "/reading-circle/2019-03/?page=-1",
        "/reading-circle/2019-03/?page=abc",
    ],
)
def test_bad_months_and_pages_are_404(client, fixture_archive, url):
    assert_404(client, url)


def test_bad_month_says_why(client, fixture_archive):
    assert "YYYY-MM" in assert_404(client, "/reading-circle/2019-13/")


# --- message page ------------------------------------------------------------------------------


def test_seed_like_message_page(client, casebook):
    seed = casebook["seed"]
    response = client.get(f"/cases/message/{seed.public_id}/")
    html = html_of(response)
    assert response.status_code == 200
    assert "[Reading-circle] Did the Canal Towns Trade With Both Sides?" in html
    assert "Tomás Lindqvist" in html
    assert "tomas.lindqvist at example.com" in html
    assert "tomas.lindqvist@example.com" not in html
    assert "2014-08-17 09:05 \u22120600" in html
    assert 'title="2014-08-17 15:05:09 UTC"' in html
    assert "    The ledger for April lists eleven barges" in html  # indentation kept
    assert '<a href="https://www.example.org/notes/canal-ledgers.html" rel="nofollow noopener">' in html
    assert '<div class="sig">-- \nTomás Lindqvist' in html
    assert "More information about the" in html and 'href="/listinfo/cases"' in html
    assert_clean(html)


def test_message_page_links(client, casebook):
    reply, root = casebook["reply"], casebook["root"]
    html = html_of(client.get(f"/cases/message/{reply.public_id}/"))
    assert "Previous message (by date):" in html and "Next message (by date):" in html
    assert f'href="/cases/message/{root.public_id}/" data-key="k"' in html  # previous in thread
    for sort in ("date", "subject", "author"):
        assert f'/cases/2019-03/?sort={sort}#m-{reply.public_id}' in html
    assert f'/cases/2019-03/#m-{reply.public_id}' in html
    assert f'/cases/thread/{reply.thread.public_id}/' in html
    assert f'/cases/message/{reply.public_id}/raw' in html
    assert 'aria-current="page"' in html  # this message marked in its thread


def test_message_reply_link(client, casebook):
    html = html_of(client.get(f"/cases/message/{casebook['root'].public_id}/"))
    assert 'href="mailto:cases@lists.example.org?In-Reply-To=%3Croot@example.org%3E&amp;Subject=Re%3A%20Long%20quotes"' in html


def test_message_date_in_senders_offset_with_utc(client, casebook):
    html = html_of(client.get(f"/cases/message/{casebook['reply'].public_id}/"))
    assert "2019-03-04 12:00 \u22120600" in html
    assert "2019-03-04 18:00 UTC" in html


def test_long_quote_is_folded_and_signature_dimmed(client, casebook):
    html = html_of(client.get(f"/cases/message/{casebook['reply'].public_id}/"))
    assert '<details class="quote-fold"><summary>10 more quoted lines</summary>' in html
    assert '<div class="sig">-- \nBob</div>' in html


def test_hostile_message_is_escaped(client, casebook):
    html = html_of(client.get(f"/cases/message/{casebook['hostile'].public_id}/"))
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;subject&#x27;)&lt;/script&gt; &amp; more" in html
    assert "&lt;script&gt;alert('body')&lt;/script&gt;" in html
    assert '<a href="javascript' not in html
    assert "<img" not in html
    assert_clean(html)


def test_attachments_are_listed_with_type_size_and_link(client, casebook):
    attached = casebook["attached"]
    html = html_of(client.get(f"/cases/message/{attached.public_id}/"))
    url = reverse("attachment", args=["cases", attached.public_id, 0, "notes.pdf"])
    assert f'href="{url}"' in html
    assert "application/pdf" in html and "bytes" in html


def test_redacted_message_shows_only_its_removal(client, casebook):
    removed = casebook["removed"]
    html = html_of(client.get(f"/cases/message/{removed.public_id}/"))
    assert "This message was removed from the archive" in html
    assert "Secret" not in html
    month = html_of(client.get("/cases/2019-03/"))
    assert "Secret" not in month and "(message removed)" in month


def test_msgid_conflict_is_explained(client, fixture_archive):
    conflict = Message.objects.filter(msgid_conflict=True).select_related("mailing_list").first()
    assert conflict is not None, "the fixture archive has two messages sharing a Message-ID"
    html = html_of(client.get(f"/{conflict.mailing_list.name}/message/{conflict.public_id}/"))
    assert "same Message-ID" in html


def test_html_only_message_shows_its_text(client, fixture_archive):
    message = Message.objects.filter(body_source="text/html", redacted=False).select_related("mailing_list").first()
    if message is None:
        pytest.skip("no HTML-only message in the fixture archive")
    html = html_of(client.get(f"/{message.mailing_list.name}/message/{message.public_id}/"))
    assert '<div class="body"' in html
    assert_clean(html)


@pytest.mark.parametrize(
    "url",
    [
        "/cases/message/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/",
        "/cases/message/not-a-hash/",
        "/cases/message/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/",
        "/nosuchlist/message/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/",
        "/cases/thread/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/",
        "/nosuchlist/thread/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/",
        "/nosuchlist/",
        "/nosuchlist/2019-03/",
        "/listinfo/nosuchlist",
        "/Cases/",
    ],
)
def test_unknown_things_are_404(client, casebook, url):
    assert_404(client, url)


# --- thread page -------------------------------------------------------------------------------


def test_thread_page_nests_every_message(client, fixture_archive):
    mlist = fixture_archive["reading-circle"]
    thread = biggest_thread(mlist)
    html = html_of(client.get(f"/{mlist.name}/thread/{thread.public_id}/"))
    ids = re.findall(r'<li class="tm d\d+" id="m-([A-Z2-7]+)"', html)
    expected = list(Message.objects.filter(thread=thread).order_by("thread_order", "id").values_list("public_id", flat=True))
    assert ids == expected and len(ids) >= 200
    assert "<details open>" in html
    assert 'class="tm d10"' in html and 'class="deep"' in html  # deep replies capped at 10
    assert 'class="tm d11"' not in html
    assert_clean(html)


def test_merged_thread_id_redirects(client, casebook):
    from listhaven.archive.models import ThreadAlias

    thread = casebook["reply"].thread
    ThreadAlias.objects.create(mailing_list=casebook["list"], public_id="B" * 32, thread=thread)
    response = client.get(f"/cases/thread/{'B' * 32}/")
    assert response.status_code == 301
    assert response["Location"] == f"/cases/thread/{thread.public_id}/"


# --- redirects ---------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["{id}", "<{id}>", "%3C{id}%3E", "{id}/"])
def test_msgid_redirect(client, casebook, form):
    seed = casebook["seed"]
    response = client.get("/cases/msgid/" + form.format(id=seed.message_id))
    assert response.status_code == 301
    assert response["Location"] == f"/cases/message/{seed.public_id}/"


def test_unknown_msgid_is_a_helpful_404(client, casebook):
    html = assert_404(client, "/cases/msgid/%3Cnobody@nowhere.example%3E")
    assert "nobody@nowhere.example" in html or "nobody at nowhere.example" in html
    assert_404(client, "/cases/msgid/")


def test_pipermail_redirects(client, casebook):
    seed = casebook["seed"]
    cases = {
        "/pipermail/cases/": "/cases/",
        "/pipermail/cases/2019-March/": "/cases/2019-03/",
        "/pipermail/cases/2019-March/thread.html": "/cases/2019-03/",
        "/pipermail/cases/2019-March/date.html": "/cases/2019-03/?sort=date",
        "/pipermail/cases/2019-march/subject.html": "/cases/2019-03/?sort=subject",
        "/pipermail/cases/2019-March/author.html": "/cases/2019-03/?sort=author",
        f"/pipermail/cases/2014-August/{seed.archive_number:06d}.html": f"/cases/message/{seed.public_id}/",
        "/pipermail/cases/2014-August.txt.gz": reverse("month-text", args=["cases", "2014-August"]),
        "/pipermail/cases/2014-August.txt": reverse("month-text", args=["cases", "2014-August"]),
    }
    for old, new in cases.items():
        response = client.get(old)
        assert response.status_code == 301, old
        assert response["Location"] == new, old


def test_mailman_2_links_redirect(client, casebook):
    """What a Mailman 2 list's footers, List-* fields, private archive and bookmarks point at."""
    seed = casebook["seed"]
    cases = {
        "/mailman/listinfo/cases": "/listinfo/cases",
        "/mailman/listinfo/Cases/": "/listinfo/cases",  # Mailman 2 ignored the case of list names
        "/mailman/subscribe/cases": "/listinfo/cases",
        "/mailman/options/cases": "/cases/options/",
        "/mailman/options/cases/ann--at--example.org": "/cases/options/",
        "/mailman/admin/cases": "/manage/cases/",
        "/mailman/admin/cases/members/list": "/manage/cases/",
        "/mailman/admindb/cases": "/manage/cases/held/",
        "/mailman/private/cases/": "/cases/",
        "/mailman/private/cases/2019-March/date.html": "/cases/2019-03/?sort=date",
        f"/mailman/private/cases/2014-August/{seed.archive_number:06d}.html": f"/cases/message/{seed.public_id}/",
        "/mailman/listinfo": "/", "/mailman/listinfo/": "/", "/pipermail/": "/", "/mailman/admin/": "/manage/",
    }  # fmt: skip
    for old, new in cases.items():
        response = client.get(old)
        assert (response.status_code, response["Location"]) == (301, new), old
    for url in ("/mailman/listinfo/nosuchlist", "/mailman/options/nosuchlist", "/mailman/admin/nosuchlist",
                "/mailman/private/nosuchlist/2019-March/000001.html"):  # fmt: skip
        assert_404(client, url)


@pytest.mark.parametrize(
    "url",
    [
        "/pipermail/cases/2019-March/999999.html",
        "/pipermail/cases/2019-Smarch/date.html",
        "/pipermail/cases/2019-March/index.php",
        "/pipermail/cases/2019-Smarch.txt.gz",
        "/pipermail/nosuchlist/",
        "/pipermail/nosuchlist/2019-March/000001.html",
    ],
)
def test_bad_pipermail_links_are_404(client, casebook, url):
    assert_404(client, url)


# --- headers, static files, query counts -----------------------------------------------------


def test_pages_carry_a_strict_csp(client, casebook):
    response = client.get("/cases/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "object-src 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"


def test_static_files_are_served_with_caching(client):
    from listhaven.web.assets import find_asset

    asset = find_asset("listhaven/listhaven.css")
    assert asset is not None
    response = client.get(f"/static/listhaven/listhaven.css?v={asset.version}", HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "immutable" in response["Cache-Control"]
    assert response["Content-Type"].startswith("text/css")
    again = client.get("/static/listhaven/listhaven.css", HTTP_IF_NONE_MATCH=asset.etag)
    assert again.status_code == 304
    assert client.get("/static/listhaven/../../settings.py").status_code == 404
    assert client.get("/static/listhaven/nothing.css").status_code == 404


def test_pages_link_versioned_assets(client, fixture_archive):
    html = html_of(client.get("/"))
    assert re.search(r'href="/static/listhaven/listhaven\.css\?v=[0-9a-f]{12}"', html)
    assert re.search(r'<script src="/static/listhaven/listhaven\.js\?v=[0-9a-f]{12}" defer>', html)


def test_query_counts_are_small(client, fixture_archive, django_assert_max_num_queries):
    mlist = fixture_archive["reading-circle"]
    thread = biggest_thread(mlist)
    message = Message.objects.filter(thread=thread).order_by("thread_order")[40]
    pages = {
        f"/{mlist.name}/message/{message.public_id}/": 6,
        f"/{mlist.name}/thread/{thread.public_id}/": 4,
        f"/{mlist.name}/2019-03/": 2,
        f"/{mlist.name}/2019-03/?sort=author": 2,
        f"/{mlist.name}/": 2,
        "/": 2,  # the readable lists, then their messages and last posts (archive/month_counts.py)
    }
    for url, limit in pages.items():
        client.get(url)  # warm the page cache, as a running server has it
        with django_assert_max_num_queries(limit):
            assert client.get(url).status_code == 200


def test_a_new_message_shows_at_once_despite_the_caches(client, casebook):
    from tests.web.conftest import make_message, store

    before = html_of(client.get("/cases/2019-03/"))
    overview = html_of(client.get("/cases/"))
    store(casebook["list"], [make_message("late@example.org", subject="Arrived late", date="Fri, 29 Mar 2019 10:00:00 +0000")])
    casebook["list"].refresh_from_db()
    after = html_of(client.get("/cases/2019-03/"))
    assert "Arrived late" not in before and "Arrived late" in after
    assert after.count('<li class="d') == before.count('<li class="d') + 1
    assert html_of(client.get("/cases/")) != overview
