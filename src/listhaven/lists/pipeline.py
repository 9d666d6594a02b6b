"""The pipeline: the ordered handlers that turn an accepted post into the archived message and
the outgoing copies, and the one loop that runs them (inside the transaction that accepts the
post, so the archive, the queue and the verdict commit together).

What the archive keeps: the post as the list received it, cleansed (no Approved: password, no
read-receipt requests) with the list's subject tag and its List-* headers — what a member sees,
minus what is personal to one copy or exists only to get the copy delivered: the footer (it
carries each member's own unsubscribe link) and the DMARC mitigation (the archive shows the
author's own From:). So the handlers that change every copy run before `archive`, and those that
prepare delivery after it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from listhaven.archive.importer import parse_one
from listhaven.archive.ingest import Unparsed, store_batch
from listhaven.archive.models import Message
from listhaven.lists import digests, notices
from listhaven.lists.dns import author_needs_mitigation
from listhaven.lists.identity import MITIGATIONS, archive_identity, archived_at, identity_for
from listhaven.lists.members import post_recipients
from listhaven.lists.models import MailingList, Member
from listhaven.lists.post import KEPT_SAYS, Action, Post, Verdict, filter_outcome, first_header
from listhaven.lists.queue import enqueue
from listhaven.mail.decorate import Mitigation, decorate
from listhaven.mail.identity import ListIdentity
from listhaven.mail.mboxwrite import build_from_line
from listhaven.mail.message import SourceMessage
from listhaven.mail.subjects import decode_subject

log = logging.getLogger(__name__)

Run = Callable[[MailingList, Post], None]


@dataclass(frozen=True, slots=True)
class Handler:
    name: str
    description: str
    run: Run


def handler(name: str, description: str) -> Callable[[Run], Handler]:
    def wrap(run: Run) -> Handler:
        return Handler(name, description, run)

    return wrap


@handler("dmarc", "Decides the DMARC mitigation (list setting dmarc_mitigation: off, munge, wrap): always when "
         "the list's dmarc_always is set, else when the author's domain publishes p=quarantine or p=reject.")  # fmt: skip
def decide_dmarc(mlist: MailingList, post: Post) -> None:
    mitigation = MITIGATIONS[mlist.dmarc_mitigation]
    if mitigation is Mitigation.NONE:
        return
    domain = post.standing.address.rpartition("@")[2]
    if mlist.dmarc_always or (domain and author_needs_mitigation(domain)):
        post.mitigation = mitigation


@handler("filter-content", "Removes the parts of the post the list's content filtering does not pass "
         "(filter_content; listhaven.mail.content_filter): the archive, the members and the digests get what is left, "
         "the copy the content-filter rule filtered when it ran. A post of which nothing is left stops here with the "
         "list's filter_action (a post a moderator approved, or the rule turned off, reaches it): discarded, rejected "
         "with the reason or held; forward and preserve: not sent, kept whole with the owners or in the quarantine; one "
         "a moderator released from the hold queue is not held again but kept whole in the quarantine, and a "
         "discarded one too.")  # fmt: skip
def filter_post_content(mlist: MailingList, post: Post) -> None:
    filtering = post.filtered()  # the content-filter rule's, when it ran; the list's rules from post.policy
    if filtering is None:
        return
    if filtering.result.empty:
        _stop_empty(post, filtering.reason)
        return
    if not filtering.result.changed:
        return
    filtered = filtering.message
    for name in ("DKIM-Signature", "DomainKey-Signature"):
        del filtered[name]  # the body they sign is not the one sent
    post.message, post.body_edited = filtered, True
    if filtering.result.removed:
        post.notes.append("content filtering removed " + ", ".join(filtering.result.removed))


def _stop_empty(post: Post, reason: str) -> None:
    """Mailman 2 filters after the hold (MimeDel after Hold): an approved post filtering empties is
    stopped, never sent whole."""
    released = post.origin == "moderator"
    action, post.kept = filter_outcome(post.policy.filter_action, released=released)
    if released and post.kept is not None:  # (a rejected poster reads the reason alone)
        reason = f"approved, but content filtering leaves nothing: {reason}"
    post.verdict = Verdict(action, "content-filter", reason + KEPT_SAYS.get(post.kept, ""))


@handler("archive", "Stores the list's copy in the archive (threads and search index included): decorated "
         "without the footer and without DMARC mitigation.")  # fmt: skip
def archive(mlist: MailingList, post: Post) -> None:
    post.archived_copy = decorate(post.pipeline_input(), archive_identity(post_identity(mlist, post)),
                                  personal=False).data  # fmt: skip
    # The arrival, as an MTA writing an mbox would record it: the date of last resort for a post with
    # no usable Date or Received field (a post over LMTP from a host that adds none, `listhaven post`).
    arrival = build_from_line(post.envelope_sender or "MAILER-DAEMON", datetime.now(UTC))
    parsed = parse_one(SourceMessage(post.archived_copy, f"post via {post.origin}", arrival))
    result = store_batch(mlist, [parsed])
    if result.stored:
        post.archive_outcome, post.archived_message_pk = "stored", result.stored[0]
        public_id = Message.objects.filter(pk=result.stored[0]).values_list("public_id", flat=True).get()
        post.archived_url = archived_at(mlist, public_id)
    elif result.duplicates:
        post.archive_outcome = "duplicate"
    else:
        post.archive_outcome = "quarantined"
        reason = parsed.error if isinstance(parsed, Unparsed) else "not stored"
        post.notes.append(f"the archive quarantined the post: {reason}")
        log.warning("post to %s from %s quarantined by the archive (listhaven quarantine %s): %s", mlist.address,
                    post.envelope_sender or "-", mlist.name, reason)  # fmt: skip


@handler("decorate", "Makes the copy members get (listhaven.mail.decorate, in its order: cleanse, subject tag, "
         "Reply-To policy, DMARC munge or wrap, footer, RFC 2369/2919/8058 fields, Archived-At, X-BeenThere, "
         "Precedence, broken DKIM signatures removed); personalised lists get markers for each member's values.")
def decorate_copy(mlist: MailingList, post: Post) -> None:
    post.template = decorate(
        post.pipeline_input(), post_identity(mlist, post), personal=mlist.personalised,
        archived_at=post.archived_url, mitigation=Mitigation(post.mitigation), sender=post.envelope_sender or "",
    )  # fmt: skip


@handler("queue", "Queues the copy for each member who gets posts as they are sent (regular delivery, "
         "enabled), except the poster when they chose not to receive their own posts.")  # fmt: skip
def queue_delivery(mlist: MailingList, post: Post) -> None:
    if post.archive_outcome == "duplicate":
        # The same post (same Message-ID, same bytes) is in the archive: it was sent already.
        post.notes.append("already archived: not sent again")
        return
    recipients = post_recipients(mlist, post.standing.address)
    if not recipients or post.template is None:
        return
    archived = Message.objects.only("id").get(pk=post.archived_message_pk) if post.archived_message_pk else None
    personalised = bool(post.template.nonce)
    data = post.template.to_bytes() if personalised else post.template.data
    enqueue(mlist, data, recipients, kind="post", personalised=personalised, message=archived)
    post.queued = len(recipients)


@handler("digest", "Collects the list's copy (as archived) for the next digest issue, and sends the issue when "
         "the posts collected pass the list's digest_size_kb (lists/digests.py).")  # fmt: skip
def collect_for_digest(mlist: MailingList, post: Post) -> None:
    if post.archive_outcome == "duplicate" or not post.archived_copy:
        return
    if digests.collect(mlist, post.archived_copy, post.archived_message_pk):
        post.notes.append("a digest issue went out")


@handler("acknowledge", "Tells the poster the post went out, when they are a member who asked for that "
         "(Member.acknowledge_posts).")  # fmt: skip
def acknowledge(mlist: MailingList, post: Post) -> None:
    if post.archive_outcome == "duplicate" or not post.standing.address:
        return
    wants = Member.objects.filter(mailing_list=mlist, role="member", address=post.standing.address,
                                  acknowledge_posts=True).exists()  # fmt: skip
    if wants:
        text = notices.acknowledgement(mlist, post.standing.address, decode_subject(first_header(post.message, "Subject")))
        enqueue(mlist, text, [post.standing.address], kind="notice", personalised=False)


def post_identity(mlist: MailingList, post: Post) -> ListIdentity:
    """The list's identity, built once per post."""
    if post.identity is None:
        post.identity = identity_for(mlist)
    return post.identity


PIPELINE: tuple[Handler, ...] = (
    decide_dmarc,
    filter_post_content,
    archive,
    decorate_copy,
    queue_delivery,
    collect_for_digest,
    acknowledge,
)


def run_pipeline(mlist: MailingList, post: Post, pipeline: Sequence[Handler] = PIPELINE) -> None:
    """Runs every handler in order on an accepted post. Call inside the accepting transaction. A
    handler that stops the post (its `verdict` no longer accept) ends the run: the caller acts on it."""
    for step in pipeline:
        step.run(mlist, post)
        if post.verdict is not None and post.verdict.action != Action.ACCEPT:
            return
