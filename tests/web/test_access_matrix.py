"""Who may read what: every URL pattern of the site, for every kind of reader, on a public, a
members-only and an owners-only list.

The patterns are ENUMERATED from the resolver, so a URL added tomorrow is checked the day it is
added: a per-list pattern (one naming a list) must answer a reader who may not read the list
exactly as it answers for a list that does not exist (404, same body); a pattern that names no
list must be listed in SITE_WIDE with the reason it needs no per-list check.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from listhaven.archive.models import Attachment, Message
from listhaven.lists.models import Member
from tests.web.conftest import attachment_message, make_message, store

SECRET = "walrus"  # + the list's name: in every message of that list, nowhere else
POLICIES = {"public": "open", "members": "club", "owners": "board"}
READERS = ("anonymous", "non-member", "member", "moderator", "owner", "site admin")
MAY_READ = {
    "public": set(READERS),
    "members": {"member", "moderator", "owner", "site admin"},
    "owners": {"owner", "site admin"},
}
# Patterns that name no list, with why no per-list check applies. Listings among them (the
# index, search, the API's list index) are checked below for what they leak.
SITE_WIDE = {
    "": "the index: lists only what the reader may read (test_listings_name_only_readable_lists)",
    "search": "site-wide search over readable lists only (test_listings_name_only_readable_lists)",
    "search/help": "static help text",
    "robots.txt": "the same for everyone; names no list",
    "sitemap.xml": "public lists only, whoever asks (test_the_sitemap_names_public_lists_only)",
    "api/": "the API's root: links only",
    "api/openapi.json": "the API's description",
    "api/lists": "the API's list index (test_listings_name_only_readable_lists)",
    "api/manage/lists": "the lists the token's account owns or moderates (access.managed_lists; test_api_manage)",
    r"api/^(?P<rest>(?s:.*))$": "the API's 404 for unknown paths",
    "pipermail/": "301 to the index (Pipermail's own list of archives)",
    "^mailman/listinfo/?$": "301 to the index (Mailman 2's list of lists)",
    "^mailman/admin/?$": "301 to /manage/ (Mailman 2's list of lists to administer)",
    "manage/outbox/": "site administrators only (access.require_site_administrator)",
    "manage/outbox/<str:key>/": "site administrators only",
    "manage/outbox/<str:key>/raw": "site administrators only",
    "manage/": "the lists this user moderates or owns (access.managed_lists)",
    "manage/lists/new/": "site administrators only",
    "manage/quarantine/": "site administrators only",
    "manage/erase/": "site administrators only (erasing an address)",
    "confirm/<str:token>": "the token names the list; an unknown token is 404 whatever the list",
    "accounts/login/": "signing in", "accounts/logout/": "signing out",
    "accounts/password_reset/": "signing in", "accounts/password_reset/done/": "signing in",
    "accounts/reset/<uidb64>/<token>/": "signing in", "accounts/reset/done/": "signing in",
    "accounts/": "the signed-in person's own lists: Member rows of their address, archive and manage links as access.py allows",
    "accounts/data.json": "the signed-in person's own data (their address; addresses proven by a mailed link)",
    "accounts/delete/": "deletes the signed-in account, nothing else",
    "accounts/api-token/": "the signed-in account's own API token",
    "accounts/link/": "signing in by a mailed link", "accounts/link/<uidb64>/<token>/": "signing in by a mailed link",
}  # fmt: skip
# Per-list patterns whose answer to a reader depends on more than reading (owners' pages, links
# carrying a token the test does not have): only the non-readers' answer is checked for them.
NOT_FOR_EVERY_READER = ("manage/", "<str:token>")
# A member's own subscription page: a member (here by their account) reaches it whatever the archive policy,
# since leaving and changing delivery must not depend on reading the archive (web/access.py get_list_by_proof).
OWN_SUBSCRIPTION = ("<list:list_name>/options/",)
ON_THE_ROSTER = ("member",)
# Who runs a list whose archive they may not read: its moderators where only owners read the archive
# (access.may_see_manage_pages). The owners' and moderators' pages and API let them in (what each page
# needs is then a 403 or not), and everything else of the list stays as for a list that does not exist.
RUNS_WITHOUT_READING = {"owners": {"moderator"}}
MANAGE = ("manage/", "api/manage/")  # find_member: the roster of members (moderators and owners hold other rows)
# re_path patterns: the URL to try for each, {list} standing for the list's short name.
REGEX_SAMPLES = {
    r"^pipermail/(?P<list_name>[\w.-]+)/(?P<period>[^/]+)/(?P<page>[^/]*)$": [
        "/pipermail/{list}/2019-March/", "/pipermail/{list}/2019-March/{number}.html",
    ],
    r"^pipermail/(?P<list_name>[\w.-]+)/(?P<archive_file>[^/]+\.txt(?:\.gz)?)$": ["/pipermail/{list}/2019-March.txt.gz"],
    r"^mailman/private/(?P<list_name>[\w.-]+)/(?P<period>[^/]+)/(?P<page>[^/]*)$": [
        "/mailman/private/{list}/2019-March/", "/mailman/private/{list}/2019-March/{number}.html",
    ],
    r"^mailman/private/(?P<list_name>[\w.-]+)/(?P<archive_file>[^/]+\.txt(?:\.gz)?)$": [
        "/mailman/private/{list}/2019-March.txt.gz",
    ],
    **{
        rf"^{prefix}/(?P<list_name>[\w.-]+)/attachments/(?P<day>\d{{8}})/(?P<digest>[0-9a-fA-F]{{8}})/"
        r"(?P<filename>[^/]+)$": [f"/{prefix}/{{list}}/{{scrubbed}}/notes.pdf"]
        for prefix in ("pipermail", "mailman/private")
    },
    r"^mailman/(?:listinfo|subscribe)/(?P<list_name>[\w.-]+)/?$": ["/mailman/listinfo/{list}", "/mailman/subscribe/{list}"],
    r"^mailman/options/(?P<list_name>[\w.-]+)(?:/[^/]*)?/?$": ["/mailman/options/{list}", "/mailman/options/{list}/ann--at--example.org"],
    r"^mailman/admin/(?P<list_name>[\w.-]+)(?:/[\w/]*)?$": ["/mailman/admin/{list}", "/mailman/admin/{list}/members/list"],
    r"^mailman/admindb/(?P<list_name>[\w.-]+)/?$": ["/mailman/admindb/{list}"],
    r"^(?P<list_name>[\w.-]+)/(?P<period>\d{4}-[A-Za-z]+)\.txt\.gz$": ["/{list}/2019-March.txt.gz"],
    r"^(?P<address>[^/@]+@[^/@]+)/(?P<rest>.*)$": ["/{address}/", "/{address}/2019-03/"],
    **{
        f"^{prefix}/list/(?P<address>[^/@\\s]+@[^/@\\s]+){tail}": [f"/{prefix}/list/{{address}}/{url}"]
        for prefix in ("hyperkitty", "archives")
        for tail, url in (
            ("/$", ""),
            (r"/(?P<year>\d{4})/(?P<month>\d{1,2})/(?:(?P<day>\d{1,2})/)?$", "2019/3/"),
            ("/message/(?P<message_hash>[A-Z2-7]{32})/$", "message/{message}/"),
            ("/thread/(?P<thread_id>[A-Z2-7]{32})/$", "thread/{thread}/"),
            (r"/message/(?P<message_hash>[A-Z2-7]{32})/attachment/(?P<counter>\d+)/(?P<filename>[^/]+)$",
             "message/{message}/attachment/2/notes.pdf"),
        )
    },
}
CONVERTER = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>[^>]+)>")


def _patterns(resolvers=None, prefix: str = "") -> list[str]:
    """Every pattern of the URL map as its route (or regex), prefixes joined."""
    found = []
    for entry in resolvers if resolvers is not None else get_resolver().url_patterns:
        text = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if text == "admin/":
                continue  # Django's own admin: staff only, behind its login
            found += _patterns(entry.url_patterns, text)
        elif isinstance(entry, URLPattern):
            found.append(text)
    return found


def _samples(pattern: str, mlist, message: Message, attachment: int) -> list[str]:
    values = {
        "list_name": mlist.name, "month": "2019-03", "message_hash": message.public_id,
        "thread_id": message.thread.public_id, "index": str(attachment), "filename": "notes.pdf",
        "message_id": message.message_id, "held_id": "1", "member_id": "1", "request_id": "1", "ban_id": "1", "token": "0" * 32,
        "name": "welcome",
    }  # fmt: skip
    if pattern in REGEX_SAMPLES:
        digest = hashlib.sha1(f"<{message.message_id}>".encode()).hexdigest()  # where Pipermail kept its files
        day = (message.date + timedelta(minutes=message.utc_offset)).strftime("%Y%m%d")
        fill = {"list": mlist.name, "address": mlist.address, "number": message.archive_number,
                "message": message.public_id, "thread": message.thread.public_id,
                "scrubbed": f"attachments/{day}/{digest[:4]}{digest[-4:]}"}  # fmt: skip
        return [url.format(**fill) for url in REGEX_SAMPLES[pattern]]
    if "^" in pattern or "(?P" in pattern:
        raise AssertionError(f"new regex URL pattern {pattern!r}: add a sample URL to REGEX_SAMPLES")
    return ["/" + CONVERTER.sub(lambda m: values[m.group("name")], pattern)]


def _per_list(pattern: str) -> bool:
    return "list_name" in pattern or "address" in pattern


@pytest.fixture
def site(db, django_user_model):
    from listhaven.lists.directory import create_list

    lists = {}
    for policy, name in POLICIES.items():
        mlist = create_list(f"{name}@lists.example.org", archive_policy=policy)
        secret = SECRET + name
        store(mlist, [
            make_message(f"first-{name}@example.org", subject=f"Hello {secret}", body=f"{secret}\n"),
            attachment_message(),
        ])  # fmt: skip
        lists[policy] = mlist
    clients = {"anonymous": Client()}
    for reader in READERS[1:]:
        address = reader.replace(" ", "-") + "@people.example"
        user = django_user_model.objects.create_user(address, email=address, is_staff=reader == "site admin")
        for mlist in lists.values():
            if reader in ("member", "moderator", "owner"):
                Member.objects.create(mailing_list=mlist, address=address, role=reader)
        client = Client()
        client.force_login(user)
        clients[reader] = client
    return lists, clients


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_every_pattern_is_either_per_list_or_explained():
    patterns = _patterns()
    unexplained = [p for p in patterns if not _per_list(p) and p not in SITE_WIDE]
    assert not unexplained, f"URL patterns naming no list, without a reason in SITE_WIDE: {unexplained}"
    assert len([p for p in patterns if _per_list(p)]) >= 20


def _same_as_missing(client, method: str, url: str, missing_url: str, mlist, where) -> None:
    """`url` (of a list this client may not read) answers `method` exactly as `missing_url` does."""
    response = getattr(client, method)(url)
    missing = getattr(client, method)(missing_url)
    where = (*where, method.upper(), response.status_code, missing.status_code)
    assert response.status_code == missing.status_code, where
    if method in ("get", "head"):  # 404; the owners' pages send the signed-out to sign in
        assert response.status_code == 404 or (where[2].startswith("manage/") and response.status_code == 302) or (
            where[2].startswith("api/manage/") and response.status_code == 401  # a token first, whatever the list
        ), where
    # Not always 404: a method no URL of that shape accepts is refused (405) before any list is
    # looked up, and the owners' pages send the signed-out to sign in; the same for both lists.
    location = response.get("Location", "").replace(mlist.name, "X")
    assert location == missing.get("Location", "").replace("nosuchlist", "X"), where
    same = _body(response).replace(mlist.name.encode(), b"X").replace(b"nosuchlist", b"X")
    assert same == _body(missing).replace(b"nosuchlist", b"X").replace(mlist.name.encode(), b"X"), where
    assert response.get("Allow") == missing.get("Allow"), where
    assert (SECRET + mlist.name).encode() not in _body(response), where


# The methods a client may send (DELETE, PATCH and OPTIONS take the paths PUT takes): a list the
# reader may not read answers each as a list that does not exist (a 405 for one and a 404 for the
# other would tell that it exists). The test client skips the CSRF check, as a visitor holding a
# valid CSRF cookie would.
METHODS = ("get", "head", "post", "put")


def test_every_per_list_url_for_every_reader_and_policy(site):
    lists, clients = site
    checked = 0
    for policy, mlist in lists.items():
        message = Message.objects.select_related("thread").get(mailing_list=mlist, message_id="attached@example.org")
        attachment = Attachment.objects.get(message=message)
        for pattern in filter(_per_list, _patterns()):
            for url in _samples(pattern, mlist, message, attachment.index):
                missing_url = url.replace(mlist.address, "nosuchlist@lists.example.org").replace(mlist.name, "nosuchlist")
                for reader, client in clients.items():
                    where = (policy, reader, pattern, url)
                    if reader not in MAY_READ[policy] and pattern in OWN_SUBSCRIPTION and reader in ON_THE_ROSTER:
                        response = client.get(url)
                        assert response.status_code == 200 and "private" in response.get("Cache-Control", ""), where
                        assert (SECRET + mlist.name).encode() not in _body(response), where
                        checked += 1
                        continue
                    if reader in RUNS_WITHOUT_READING.get(policy, ()) and pattern.startswith(MANAGE):
                        response = client.get(url)
                        # in, whatever the page then says (401: the API wants a token, not this session; 404 for
                        # a held post or member the list has not, never the missing list's 404)
                        assert response.status_code in (200, 302, 400, 401, 403, 404, 405), (*where, response.status_code)
                        if response.status_code == 404:
                            assert b"No list named" not in _body(response), where
                        assert "private" in response.get("Cache-Control", ""), where
                        checked += 1
                        continue
                    if reader not in MAY_READ[policy]:
                        for method in METHODS:
                            _same_as_missing(client, method, url, missing_url, mlist, where)
                        checked += 1
                        continue
                    response = client.get(url)
                    where = (*where, response.status_code)
                    assert response.status_code < 500, where
                    if any(part in pattern for part in NOT_FOR_EVERY_READER):
                        continue
                    assert client.head(url).status_code == response.status_code, where
                    assert response.status_code != 404, where
                    if policy != "public":
                        cache = response.get("Cache-Control", "")
                        assert "public" not in cache and "private" in cache, where
                    checked += 1
    assert checked > 3 * len(READERS) * 20


def test_listings_name_only_readable_lists(site):
    lists, clients = site
    listings = ("/", "/api/lists", "/search?q=hello", "/search?q=notes", "/search?q=hello&sort=date", "/api/lists?page=1")
    for reader, client in clients.items():
        for url in listings:
            text = _body(client.get(url)).decode()
            for policy, mlist in lists.items():
                shown = f"/{mlist.name}/" in text or f'"{mlist.name}"' in text
                if reader not in MAY_READ[policy]:
                    assert not shown and SECRET + mlist.name not in text, (reader, url, policy)
        index = _body(client.get("/")).decode()
        for policy, mlist in lists.items():
            assert (f"/{mlist.name}/" in index) == (reader in MAY_READ[policy]), (reader, policy)


def test_public_pages_for_anonymous_readers_may_be_cached_by_anyone(site):
    lists, clients = site
    response = clients["anonymous"].get(f"/api/lists/{lists['public'].name}")
    assert response.status_code == 200 and response["Cache-Control"].startswith("public")


def test_lists_with_the_same_local_part_get_distinct_names_and_their_addresses_redirect(db):
    from listhaven.lists.directory import create_list

    one = create_list("ltp@lists.linux.it")
    two = create_list("ltp@lists.example.org")
    assert one.name != two.name
    client = Client()
    for mlist in (one, two):
        store(mlist, [make_message(f"m@{mlist.address}", subject=f"For {mlist.address}")])
        response = client.get(f"/{mlist.address}/2019-03/?sort=date")
        assert response.status_code == 301 and response["Location"] == f"/{mlist.name}/2019-03/?sort=date"
        page = client.get(response["Location"])
        assert page.status_code == 200 and f"For {mlist.address}" in page.content.decode()
    assert client.get("/LTP@Lists.Linux.IT/")["Location"] == f"/{one.name}/"
    assert client.get("/nobody@lists.linux.it/").status_code == 404


def test_the_sitemap_names_public_lists_only(site):
    lists, clients = site
    for reader, client in clients.items():
        index = _body(client.get("/sitemap.xml")).decode()
        assert f"/{lists['public'].name}/sitemap.xml" in index, reader
        for policy in ("members", "owners"):
            assert f"/{lists[policy].name}/" not in index, (reader, policy)  # even for those who may read it
    listed = _body(clients["anonymous"].get(f"/{lists['public'].name}/sitemap.xml")).decode()
    thread = Message.objects.filter(mailing_list=lists["public"]).select_related("thread").first().thread
    assert f"/{lists['public'].name}/thread/{thread.public_id}/" in listed and "/2019-03/" in listed
    robots = _body(clients["anonymous"].get("/robots.txt")).decode()
    assert "Sitemap: http://testserver/sitemap.xml" in robots and "Disallow: /manage/" in robots


def test_pages_of_non_public_lists_tell_search_engines_to_keep_out(site):
    lists, clients = site
    for policy, mlist in lists.items():
        for url in (f"/{mlist.name}/", f"/{mlist.name}/feed.atom", f"/api/lists/{mlist.name}",
                    f"/hyperkitty/list/{mlist.address}/", f"/archives/list/{mlist.address}/2019/3/", f"/{mlist.address}/",
                    f"/pipermail/{mlist.name}/"):  # fmt: skip
            response = clients["owner"].get(url)
            assert response.status_code in (200, 301), (policy, url)
            assert ("noindex" in response.get("X-Robots-Tag", "")) == (policy != "public"), (policy, url)
        page = _body(clients["owner"].get(f"/{mlist.name}/")).decode()
        assert ('<meta name="robots" content="noindex' in page) == (policy != "public"), policy


def test_api_manage_urls_with_each_readers_token(site, django_user_model):
    """The token endpoints walked as above, each reader sending their own API token instead of a
    session: a list they may not read answers every method as a missing list; no answer is a 5xx."""
    from listhaven.web.api.tokens import create_token

    lists, _ = site
    tokens = {reader: create_token(django_user_model.objects.get(email=reader.replace(" ", "-") + "@people.example"))
              for reader in READERS[1:]}  # fmt: skip
    patterns = [p for p in _patterns() if p.startswith("api/manage/") and _per_list(p)]
    assert len(patterns) >= 5
    checked = 0
    for policy, mlist in lists.items():
        message = Message.objects.select_related("thread").get(mailing_list=mlist, message_id="attached@example.org")
        for pattern in patterns:
            for url in _samples(pattern, mlist, message, 0):
                missing_url = url.replace(mlist.name, "nosuchlist")
                for reader, token in tokens.items():
                    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
                    where = (policy, reader, pattern, url)
                    if reader in MAY_READ[policy] or reader in RUNS_WITHOUT_READING.get(policy, ()):
                        assert client.get(url).status_code < 500, where
                    else:
                        for method in (*METHODS, "delete", "patch"):
                            response = getattr(client, method)(url)
                            missing = getattr(client, method)(missing_url)
                            assert response.status_code == missing.status_code == 404, (*where, method)
                            assert response.content.replace(mlist.name.encode(), b"X") == missing.content.replace(
                                b"nosuchlist", b"X"), (*where, method)
                    checked += 1
    assert checked == 3 * len(patterns) * len(tokens)


def test_search_filters_naming_an_unreadable_list_find_what_a_missing_one_finds(site):
    """`list:NAME`, `id:<...>` and `thread:ID` of a list the reader may not read are answered, on
    site-wide search, a list's own search and the API's, as the same filters naming nothing."""
    lists, clients = site
    for policy, mlist in lists.items():
        message = Message.objects.select_related("thread").get(mailing_list=mlist, message_id=f"first-{mlist.name}@example.org")
        queries = [(f"list:{mlist.name} {SECRET}{mlist.name}", f"list:nosuchlist {SECRET}{mlist.name}"),
                   (f"list:{mlist.name}", "list:nosuchlist"),
                   (f"id:<{message.message_id}>", "id:<first-nosuchlist@example.org>"),
                   (f"thread:{message.thread.public_id}", "thread:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]  # fmt: skip
        for reader, client in clients.items():
            if reader in MAY_READ[policy]:
                continue
            for query, missing in queries:
                for base in ("/search", f"/{lists['public'].name}/search", f"/api/lists/{lists['public'].name}/search"):
                    one, other = client.get(base, {"q": query}), client.get(base, {"q": missing})
                    where = (policy, reader, base, query)
                    assert one.status_code == other.status_code, where
                    shown = _body(one).decode()
                    assert f"/{mlist.name}/" not in shown and f"message/{message.public_id}" not in shown, where
                    count = re.search(r"(\d+) messages? found|\"total\":(\d+)", shown)
                    other_count = re.search(r"(\d+) messages? found|\"total\":(\d+)", _body(other).decode())
                    assert (count and count.groups()) == (other_count and other_count.groups()), where


def test_a_member_of_another_list_and_a_readers_validators_open_nothing(site, django_user_model):
    """A member of one members-only list is a stranger to another (roles are per list); and a
    validator taken from a reader's copy (ETag, date) gets a non-reader the missing list's 404, not
    a 304 that would say the page exists and is unchanged."""
    from listhaven.lists.directory import create_list

    lists, clients = site
    guild = create_list("guild@lists.example.org", archive_policy="members")
    store(guild, [make_message("first-guild@example.org", subject=f"Hello {SECRET}guild", body=f"{SECRET}guild\n")])
    message = Message.objects.get(mailing_list=guild)
    urls = ["/guild/", "/guild/2019-03/", f"/guild/message/{message.public_id}/", f"/guild/message/{message.public_id}/raw",
            "/guild/feed.atom", "/guild/all.mbox.gz", "/api/lists/guild", "/guild/search?q=walrus", "/listinfo/guild"]  # fmt: skip
    member = clients["member"]  # a member of club (members-only), and of no role on guild
    assert member.get(f"/{lists['members'].name}/").status_code == 200
    for url in urls:
        _same_as_missing(member, "get", url, url.replace("guild", "nosuchlist"), guild, ("guild", "member of club", url))
    for listing in ("/", "/api/lists", "/search?q=walrus"):
        assert "/guild/" not in _body(member.get(listing)).decode(), listing

    owner = clients["owner"]
    for policy in ("members", "owners"):
        mlist = lists[policy]
        for url in (f"/{mlist.name}/", f"/{mlist.name}/feed.atom", f"/api/lists/{mlist.name}"):
            taken = owner.get(url)
            assert taken.status_code == 200 and taken.has_header("ETag"), url
            assert owner.get(url, HTTP_IF_NONE_MATCH=taken["ETag"]).status_code == 304, url
            for reader, client in clients.items():
                if reader in MAY_READ[policy]:
                    continue
                conditions = {"HTTP_IF_NONE_MATCH": taken["ETag"], "HTTP_IF_MODIFIED_SINCE": taken.get("Last-Modified", "")}
                answer = client.get(url, **conditions)
                missing = client.get(url.replace(mlist.name, "nosuchlist"), **conditions)
                assert answer.status_code == missing.status_code == 404, (policy, reader, url)
                assert _body(answer).replace(mlist.name.encode(), b"X") == _body(missing).replace(b"nosuchlist", b"X")
