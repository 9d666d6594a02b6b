"""Pages that cost nothing twice: the server-side page cache, conditional GET and Cache-Control.

Every test goes through the whole middleware stack with Django's client and the real file-based
page cache of the settings; "hit" and "miss" are what the cache itself reports
(X-Listhaven-Cache). The point of most tests is the opposite of speed: after each kind of
change (a new message, a removal, a purge, a privacy or settings change) the page that was kept
must not be served again.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from listhaven.archive.models import Message, Thread
from listhaven.archive.redaction import purge, redact
from listhaven.archive.reindex import reindex_list
from listhaven.lists.directory import create_list
from listhaven.lists.members import add_member
from listhaven.lists.post import Role
from tests.web.conftest import make_message, settings_post, store

pytestmark = pytest.mark.django_db
CACHE = "X-Listhaven-Cache"


@pytest.fixture
def garden():
    mlist = create_list("garden@lists.example.org", display_name="Garden", subject_tag="[Garden]")
    store(mlist, [
        make_message("root@example.org", "Tomatoes in pots", "Do they need deep pots?\n",
                     sender="Ann Example <ann@example.org>", date="Mon, 04 Mar 2019 10:00:00 +0000"),
        make_message("reply@example.org", "Re: Tomatoes in pots", "Yes, at least 30 cm.\n",
                     sender="Bob Example <bob@example.org>", date="Tue, 05 Mar 2019 10:00:00 +0000",
                     refs=("root@example.org",)),
    ])  # fmt: skip
    return mlist


def pages(mlist) -> dict[str, str]:
    root = Message.objects.get(mailing_list=mlist, message_id="root@example.org")
    thread = Thread.objects.get(pk=root.thread_id)
    return {
        "overview": f"/{mlist.name}/",
        "month": f"/{mlist.name}/2019-03/",
        "month by date": f"/{mlist.name}/2019-03/?sort=date",
        "thread": f"/{mlist.name}/thread/{thread.public_id}/",
        "message": f"/{mlist.name}/message/{root.public_id}/",
        "feed": f"/{mlist.name}/feed.atom",
    }


def warm(client: Client, urls) -> None:
    """Each page asked twice: rendered and kept, then answered from the cache."""
    for url in urls:
        first, second = client.get(url), client.get(url)
        assert (first.status_code, second.status_code) == (200, 200), url
        assert first.get(CACHE) == "miss" and second.get(CACHE) == "hit", url
        assert first.content == second.content, url


def test_a_public_page_is_rendered_once_then_served_whole_from_the_cache(garden, client):
    urls = pages(garden)
    warm(client, urls.values())
    hit = client.get(urls["thread"])
    assert "Do they need deep pots?" in hit.content.decode()
    # the kept response is the stack's whole answer, with the security headers every answer gets
    assert hit["Content-Security-Policy"].startswith("default-src 'self'")
    assert hit["X-Frame-Options"] == "DENY" and hit["ETag"] and hit["Last-Modified"]
    assert hit["Cache-Control"] == "public, no-cache"


def test_a_page_kept_from_a_plain_http_request_still_asks_https_readers_for_https(garden, client, settings):
    """On an https:// site every answer carries Strict-Transport-Security. A page first rendered for
    a request that came over plain HTTP (a health check on 127.0.0.1, with no X-Forwarded-Proto) is
    kept all the same; the HTTPS readers it is then served to must get the header too."""
    settings.SECURE_HSTS_SECONDS = 31536000  # as settings.py sets it for an https:// LISTHAVEN_SITE_URL
    url = pages(garden)["thread"]
    first = client.get(url)
    hit = client.get(url, secure=True)
    assert (first.get(CACHE), hit.get(CACHE)) == ("miss", "hit")
    assert hit["Strict-Transport-Security"] == "max-age=31536000"


def test_a_304_on_an_https_site_carries_hsts_as_its_200_does(garden, client, settings):
    """A reader whose copy is current is answered 304 Not Modified: by the conditional GET middleware
    (a rendered page, a page from the cache), by a download's own check, by the WSGI front. Each of
    those answers carries Strict-Transport-Security like the 200 did; the 304 that ConditionalGetMiddleware
    builds from the page keeps only RFC 9110's headers, and the header was added below it, so it was lost.
    A 304 does not carry the site's default CSP: its headers replace the kept copy's, and a download's
    sandbox policy must stay."""
    settings.SECURE_HSTS_SECONDS = 31536000  # as settings.py sets it for an https:// LISTHAVEN_SITE_URL
    hsts = "max-age=31536000"
    message = Message.objects.get(mailing_list=garden, message_id="root@example.org")
    for url in (pages(garden)["thread"], pages(garden)["feed"], f"/{garden.name}/message/{message.public_id}/raw"):
        first = client.get(url, secure=True)
        assert first.status_code == 200 and first["Strict-Transport-Security"] == hsts, url
        for asked in ({"HTTP_IF_NONE_MATCH": first["ETag"]}, {"HTTP_IF_MODIFIED_SINCE": first["Last-Modified"]}):
            again = client.get(url, secure=True, **asked)
            assert again.status_code == 304, (url, asked)
            assert again["Strict-Transport-Security"] == hsts, (url, asked, again.headers)
            assert "Content-Security-Policy" not in again, (url, asked)
    raw = client.get(f"/{garden.name}/message/{message.public_id}/raw", secure=True)
    assert raw["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_a_site_on_http_sends_no_hsts(garden, client, settings):
    assert settings.SECURE_HSTS_SECONDS == 0  # the tests' site is http://127.0.0.1:8000
    assert "Strict-Transport-Security" not in client.get(pages(garden)["thread"], secure=True)


def test_conditional_get_answers_304_from_etag_and_from_date(garden, client):
    url = pages(garden)["thread"]
    first = client.get(url)
    by_tag = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    by_date = client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert by_tag.status_code == 304 and by_tag.content == b"" and by_tag["ETag"] == first["ETag"]
    assert by_date.status_code == 304
    assert client.get(url, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200


def test_a_new_message_shows_at_once_on_every_page(garden, client):
    urls = pages(garden)
    warm(client, urls.values())
    before = {name: client.get(url) for name, url in urls.items()}
    store(garden, [make_message("late@example.org", "Re: Tomatoes in pots", "Mine grow in buckets.\n",
                                sender="Cid Example <cid@example.org>", date="Wed, 06 Mar 2019 10:00:00 +0000",
                                refs=("root@example.org", "reply@example.org"))])  # fmt: skip
    for name in ("overview", "month", "month by date", "thread", "message", "feed"):
        after = client.get(urls[name])
        assert after.get(CACHE) == "miss", name
        assert "Cid Example" in after.content.decode(), name
        # a client holding the old page must not be told it is current
        assert client.get(urls[name], HTTP_IF_NONE_MATCH=before[name]["ETag"]).status_code == 200, name


def test_a_removed_message_leaves_every_kept_page(garden, client):
    urls = pages(garden)
    warm(client, urls.values())
    redact(Message.objects.get(message_id="reply@example.org"), "asked by the author")
    for name in ("overview", "month", "thread", "message", "feed"):
        text = client.get(urls[name]).content.decode()
        assert "at least 30 cm" not in text and "Bob Example" not in text, name
    reply = Message.objects.with_hidden().get(message_id="reply@example.org")
    assert "was removed" in client.get(f"/garden/message/{reply.public_id}/").content.decode()


def test_a_purged_message_is_gone_not_served_from_the_cache(garden, client):
    reply = Message.objects.get(message_id="reply@example.org")
    url = f"/garden/message/{reply.public_id}/"
    warm(client, [url, pages(garden)["thread"]])
    purge(reply, "court order")
    assert client.get(url).status_code == 410
    assert "at least 30 cm" not in client.get(pages(garden)["thread"]).content.decode()


def _owner(mlist, django_user_model) -> Client:
    """A browser signed in as an owner of the list."""
    add_member(mlist, "owner@example.org", role=Role.OWNER)
    owner = Client()
    owner.force_login(django_user_model.objects.create_user(username="owner@example.org", email="owner@example.org"))
    return owner


def test_a_list_made_private_answers_404_to_strangers_at_once(garden, client, django_user_model):
    urls = pages(garden)
    warm(client, urls.values())
    owner = _owner(garden, django_user_model)
    assert owner.post("/manage/garden/settings/", settings_post(garden, archive_policy="members")).status_code == 302
    for name, url in urls.items():
        assert client.get(url).status_code == 404, name


def test_a_privacy_change_by_any_writer_is_seen_even_without_a_version_bump(garden, client):
    """The policy is read with the key on every request: a change made around the services (a
    script, SQL) still closes the list at once; a list that is not public is never answered from the cache."""
    urls = pages(garden)
    warm(client, urls.values())
    garden.archive_policy = "members"
    garden.save(update_fields=["archive_policy"])
    for name, url in urls.items():
        assert client.get(url).status_code == 404, name


def test_a_settings_change_shows_on_the_pages(garden, client, django_user_model):
    urls = pages(garden)
    warm(client, urls.values())
    owner = _owner(garden, django_user_model)
    data = settings_post(garden, display_name="Allotment Friends", obfuscate_addresses="on")
    assert owner.post("/manage/garden/settings/", data).status_code == 302
    for name in ("overview", "month", "thread", "message"):
        assert "Allotment Friends" in client.get(urls[name]).content.decode(), name
    assert "ann at example.org" in client.get(urls["message"]).content.decode()
    data.pop("obfuscate_addresses")
    assert owner.post("/manage/garden/settings/", data).status_code == 302
    text = client.get(urls["message"]).content.decode()
    assert "ann at example.org" not in text and "ann@example.org" in text


def test_reindex_makes_new_keys(garden, client):
    urls = pages(garden)
    warm(client, [urls["thread"]])
    reindex_list(garden)
    assert client.get(urls["thread"]).get(CACHE) == "miss"


def test_a_signed_in_reader_gets_their_own_page_and_it_is_never_kept(garden, client, django_user_model):
    url = pages(garden)["message"]
    reader = Client()
    reader.force_login(django_user_model.objects.create_user(username="ann@example.org", email="ann@example.org"))
    for _ in range(2):
        mine = reader.get(url)
        assert mine.status_code == 200 and CACHE not in mine
        assert mine["Cache-Control"] == "private, no-cache" and "Cookie" in mine["Vary"]
    # nothing of theirs was kept: the first anonymous request renders
    assert client.get(url).get(CACHE) == "miss"
    warm(client, [pages(garden)["thread"]])
    assert CACHE not in reader.get(pages(garden)["thread"])  # and a kept page is not theirs either


def test_the_footer_offers_sign_in_to_strangers_and_sign_out_to_a_signed_in_reader(garden, client, django_user_model):
    """A stranger's kept page offers "Sign in" and sets no cookie (so it stays kept); a signed-in
    reader's names their address and links to their lists and to the sign-out page (a link: a
    form's CSRF token would make every page of theirs differ at each request)."""
    url = pages(garden)["thread"]
    warm(client, [url])
    kept = client.get(url)
    footer = kept.content.decode().split('<footer class="site">')[1]
    assert 'href="/accounts/login/">Sign in</a>' in footer and "Sign out" not in footer and "Signed in as" not in footer
    assert not kept.cookies and "csrfmiddlewaretoken" not in footer
    reader = Client()
    reader.force_login(django_user_model.objects.create_user(username="ann@example.org", email="ann@example.org"))
    footer = reader.get(url).content.decode().split('<footer class="site">')[1]
    assert "Sign in</a>" not in footer
    assert 'href="/accounts/">Your lists</a>' in footer and "Signed in as" in footer and "ann@example.org" in footer
    assert 'href="/accounts/logout/">Sign out</a>' in footer and "csrfmiddlewaretoken" not in footer
    assert reader.post("/accounts/logout/").status_code == 302
    assert "Sign in</a>" in reader.get(url).content.decode().split('<footer class="site">')[1]


