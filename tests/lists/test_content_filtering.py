"""Content filtering after approval, as Mailman 2 runs MimeDel after Hold: a post that filtering
leaves empty never goes out whole, whether a moderator released it from the hold queue, its
`Approved:` password let it past the chain, or the owner turned the content-filter rule off. It gets
the list's filter_action then, and what was done is what the moderator is told."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from listhaven.archive.compression import decompress
from listhaven.archive.models import Message, Quarantine
from listhaven.lists.chain import run_chain
from listhaven.lists.directory import create_list
from listhaven.lists.members import add_member
from listhaven.lists.models import HeldMessage, Outgoing, PostRecord
from listhaven.lists.moderation import moderate, set_moderator_password
from listhaven.lists.pipeline import run_pipeline
from listhaven.lists.posting import receive_post
from listhaven.lists.standing import build_post
from tests.lists.messages import LIST, MEMBER, notice_text

STRANGER = "zed@elsewhere.example"


def only_an_image(msgid: str, sender: str = f"Zed <{STRANGER}>", headers: dict[str, str] | None = None) -> bytes:
    """A post of one part, a PNG: nothing of it passes a list that filters images."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, LIST, "Look at this"
    message["Date"], message["Message-ID"] = "Mon, 30 Nov 2026 12:00:00 +0000", f"<{msgid}>"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(b"\x89PNG\r\n\x1a\nnot much of a picture", maintype="image", subtype="png", filename="look.png")
    return message.as_bytes()


@pytest.fixture
def mlist(db):
    mlist = create_list(LIST)
    add_member(mlist, MEMBER)
    add_member(mlist, "owner@example.org", role="owner")
    mlist.filter_content, mlist.filter_types = True, ["image"]
    mlist.save()
    return mlist


def posts_sent(mlist) -> int:
    return Outgoing.objects.filter(mailing_list=mlist, kind="post").count()


def release(mlist, raw: bytes):
    """Holds `raw` (a stranger's post: the nonmember rule holds it before content filtering is asked)
    and approves it."""
    outcome = receive_post(mlist, raw, envelope_sender=STRANGER)
    assert outcome.held_id is not None and outcome.verdict.rule == "nonmember"
    return moderate(mlist, outcome.held_id, "accept")


def test_a_released_post_filtering_empties_is_discarded_and_kept_whole_in_the_quarantine(mlist):
    raw = only_an_image("released-1@example.org")
    decision = release(mlist, raw)
    assert decision.outcome is not None
    assert (decision.outcome.verdict.action, decision.outcome.verdict.rule) == ("discard", "content-filter")
    assert decision.result == "discard" and "image/png (look.png)" in decision.outcome.verdict.reason
    assert posts_sent(mlist) == 0 and not Message.objects.filter(message_id="released-1@example.org").exists()
    assert not HeldMessage.objects.filter(mailing_list=mlist).exists()
    [kept] = Quarantine.objects.filter(mailing_list=mlist)
    assert decompress(kept.data) == raw and "content filtering" in kept.reason
    record = PostRecord.objects.filter(mailing_list=mlist, message_id="released-1@example.org").last()
    assert (record.verdict, record.rule, record.origin) == ("discard", "content-filter", "moderator")
    assert "quarantine" in record.reason


def test_a_released_post_filtering_empties_is_rejected_with_the_reason_when_the_list_rejects(mlist):
    mlist.filter_action = "reject"
    mlist.save()
    decision = release(mlist, only_an_image("released-2@example.org"))
    assert decision.result == "reject" and decision.notified
    assert posts_sent(mlist) == 0
    [notice] = Outgoing.objects.filter(mailing_list=mlist, kind="notice", recipients=[STRANGER]).order_by("-id")[:1]
    assert "does not pass what the message holds (image/png (look.png))" in notice_text(decompress(notice.template))


def test_a_released_post_is_not_held_again_when_the_list_holds_what_filtering_empties(mlist):
    """Held again, the moderator's approval would bring it back for ever: it is kept in the quarantine."""
    mlist.filter_action = "hold"
    mlist.save()
    decision = release(mlist, only_an_image("released-3@example.org"))
    assert decision.result == "discard" and posts_sent(mlist) == 0
    assert not HeldMessage.objects.filter(mailing_list=mlist).exists()
    assert Quarantine.objects.filter(mailing_list=mlist).count() == 1


