"""The site's own mail (password resets, sign-in links) belongs to no list: queued with no list,
even on a site that has none yet, sent by the delivery worker from the site's address (to a real
SMTP sink on 127.0.0.1 and to the outbox that /manage/outbox/ shows), its refusals scored against
no list, and erased with the address it was for."""

from __future__ import annotations

import email
import email.policy
import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from listhaven.delivery.outbox import outbox_dir
from listhaven.delivery.outgoing import Worker
from listhaven.delivery.transport import MaildirTransport, SmtpTransport
from listhaven.lists.directory import create_list
from listhaven.lists.erasure import erase_address
from listhaven.lists.models import BounceEvent, DeliveryBatch, MailingList, Outgoing
from listhaven.lists.notices import send_notice
from listhaven.lists.queue import enqueue
from listhaven.web.accounts.mail import send_account_mail
from tests.support.smtp_sink import sink_port, smtp_sink


def drain(transport) -> None:
    Worker(transport).run(threading.Event(), until_idle=True)


@pytest.fixture
def admin(transactional_db, django_user_model):
    """A site administrator on a site with no list at all: emptied first, since a module that ran before
    in this process may have left the fixture archive's lists (tests/conftest.py fixture_archive)."""
    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)
    return django_user_model.objects.create_user("admin@example.org", email="admin@example.org", password="pw",
                                                 is_staff=True)  # fmt: skip


def test_a_password_reset_on_a_site_without_lists_reaches_the_outbox(admin, client, settings, tmp_path):
    settings.DATA_DIR, settings.SITE_URL = tmp_path, "https://lists.example.org"
    assert not MailingList.objects.exists()
    assert client.post("/accounts/password_reset/", {"email": "admin@example.org"}).status_code == 302
    [row] = Outgoing.objects.all()
    assert (row.mailing_list, row.kind, row.personalised, row.recipients) == (None, "notice", False, ["admin@example.org"])
    drain(MaildirTransport(outbox_dir()))
    assert set(DeliveryBatch.objects.values_list("state", flat=True)) == {"sent"}
    [path] = (outbox_dir() / "new").iterdir()
    raw = path.read_bytes()
    assert raw.startswith(b"Return-Path: <listhaven@lists.example.org>")
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["From"].addresses[0].addr_spec == "listhaven@lists.example.org"
    assert "https://lists.example.org/accounts/reset/" in message.get_content()
    client.force_login(admin)
    index = client.get("/manage/outbox/").content.decode()
    assert message["Subject"] in index and path.name in index
    assert b"/accounts/reset/" in client.get(f"/manage/outbox/{path.name}/").content


def test_the_site_address_setting_and_refusals_scored_against_no_list(transactional_db, settings):
    settings.SITE_EMAIL = "postmaster@site.example"
    team = create_list("team@lists.example.org")
    send_account_mail("gone@example.net", "Sign in", "A link.\n")
    send_account_mail("busy@example.net", "Sign in", "A link.\n")
    send_notice(team, "welcome", "gone@example.net", address="gone@example.net", options_url="https://x/")
    answers = {"gone@example.net": "550 5.1.1 no such user", "busy@example.net": "450 4.2.1 busy"}
    with smtp_sink(answers) as (controller, sink):
        drain(SmtpTransport("127.0.0.1", sink_port(controller)))
        # Only the list's own notice left a bounce, on that list: the site's mail has no list to score it.
        assert list(BounceEvent.objects.values_list("mailing_list__name", "address", "code")) == [
            ("team", "gone@example.net", 550)]
        [retry] = DeliveryBatch.objects.filter(state="queued")
        assert retry.recipients == ["busy@example.net"] and retry.outgoing.mailing_list is None
        # Busy past the retry limit: given up, still without a bounce record.
        DeliveryBatch.objects.filter(pk=retry.pk).update(next_attempt_at=timezone.now(),
                                                         first_attempt_at=timezone.now() - timedelta(days=30))  # fmt: skip
        drain(SmtpTransport("127.0.0.1", sink_port(controller)))
    assert not DeliveryBatch.objects.filter(state="queued").exists()
    assert BounceEvent.objects.count() == 1
    assert not sink.messages  # every copy was refused or put off
    send_account_mail("fine@example.net", "Sign in", "A link.\n")
    with smtp_sink() as (controller, sink):
        drain(SmtpTransport("127.0.0.1", sink_port(controller)))
    [received] = sink.messages
    assert received.sender == "postmaster@site.example" and received.recipients == ["fine@example.net"]
    assert b"From: Listhaven <postmaster@site.example>" in received.data