def test_a_private_list_is_never_kept_and_never_public(client, django_user_model):
    secret = create_list("secret@lists.example.org", display_name="Secret", private=True)
    store(secret, [make_message("s1@example.org", "Plans", "The plans.\n", to="secret@lists.example.org",
                                date="Mon, 04 Mar 2019 10:00:00 +0000")])  # fmt: skip
    add_member(secret, "member@example.org", role=Role.MEMBER)
    member = Client()
    member.force_login(django_user_model.objects.create_user(username="member@example.org", email="member@example.org"))
    message = Message.objects.get(mailing_list=secret)
    urls = [*pages_of_private(secret, message), f"/secret/message/{message.public_id}/raw", "/secret/2019-03.mbox.gz"]
    for url in urls:
        assert client.get(url).status_code == 404, url
        for _ in range(2):
            response = member.get(url)
            assert response.status_code == 200 and CACHE not in response, url
            assert response["Cache-Control"] == "private, no-cache", url
        again = member.get(url, HTTP_IF_NONE_MATCH=response["ETag"])
        assert again.status_code == 304 and "public" not in again["Cache-Control"], url


def pages_of_private(mlist, message):
    thread = Thread.objects.get(pk=message.thread_id)
    return [f"/{mlist.name}/", f"/{mlist.name}/2019-03/", f"/{mlist.name}/thread/{thread.public_id}/",
            f"/{mlist.name}/message/{message.public_id}/", f"/{mlist.name}/feed.atom"]  # fmt: skip