def words_and_an_image(msgid: str, sender: str) -> EmailMessage:
    """A post of words and a PNG: filtering images leaves the words."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, LIST, "Plans"
    message["Message-ID"] = f"<{msgid}>"
    message.set_content("The plan is attached.\n")
    message.add_attachment(b"\x89PNG\r\n", maintype="image", subtype="png", filename="plan.png")
    return message


def test_a_released_post_filtering_leaves_something_of_goes_out_filtered(mlist):
    decision = release(mlist, words_and_an_image("released-4@example.org", f"Zed <{STRANGER}>").as_bytes())
    assert decision.result == "accept" and posts_sent(mlist) == 1
    sent = decompress(Outgoing.objects.get(mailing_list=mlist, kind="post").template)
    assert b"The plan is attached." in sent and b"plan.png" not in sent


# the poster's notices: the rejection with its reason; "your post is held" with the link that withdraws it
@pytest.mark.parametrize(("action", "held", "notices"), [("discard", 0, 0), ("reject", 0, 1), ("hold", 1, 1)])
def test_with_the_content_filter_rule_off_the_pipeline_applies_filter_action(mlist, action, held, notices):
    mlist.disabled_rules, mlist.filter_action = ["content-filter"], action
    mlist.save()
    outcome = receive_post(mlist, only_an_image("rule-off@example.org", sender=f"Ann <{MEMBER}>"))
    assert (outcome.verdict.action, outcome.verdict.rule) == (action, "content-filter")
    assert posts_sent(mlist) == 0 and not Message.objects.filter(message_id="rule-off@example.org").exists()
    assert HeldMessage.objects.filter(mailing_list=mlist).count() == held
    assert Outgoing.objects.filter(mailing_list=mlist, kind="notice", recipients=[MEMBER]).count() == notices
    assert PostRecord.objects.get(mailing_list=mlist, message_id="rule-off@example.org").verdict == action


def test_a_post_approved_by_password_still_goes_through_the_filter(mlist):
    set_moderator_password(mlist, "sesame")
    mlist.filter_action = "reject"
    mlist.save()
    outcome = receive_post(mlist, only_an_image("approved@example.org", headers={"Approved": "sesame"}))
    assert (outcome.verdict.action, outcome.verdict.rule) == ("reject", "content-filter")
    assert posts_sent(mlist) == 0


def test_the_filter_runs_once_the_pipeline_sending_what_the_rule_filtered(mlist):
    message = words_and_an_image("once@example.org", f"Ann <{MEMBER}>")
    post = build_post(mlist, message.as_bytes())
    assert run_chain(post).action == "accept"
    assert post.filtering is not None and post.filtering.result.removed == ["image/png (plan.png)"]
    assert post.message.as_bytes() == message.as_bytes()  # the rule filtered a copy: it only reads the post
    filtered = post.filtering.message
    run_pipeline(mlist, post)
    assert post.message is filtered and post.queued == 1


def owner_notices(mlist) -> list[Outgoing]:
    return list(Outgoing.objects.filter(mailing_list=mlist, kind="notice", recipients=["owner@example.org"]))


def test_forward_sends_the_post_whole_to_the_owners_and_not_to_the_list(mlist):
    """Mailman's filter_action "forward to the list owner": the post is discarded from the list and
    its only copy goes to the owners, attached to a notice that says why."""
    mlist.filter_action = "forward"
    mlist.save()
    raw = only_an_image("forward@example.org", sender=f"Ann <{MEMBER}>")
    outcome = receive_post(mlist, raw)
    assert (outcome.verdict.action, outcome.verdict.rule, outcome.kept) == ("discard", "content-filter", "owners")
    assert posts_sent(mlist) == 0 and not Quarantine.objects.filter(mailing_list=mlist).exists()
    [notice] = owner_notices(mlist)
    text = notice_text(decompress(notice.template))
    assert "content filtering left nothing of it" in text and "image/png (look.png)" in text
    assert b"not much of a picture" in decompress(notice.template) or b"iVBOR" in decompress(notice.template)
    assert PostRecord.objects.get(mailing_list=mlist, message_id="forward@example.org").verdict == "discard"


def test_preserve_keeps_the_post_whole_in_the_quarantine(mlist):
    mlist.filter_action = "preserve"
    mlist.save()
    raw = only_an_image("preserve@example.org", sender=f"Ann <{MEMBER}>")
    outcome = receive_post(mlist, raw)
    assert (outcome.verdict.action, outcome.kept) == ("discard", "quarantine") and posts_sent(mlist) == 0
    [kept] = Quarantine.objects.filter(mailing_list=mlist)
    assert decompress(kept.data) == raw and "kept whole in the quarantine" in kept.reason


def test_forward_on_a_list_without_owners_keeps_the_post_in_the_quarantine(mlist):
    from listhaven.lists.models import Member

    Member.objects.filter(mailing_list=mlist, role="owner").delete()
    mlist.filter_action = "forward"
    mlist.save()
    outcome = receive_post(mlist, only_an_image("ownerless@example.org", sender=f"Ann <{MEMBER}>"))
    assert outcome.kept == "quarantine" and "(the list has no owner)" in outcome.verdict.reason
    assert Quarantine.objects.filter(mailing_list=mlist).count() == 1


def test_a_released_post_on_a_list_that_forwards_goes_to_the_owners(mlist):
    mlist.filter_action = "forward"
    mlist.save()
    decision = release(mlist, only_an_image("released-5@example.org"))
    assert decision.result == "discard" and decision.summary.startswith("not sent: forwarded to the owners")
    assert posts_sent(mlist) == 0 and len(owner_notices(mlist)) == 2  # the held notice, then the post forwarded