def test_mail_without_a_list_is_a_plain_notice(transactional_db):
    for kind, personalised in (("notice", True), ("post", False), ("digest", False)):
        with pytest.raises(ValueError):
            enqueue(None, b"Subject: x\n\nx\n", ["a@example.org"], kind=kind, personalised=personalised)
    assert not Outgoing.objects.exists()


def test_erasing_an_address_from_the_site_drops_its_queued_site_mail(transactional_db):
    team = create_list("team@lists.example.org")
    send_account_mail("gone@example.net", "Sign in", "A link.\n")
    send_account_mail("stays@example.net", "Sign in", "A link.\n")
    erase_address("gone@example.net", mlist=team)  # one list's erasure: the site's mail is not that list's
    assert Outgoing.objects.filter(mailing_list=None, recipients=["gone@example.net"]).exists()
    report = erase_address("gone@example.net")
    assert report.counts["mail queued for the address alone"] == 1
    assert list(Outgoing.objects.values_list("recipients", flat=True)) == [["stays@example.net"]]
    assert list(DeliveryBatch.objects.values_list("recipients", flat=True)) == [["stays@example.net"]]


@pytest.mark.parametrize("keep_archive", [True, False])
def test_removing_a_list_leaves_the_site_mail_queued(transactional_db, keep_archive):
    from listhaven.lists.removal import remove_list

    team = create_list("team@lists.example.org")
    send_notice(team, "welcome", "ann@example.net", address="ann@example.net", options_url="https://x/")
    send_account_mail("ann@example.net", "Sign in", "A link.\n")
    remove_list(team, keep_archive=keep_archive)
    [row] = Outgoing.objects.all()
    assert row.mailing_list is None and row.batches.count() == 1


def test_deleting_ones_account_drops_ones_queued_site_mail(transactional_db, client, django_user_model):
    user = django_user_model.objects.create_user("ann@example.net", email="ann@example.net")
    send_account_mail("ann@example.net", "Reset your password", "A link.\n")
    send_account_mail("bob@example.net", "Reset your password", "A link.\n")
    client.force_login(user)
    response = client.post("/accounts/delete/", {"confirm": "ann@example.net"})
    assert response.status_code == 200 and not django_user_model.objects.filter(pk=user.pk).exists()
    assert list(Outgoing.objects.values_list("recipients", flat=True)) == [["bob@example.net"]]


def test_site_mail_is_dkim_signed_with_the_site_domains_key(transactional_db, settings, local_dns):
    import dkim as dkimpy

    from listhaven.delivery.dkim_keys import generate_key
    from listhaven.mail import dkim

    settings.SITE_EMAIL = "listhaven@site.example"
    key = generate_key("site.example", "s1", bits=1024)
    local_dns.set("s1._domainkey.site.example", [dkim.dns_txt_value(key.private_key.encode())])
    send_account_mail("ann@example.net", "Sign in", "A link.\n")
    with smtp_sink() as (controller, sink):
        drain(SmtpTransport("127.0.0.1", sink_port(controller)))
    [received] = sink.messages
    assert received.data.startswith(b"DKIM-Signature:") and b"d=site.example" in received.data
    assert dkimpy.verify(received.data, dnsfunc=dkim.txt_lookup(local_dns.resolver()))