def test_made_up_query_parameters_are_not_kept(garden, client):
    url = pages(garden)["message"] + "?utm=1"
    assert CACHE not in client.get(url) and CACHE not in client.get(url)


def test_a_session_cookie_skips_the_cache(garden, client):
    url = pages(garden)["overview"]
    warm(client, [url])
    client.cookies["sessionid"] = "not-a-session"
    assert CACHE not in client.get(url)


def test_what_does_not_change_is_cached_long_on_public_lists_only(garden, client, settings):
    long = f"public, max-age={settings.IMMUTABLE_MAX_AGE}"
    root = Message.objects.get(message_id="root@example.org")
    reply = Message.objects.get(message_id="reply@example.org")
    assert client.get(f"/garden/message/{root.public_id}/raw")["Cache-Control"] == long
    assert client.get(f"/garden/message/{root.public_id}/mbox")["Cache-Control"] == long
    assert client.get("/garden/2019-03.mbox.gz")["Cache-Control"] == long  # a month long closed
    assert client.get("/garden/2019-March.txt.gz")["Cache-Control"] == long
    # the thread is years old and the root has a later message: its page will not change
    assert client.get(f"/garden/message/{root.public_id}/")["Cache-Control"] == long
    # the last message's "next" link is still to come
    assert client.get(f"/garden/message/{reply.public_id}/")["Cache-Control"] == "public, no-cache"
    assert client.get("/garden/all.mbox.gz")["Cache-Control"] != long
    garden.archive_policy = "members"
    garden.save(update_fields=["archive_policy"])
    add_member(garden, "member@example.org", role=Role.MEMBER)
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_user(username="member@example.org", email="member@example.org"))
    for url in (f"/garden/message/{root.public_id}/raw", f"/garden/message/{root.public_id}/", "/garden/2019-03.mbox.gz"):
        assert client.get(url)["Cache-Control"] == "private, no-cache", url


