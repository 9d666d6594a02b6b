"""The pipeline's one loop, and the archive and queue handlers on a real store."""

from __future__ import annotations

import pytest

from listhaven.archive.compression import decompress
from listhaven.archive.models import Message, RawMessage
from listhaven.lists.directory import create_list
from listhaven.lists.members import add_member
from listhaven.lists.models import Outgoing
from listhaven.lists.pipeline import PIPELINE, Handler, archive, queue_delivery, run_pipeline
from listhaven.lists.post import parse_post_bytes
from listhaven.lists.standing import build_post
from listhaven.mail.personalise import MemberValues, Template, personalise
from tests.lists.messages import LIST, MEMBER, build


@pytest.fixture
def mlist(db):
    mlist = create_list(LIST)
    add_member(mlist, MEMBER)
    return mlist


def test_handlers_are_named_described_and_archive_comes_before_the_queue():
    names = [h.name for h in PIPELINE]
    assert len(set(names)) == len(names) and all(h.description for h in PIPELINE)
    assert names.index("archive") < names.index("decorate") < names.index("queue")


def test_the_loop_runs_every_handler_in_order(mlist):
    seen = []
    steps = [Handler(name, "-", lambda m, p, name=name: seen.append((name, m.pk, p.message_id))) for name in "abc"]
    run_pipeline(mlist, build_post(mlist, build()), steps)
    assert seen == [(name, mlist.pk, "post-1@example.org") for name in "abc"]


def test_archive_keeps_the_lists_copy_and_names_it(mlist):
    post = build_post(mlist, build(msgid="a1@example.org"))
    archive.run(mlist, post)
    stored = Message.objects.get(message_id="a1@example.org")
    assert (post.archive_outcome, post.archived_message_pk) == ("stored", stored.pk)
    assert decompress(RawMessage.objects.get(message=stored).data) == post.archived_copy


def test_a_post_already_in_the_archive_is_not_queued_again(mlist):
    first = build_post(mlist, build(msgid="a2@example.org"))
    run_pipeline(mlist, first)
    again = build_post(mlist, build(msgid="a2@example.org"))
    archive.run(mlist, again)
    queue_delivery.run(mlist, again)
    assert again.archive_outcome == "duplicate" and again.queued == 0
    assert Outgoing.objects.count() == 1


def queued_copy(personalised: bool = True) -> bytes:
    outgoing = Outgoing.objects.get(kind="post")
    data = decompress(outgoing.template)
    assert outgoing.personalised == personalised
    if not personalised:
        return data
    template = Template.from_bytes(data)
    values = MemberValues("https://lists.example.org/u/TOKEN", "https://lists.example.org/o/", "bob@example.net")
    return personalise(template, values)


