"""The API against its own OpenAPI document, with schemathesis driving the live WSGI application:
no 5xx, and every response (status, headers, body) as the document describes it.

Two passes: generated inputs for every operation (mostly unknown names and ids, absurd pages),
then the real lists, threads and messages of the fixture archive. Bounded to a few seconds.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings

from listhaven.archive.models import Message, Thread

APP = get_wsgi_application()
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", APP)


@pytest.fixture(autouse=True)
def _connection_kept_across_requests(wsgi_keeps_connection):
    """The WSGI application is called here directly (tests/conftest.py says why this matters)."""


# Few examples each, the same every run: the suite's time, and a failure that reproduces.
generated = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@schema.parametrize()
@generated
def test_generated_requests_match_the_document(case, fixture_archive, db):
    case.call_and_validate()


def real_cases():
    """Requests with ids that exist, for every operation that takes them."""
    thread = Thread.objects.filter(mailing_list__name="reading-circle").order_by("-message_count").first()
    message = Message.objects.filter(mailing_list__name="harbour-dev", has_attachments=True).first()
    list_ops = ["/api/lists/{list_name}", "/api/lists/{list_name}/months", "/api/lists/{list_name}/threads",
                "/api/lists/{list_name}/stats"]
    for name in ("reading-circle", "harbour-dev", "allotment"):
        for path in list_ops:
            yield path, {"list_name": name}, {}
    yield "/api/lists/{list_name}/threads", {"list_name": "reading-circle"}, {"page": 2, "per_page": 5, "sort": "size"}
    yield "/api/lists/{list_name}/threads/{thread_id}", {"list_name": "reading-circle", "thread_id": thread.public_id}, {}
    yield "/api/lists/{list_name}/messages/{message_hash}", {"list_name": "harbour-dev",
                                                            "message_hash": message.public_id}, {}
    yield "/api/lists", {}, {"per_page": 2}


def test_real_archive_responses_match_the_document(fixture_archive, db):
    seen = 0
    for path, path_parameters, query in real_cases():
        case = schema[path]["GET"].Case(path_parameters=path_parameters, query=query)
        response = case.call_and_validate()
        assert response.status_code == 200, (path, path_parameters, response.text[:200])
        seen += 1
    assert seen >= 15


def test_the_document_covers_every_api_route():
    import re

    from listhaven.web.api.urls import urlpatterns

    routes = {
        "/api/" + re.sub(r"<\w+:(\w+)>", r"{\1}", str(p.pattern))
        for p in urlpatterns
        if p.name not in (None, "api-root", "api-openapi")
    }
    assert routes == set(schema.raw_schema["paths"])


@pytest.mark.parametrize("path", ["/api/lists/{list_name}/search"])
def test_search_with_real_words_matches_the_document(fixture_archive, db, path):
    pytest.importorskip("listhaven.archive.search", reason="the search service is not in this tree yet")
    for q in ("subject:queue", "from:olga", "date:2019-03", '"exact phrase"', "(patch OR diff) -draft"):
        case = schema[path]["GET"].Case(path_parameters={"list_name": "harbour-dev"}, query={"q": q})
        response = case.call_and_validate()
        assert response.status_code in (200, 400)


def _bearer() -> dict[str, str]:
    """A site administrator's token (every list is theirs to run), made afresh for each example."""
    from django.contrib.auth import get_user_model

    from listhaven.web.api.tokens import create_token

    user, _ = get_user_model().objects.get_or_create(
        username="api-admin@example.org", defaults={"email": "api-admin@example.org", "is_staff": True})
    return {"Authorization": f"Bearer {create_token(user)}"}


manage_schema = schema.include(path_regex="^/api/manage/")


@manage_schema.parametrize()
@generated
def test_generated_requests_with_a_token_match_the_document(case, fixture_archive, db):
    case.call_and_validate(headers=_bearer())


def test_real_requests_with_a_token_match_the_document(fixture_archive, db):
    from listhaven.lists.models import Member

    member = Member.objects.filter(mailing_list__name="harbour-dev").order_by("pk").first()
    cases = [
        ("/api/manage/lists", "GET", {}, {"per_page": 2}, None),
        ("/api/manage/lists/{list_name}/members", "GET", {"list_name": "harbour-dev"}, {"q": "a"}, None),
        ("/api/manage/lists/{list_name}/members", "POST", {"list_name": "harbour-dev"}, {},
         {"addresses": ["New One <new-one@example.org>", "nonsense"]}),
        ("/api/manage/lists/{list_name}/held", "GET", {"list_name": "harbour-dev"}, {}, None),
        ("/api/manage/lists/{list_name}/settings", "GET", {"list_name": "harbour-dev"}, {}, None),
        ("/api/manage/lists/{list_name}/settings", "PATCH", {"list_name": "harbour-dev"}, {}, {"footer": "Be kind."}),
        ("/api/manage/lists/{list_name}/settings", "PATCH", {"list_name": "harbour-dev"}, {}, {"bounce_threshold": 0}),
        ("/api/manage/lists/{list_name}/requests", "GET", {"list_name": "harbour-dev"}, {}, None),
        ("/api/manage/lists/{list_name}/bans", "POST", {"list_name": "harbour-dev"}, {},
         {"pattern": "^troll[0-9]*@", "reason": "flames"}),
        ("/api/manage/lists/{list_name}/bans", "GET", {"list_name": "harbour-dev"}, {}, None),
    ]
    if member is not None:
        cases.append(("/api/manage/lists/{list_name}/members/{member_id}", "GET",
                      {"list_name": "harbour-dev", "member_id": member.pk}, {}, None))
        cases.append(("/api/manage/lists/{list_name}/members/{member_id}", "PATCH",
                      {"list_name": "harbour-dev", "member_id": member.pk}, {},
                      {"moderated": True, "delivery_mode": "plain_digest", "enable": True}))
    statuses = []
    for path, method, path_parameters, query, body in cases:
        kwargs = {"body": body, "media_type": "application/json"} if body is not None else {}
        case = schema[path][method].Case(path_parameters=path_parameters, query=query, **kwargs)
        response = case.call_and_validate(headers=_bearer())
        statuses.append(response.status_code)
    assert statuses[:6] == [200, 200, 201, 200, 200, 200] and statuses[6] == 400, statuses
    assert statuses[7:] == [200, 201, 200] + ([200, 200] if member is not None else []), statuses