def test_a_recent_thread_and_the_current_month_are_not_cached_long(client, settings):
    fresh = create_list("fresh@lists.example.org")
    now = timezone.now()
    stamp = lambda d: d.strftime("%a, %d %b %Y %H:%M:%S +0000")  # noqa: E731
    store(fresh, [
        make_message("f1@example.org", "New", "One.\n", to="fresh@lists.example.org", date=stamp(now - timedelta(hours=2))),
        make_message("f2@example.org", "Re: New", "Two.\n", to="fresh@lists.example.org", date=stamp(now - timedelta(hours=1)),
                     refs=("f1@example.org",)),
    ])  # fmt: skip
    first = Message.objects.get(message_id="f1@example.org")
    assert client.get(f"/fresh/message/{first.public_id}/")["Cache-Control"] == "public, no-cache"
    # The month the newest message is in (just after midnight on the 1st that is last month, still open).
    month = (now - timedelta(hours=1)).strftime("%Y-%m")
    assert client.get(f"/fresh/{month}.mbox.gz")["Cache-Control"] != f"public, max-age={settings.IMMUTABLE_MAX_AGE}"


# ---------------------------------------------------------------- the WSGI front (site/wsgi.py)


def wsgi_get(path: str, query: str = "", method: str = "GET", **headers: str) -> tuple[str, dict[str, str], bytes]:
    """One request through the site's real WSGI application, as gunicorn makes it."""
    import io
    import sys

    from listhaven.site.wsgi import application

    environ = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query, "SCRIPT_NAME": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "HTTP_HOST": "127.0.0.1", "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": io.BytesIO(b""), "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
        **{"HTTP_" + k.upper(): v for k, v in headers.items()},
    }  # fmt: skip
    answered: list = []
    chunks = application(environ, lambda status, hdrs, exc=None: answered.append((status, dict(hdrs))))
    body = b"".join(chunks)
    getattr(chunks, "close", lambda: None)()
    return answered[0][0], answered[0][1], body