def test_members_copy_is_tagged_footered_and_carries_the_list_fields(mlist, settings):
    settings.SITE_URL = "https://lists.example.org"
    add_member(mlist, "bob@example.net")
    post = build_post(mlist, build(msgid="d1@example.org", headers={"Approved": "nope", "Return-Receipt-To": MEMBER}))
    run_pipeline(mlist, post)
    public_id = Message.objects.get(message_id="d1@example.org").public_id
    copy = parse_post_bytes(queued_copy())
    assert copy["Subject"] == "[Garden] Tomatoes"
    assert copy["List-Id"] == "Garden <garden.lists.example.org>"
    assert copy["Archived-At"] == f"<https://lists.example.org/garden/message/{public_id}/>"
    assert "<https://lists.example.org/u/TOKEN>" in copy["List-Unsubscribe"]
    assert copy["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert (copy["X-BeenThere"], copy["Precedence"]) == (LIST, "list")
    assert "Approved" not in copy and "Return-Receipt-To" not in copy
    body = copy.get_content()
    assert body.startswith("The tomatoes are ripe.") and "https://lists.example.org/listinfo/garden" in body
    assert "Unsubscribe: https://lists.example.org/u/TOKEN" in body


@pytest.mark.parametrize("policy", ["public", "members", "owners"])
def test_archive_links_in_members_copies_only_where_members_may_read(mlist, settings, policy):
    """List-Archive and Archived-At (and the footer's {archive_url}) point members at the archive
    only when its policy lets members read it (web/access.py ARCHIVE_READERS): an owners-only
    archive is not advertised in every copy, where a forwarded post would carry its address."""
    from listhaven.lists.post import Role
    from listhaven.web.access import ARCHIVE_READERS

    settings.SITE_URL = "https://lists.example.org"
    mlist.archive_policy = policy
    mlist.footer = "Archive: [{archive_url}]\n"
    mlist.save()
    run_pipeline(mlist, build_post(mlist, build(msgid=f"arch-{policy}@example.org")))
    copy = parse_post_bytes(queued_copy())
    members_read = Role.MEMBER in ARCHIVE_READERS[policy]
    assert ("Archived-At" in copy) == ("List-Archive" in copy) == members_read, policy
    assert ("Archive: [https://lists.example.org/garden/]" in copy.get_content()) == members_read
    if not members_read:
        assert "Archive: []" in copy.get_content()


def test_the_archive_keeps_the_tag_and_fields_but_no_footer(mlist, settings):
    settings.SITE_URL = "https://lists.example.org"
    post = build_post(mlist, build(msgid="d2@example.org", headers={"Approved": "nope"}))
    run_pipeline(mlist, post)
    stored = Message.objects.get(message_id="d2@example.org")
    kept = parse_post_bytes(decompress(RawMessage.objects.get(message=stored).data))
    assert stored.subject == kept["Subject"] == "[Garden] Tomatoes"
    assert kept["List-Id"] and "Approved" not in kept
    assert kept.get_content() == "The tomatoes are ripe.\r\n"  # decoration writes CRLF line ends
    assert kept["From"] == "Ann Example <ann@example.org>"


def test_a_reply_is_not_tagged_twice_and_bulk_lists_queue_the_message_itself(mlist):
    mlist.personalised = False
    mlist.save()
    run_pipeline(mlist, build_post(mlist, build(subject="Re: [Garden] Tomatoes")))
    copy = parse_post_bytes(queued_copy(personalised=False))
    assert copy["Subject"] == "Re: [Garden] Tomatoes"
    assert "List-Unsubscribe-Post" not in copy


def test_reply_to_policy_and_dmarc_munging_when_the_list_says_always(mlist):
    mlist.reply_to, mlist.dmarc_mitigation, mlist.dmarc_always = "list", "munge", True
    mlist.save()
    run_pipeline(mlist, build_post(mlist, build(msgid="d3@example.org")))
    copy = parse_post_bytes(queued_copy())
    assert copy["Reply-To"] == LIST
    assert copy["From"].addresses[0].addr_spec == LIST and "Ann Example" in copy["From"].addresses[0].display_name
    assert MEMBER in copy["Cc"]  # the author can still be reached
    stored = Message.objects.get(message_id="d3@example.org")
    assert stored.sender_email == MEMBER  # the archive shows the author's own From:


def test_a_member_who_asked_gets_an_acknowledgement(mlist):
    from listhaven.lists.models import Member

    run_pipeline(mlist, build_post(mlist, build(msgid="k1@example.org")))
    assert not Outgoing.objects.filter(kind="notice").exists()
    Member.objects.filter(address=MEMBER).update(acknowledge_posts=True)
    run_pipeline(mlist, build_post(mlist, build(msgid="k2@example.org", subject="Beans")))
    [ack] = Outgoing.objects.filter(kind="notice")
    assert ack.recipients == [MEMBER] and b"Beans" in decompress(ack.template)


@pytest.mark.parametrize(("record", "mitigated"), [("v=DMARC1; p=reject", True), ("v=DMARC1; p=quarantine", True),
                                                   ("v=DMARC1; p=none", False), (None, False)])  # fmt: skip
def test_dmarc_mitigation_follows_the_authors_published_policy(mlist, settings, local_dns, record, mitigated):
    settings.DNS_RESOLVER = f"127.0.0.1:{local_dns.port}"
    if record is not None:
        local_dns.set("_dmarc.example.org", [record])
    mlist.dmarc_mitigation = "wrap"
    mlist.save()
    run_pipeline(mlist, build_post(mlist, build(msgid="w1@example.org")))
    copy = parse_post_bytes(queued_copy())
    assert (copy.get_content_type() == "multipart/mixed" and copy["From"].addresses[0].addr_spec == LIST) == mitigated
    if mitigated:  # the original, unchanged, inside
        inner = next(p for p in copy.iter_parts() if p.get_content_type() == "message/rfc822")
        assert inner.get_content()["From"] == "Ann Example <ann@example.org>"
    assert Message.objects.get(message_id="w1@example.org").sender_email == MEMBER


def test_a_post_the_archive_quarantines_still_reaches_the_members(mlist, settings):
    from listhaven.archive.models import Quarantine

    settings.MAX_MESSAGE_BYTES = 300  # the archive's parser refuses it; the list's own limit is off
    mlist.max_message_kb = 0
    mlist.save()
    post = build_post(mlist, build(msgid="q1@example.org", body="x" * 400 + "\n"))
    run_pipeline(mlist, post)
    assert post.archive_outcome == "quarantined" and "quarantined" in post.notes[0]
    assert Quarantine.objects.filter(mailing_list=mlist).count() == 1
    assert Outgoing.objects.get(kind="post").message_id is None
