"""Prepared querysets (web/prepared.py) give what the ORM gives, and signed_in (web/access.py)
answers as request.user.is_authenticated does."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client, RequestFactory

from listhaven.lists.models import MailingList
from listhaven.web import access
from listhaven.web.prepared import Prepared


def _fields(instance: MailingList) -> dict:
    loaded = [f.attname for f in MailingList._meta.concrete_fields if f.attname not in instance.get_deferred_fields()]
    return {name: getattr(instance, name) for name in loaded}


@pytest.fixture
def lists(db):
    made = [
        MailingList.objects.create(name="zebra", address="zebra@lists.example.org", display_name="Zebras"),
        MailingList.objects.create(name="ant", address="ant@lists.example.org", obfuscate_addresses=False,
                                   archive_changed_at=datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)),
        MailingList.objects.create(name="club", address="club@lists.example.org", archive_policy="members"),
    ]  # fmt: skip
    return {m.name: m for m in made}


def test_the_list_of_a_page_is_the_instance_the_orm_makes(lists):
    for name in ("ant", "zebra", "club"):
        prepared = access._LIST_BY_NAME.rows(name)
        orm = list(MailingList.objects.filter(name=name).only(*access.ARCHIVE_FIELDS)[:1])
        assert len(prepared) == 1 and prepared[0].pk == lists[name].pk
        assert _fields(prepared[0]) == _fields(orm[0])  # converted alike: aware datetimes, booleans
        assert prepared[0].get_deferred_fields() == orm[0].get_deferred_fields() != set()
        assert prepared[0]._state.adding is False and prepared[0]._state.db == orm[0]._state.db
    ant = access._LIST_BY_NAME.rows("ant")[0]
    assert ant.archive_changed_at == datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC) and ant.obfuscate_addresses is False
    assert ant.subject_tag == lists["ant"].subject_tag  # a loaded column
    assert ant.max_message_kb == lists["ant"].max_message_kb  # a deferred one, loaded when read
    assert access._LIST_BY_NAME.rows("no-such-list") == []


def test_a_prepared_query_runs_with_each_calls_parameters_in_the_querysets_order(lists):
    by_policy = Prepared(lambda policy: MailingList.objects.filter(archive_policy=policy).only("name"), "public")

    def names(policy: str) -> list[str]:  # other tests' lists may be in the store too
        return [m.name for m in by_policy.rows(policy) if m.name in lists]

    assert names("public") == ["ant", "zebra"]  # the model's ordering
    assert names("members") == ["club"]
    assert names("owners") == []
    MailingList.objects.filter(name="zebra").update(archive_policy="members")
    assert names("members") == ["club", "zebra"]  # run afresh, not kept


def test_prepared_refuses_what_it_cannot_run_alike(lists):
    with pytest.raises(ValueError):
        Prepared(lambda name: MailingList.objects.filter(name=name).values("name"), "").rows("ant")
    with pytest.raises(ValueError):  # a parameter of its own that no call could change
        Prepared(lambda name: MailingList.objects.filter(name=name, archive_policy="public"), "").rows("ant")
    with pytest.raises(TypeError):
        Prepared(lambda name: MailingList.objects.filter(name=name), "").rows()


def test_the_index_lists_what_readable_lists_gives(lists, django_user_model):
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    anonymous = [m.name for m in access.readable_lists_for_index(request)]
    assert anonymous == [m.name for m in access.readable_lists(request)]
    assert [name for name in anonymous if name in lists] == ["ant", "zebra"]
    request.user = django_user_model.objects.create_user("admin", "admin@example.org", is_staff=True)
    assert [m.name for m in access.readable_lists_for_index(request) if m.name in lists] == ["ant", "club", "zebra"]


def test_signed_in_without_loading_a_user_for_a_request_without_a_session(lists, django_user_model):
    seen = []
    anonymous, reader = Client(), Client()
    reader.force_login(django_user_model.objects.create_user("ann@example.org", "ann@example.org"))
    from django.test.signals import template_rendered

    def check(sender, context, **kwargs):
        request = context.get("request")
        if request is not None:
            seen.append((access.signed_in(request), request.user.is_authenticated))

    template_rendered.connect(check)
    try:
        anonymous.get("/ant/")
        reader.get("/ant/")
    finally:
        template_rendered.disconnect(check)
    assert (False, False) in seen and (True, True) in seen
    assert all(a == b for a, b in seen)
