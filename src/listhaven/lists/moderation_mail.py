"""Deciding a held post by replying to its notice. The notice's Reply-To is
``LIST-confirm+TOKEN@`` and its subject ``confirm TOKEN``; the reply decides:

- approve: the moderator password in an ``Approved:``/``Approve:`` header, in an ``Approved: …``
  line at the top of the body, or alone on the body's first line;
- reject or discard: the subject, after the token, says ``reject`` or ``discard`` (no password
  needed: the token itself came only to the moderators). Rejecting mails the poster.
"""

from __future__ import annotations

import email.message
import re

from django.contrib.auth.hashers import check_password

from listhaven.lists.held_actions import act
from listhaven.lists.held_tokens import MODERATE, held_for_token
from listhaven.lists.models import MailingList
from listhaven.lists.moderation import HeldNotFound
from listhaven.lists.notices import held_subject
from listhaven.mail.subjects import decode_subject

_WORDS = re.compile(r"\b(reject|discard|approve|accept)\b", re.IGNORECASE)
_APPROVED_LINE = re.compile(r"^\s*approved?:\s*(\S.*?)\s*$", re.IGNORECASE)


def decide_by_reply(mlist: MailingList, token: str, msg: email.message.Message) -> str | None:
    """What came of a reply carrying `token`; None when `token` is not a held-post token of `mlist`
    (the caller tries its other kinds of token)."""
    held = held_for_token(mlist, token, MODERATE)
    if held is None:
        return None
    subject = decode_subject(str(msg.get("Subject", "")))
    after = subject.split(token, 1)[1] if token in subject else ""
    after = " ".join(after.split()).replace(held_subject(mlist, held), " ", 1)  # the notice's own words decide nothing
    word = (_WORDS.search(after).group(1).lower() if _WORDS.search(after) else "")
    if word in ("reject", "discard"):
        action = word
    elif _password_given(mlist, msg):
        action = "accept"
    else:
        return "nothing decided: approving needs the moderator password (Approved: header or first body line)"
    try:
        # The reason is what a rejected poster reads: that a moderator decided, not how.
        decision = act(mlist, held.pk, action,
                       "rejected by a moderator" if action == "reject" else "decided by a moderator's reply")  # fmt: skip
    except HeldNotFound:
        return "that post was decided already"
    if decision.result != decision.action:  # approved, but content filtering left nothing of it
        return f"held post #{held.pk} ({held.subject or 'no subject'}): approved, {decision.summary}"
    return f"held post #{held.pk} ({held.subject or 'no subject'}): {action}ed"


def _password_given(mlist: MailingList, msg: email.message.Message) -> bool:
    stored = mlist.moderator_password
    if not stored:
        return False
    candidates = [str(v).strip() for name in ("Approved", "Approve") for v in (msg.get_all(name) or [])]
    candidates += _body_candidates(msg)
    return any(c and check_password(c, stored) for c in candidates)


def _body_candidates(msg: email.message.Message) -> list[str]:
    part = msg.get_body(preferencelist=("plain",)) if isinstance(msg, email.message.EmailMessage) else msg
    if part is None:
        return []
    try:
        text = part.get_content() if isinstance(part, email.message.EmailMessage) else str(part.get_payload())
    except (LookupError, ValueError):
        return []
    lines = [line.strip() for line in str(text).splitlines() if line.strip()][:3]
    found = [m.group(1) for line in lines if (m := _APPROVED_LINE.match(line))]
    return found + lines[:1]