@pytest.mark.django_db(transaction=True)  # each request starts as gunicorn's do: outside a test transaction
def test_the_wsgi_front_answers_kept_pages_before_django_and_304s(garden):
    url = pages(garden)["thread"]
    status, first, body = wsgi_get(url)
    assert status == "200 OK" and first[CACHE] == "miss"
    status, again, same = wsgi_get(url)
    assert status == "200 OK" and again[CACHE] == "hit" and same == body
    assert {k: v for k, v in again.items() if k != CACHE} == {k: v for k, v in first.items() if k != CACHE}
    status, headers, empty = wsgi_get(url, if_none_match=first["ETag"])
    assert status == "304 Not Modified" and empty == b"" and headers["ETag"] == first["ETag"]
    assert "Content-Security-Policy" not in headers and headers["Cache-Control"] == "public, no-cache"
    status, headers, empty = wsgi_get(url, method="HEAD")
    assert status == "200 OK" and empty == b"" and headers["Content-Length"] == str(len(body))


@pytest.mark.django_db(transaction=True)  # each request starts as gunicorn's do: outside a test transaction
def test_the_wsgi_fronts_answers_on_an_https_site_carry_hsts_304_included(garden, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    url = pages(garden)["thread"]
    status, first, _ = wsgi_get(url)
    assert status == "200 OK" and first[CACHE] == "miss" and first["Strict-Transport-Security"] == "max-age=31536000"
    status, hit, _ = wsgi_get(url)
    assert status == "200 OK" and hit[CACHE] == "hit" and hit["Strict-Transport-Security"] == "max-age=31536000"
    assert hit["Content-Security-Policy"] == first["Content-Security-Policy"]
    status, headers, _ = wsgi_get(url, if_none_match=first["ETag"])
    assert status == "304 Not Modified" and headers["Strict-Transport-Security"] == "max-age=31536000", headers
    # The kept page follows the site's setting of the moment: an operator who turns HSTS off is obeyed at once.
    settings.SECURE_HSTS_SECONDS = 0
    status, hit, _ = wsgi_get(url)
    assert hit[CACHE] == "hit" and "Strict-Transport-Security" not in hit
    assert "Strict-Transport-Security" not in wsgi_get(url, if_none_match=first["ETag"])[1]


@pytest.mark.django_db(transaction=True)  # each request starts as gunicorn's do: outside a test transaction
def test_the_wsgi_front_is_never_stale_and_never_answers_a_session(garden):
    urls = pages(garden)
    for url in (urls["overview"], urls["thread"]):
        wsgi_get(url)
        assert wsgi_get(url)[1][CACHE] == "hit"
    store(garden, [make_message("late@example.org", "Re: Tomatoes in pots", "Buckets.\n",
                                sender="Cid Example <cid@example.org>", date="Wed, 06 Mar 2019 10:00:00 +0000",
                                refs=("root@example.org",))])  # fmt: skip
    for url in (urls["overview"], urls["thread"]):
        _, headers, body = wsgi_get(url)
        assert headers[CACHE] == "miss" and b"Cid Example" in body
    _, headers, _ = wsgi_get(urls["thread"], cookie="csrftoken=x; sessionid=abc")
    assert CACHE not in headers
    redact(Message.objects.get(message_id="late@example.org"))
    _, headers, body = wsgi_get(urls["thread"])
    assert headers[CACHE] == "miss" and b"Buckets." not in body
    garden.archive_policy = "owners"
    garden.save(update_fields=["archive_policy"])
    assert wsgi_get(urls["thread"])[0].startswith("404")
