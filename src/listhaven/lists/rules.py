"""The moderation rules: one small function each, over a `Post`, returning a `Finding` or None.

A rule says what it saw; `chain.py` holds their order and the one loop that runs them, and turns
the first finding into the post's verdict. A list turns a rule off by naming it in its
`disabled_rules` setting, and tunes the rest with the settings each rule's description names
(lists/models/settings.py). Only `approved` changes the message: it removes the password.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.message import EmailMessage

from django.contrib.auth.hashers import check_password

from listhaven.lists.post import KEPT_SAYS, Action, Finding, Post, filter_outcome, first_header, header_values
from listhaven.mail.addresses import parse_address_list
from listhaven.mail.commands import confirm_token_from_subject
from listhaven.mail.subjects import decode_subject

Check = Callable[[Post], Finding | None]


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    description: str
    check: Check


def rule(name: str, description: str) -> Callable[[Check], Rule]:
    """Names a check function; the chain lists the resulting `Rule`s in order."""

    def wrap(check: Check) -> Rule:
        return Rule(name, description, check)

    return wrap


@rule("approved", "Carries the list's moderator password in an Approved:/Approve: header or first body line "
      "(setting: moderator_password); the password is removed from the message.")  # fmt: skip
def approved(post: Post) -> Finding | None:
    message = post.message
    candidates = [v.strip() for name in ("Approved", "Approve") for v in header_values(message, name)]
    for name in ("Approved", "Approve"):
        del message[name]  # whatever the outcome: a password, right or wrong, is never passed on
    body_password = _body_password(post)
    if body_password is not None:
        candidates.append(body_password)
    stored = post.policy.moderator_password
    if not stored or not any(c and check_password(c, stored) for c in candidates):
        return None
    if body_password is not None and check_password(body_password, stored):
        _remove_body_password(post)
        _remove_password_elsewhere(post, body_password)
        post.body_edited = True
    post.approved = True
    return Finding(Action.ACCEPT, "approved with the list's moderator password")


_APPROVED_LINE = re.compile(r"^\s*approved?:\s*(\S.*?)\s*$", re.IGNORECASE)


def _first_text_part(post: Post) -> EmailMessage | None:
    part = post.message.get_body(preferencelist=("plain",))
    return part if isinstance(part, EmailMessage) else None


def _text_of(part: EmailMessage | None) -> str | None:
    if part is None:
        return None
    try:
        text = part.get_content()
    except (LookupError, ValueError, AssertionError):  # unknown charset, broken encoding
        return None
    return text if isinstance(text, str) else None


def _body_password(post: Post) -> str | None:
    text = _text_of(_first_text_part(post))
    if text is None:
        return None
    first = next((line for line in text.splitlines() if line.strip()), "")
    match = _APPROVED_LINE.match(first)
    return match.group(1) if match else None


def _remove_password_elsewhere(post: Post, password: str) -> None:
    """The same ``Approved: password`` in the post's other text parts (the HTML alternative a mail program
    writes beside the plain text; Mailman strips it there too), so the password reaches no member."""
    first = _first_text_part(post)
    written = "|".join(re.escape(p) for p in dict.fromkeys((password, html.escape(password, quote=False))))
    pattern = re.compile(r"approved?:(?:\s|&nbsp;|&#160;|\xa0|<[^>]{0,200}>)*(?:" + written + ")", re.IGNORECASE)
    for part in post.message.walk():
        if part is first or part.get_content_maintype() != "text" or part.is_multipart():
            continue
        text = _text_of(part) if isinstance(part, EmailMessage) else None
        if text is None or not pattern.search(text):
            continue
        charset = part.get_content_charset() or "utf-8"
        assert isinstance(part, EmailMessage)
        cleaned = pattern.sub("", text)
        try:
            cleaned.encode(charset)
        except (UnicodeEncodeError, LookupError):  # a byte its charset leaves undefined was read as U+FFFD
            charset = "utf-8"
        part.set_content(cleaned, subtype=part.get_content_subtype(),
                         charset="utf-8" if charset == "us-ascii" else charset)  # fmt: skip


def _remove_body_password(post: Post) -> None:
    part = _first_text_part(post)
    text = _text_of(part)
    assert part is not None and text is not None
    lines = text.splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if line.strip())
    rest = lines[index + 1 :]
    if rest and not rest[0].strip():
        rest = rest[1:]  # the blank line that separated the password from the text
    charset = part.get_content_charset() or "utf-8"
    part.set_content("".join(rest), charset="utf-8" if charset == "us-ascii" else charset)


@rule("emergency", "The list is in emergency moderation (setting: emergency): every post is held.")
def emergency(post: Post) -> Finding | None:
    if post.policy.emergency:
        return Finding(Action.HOLD, "the list is in emergency moderation: every post is held")
    return None


@rule("loop", "The post has already been through this list (X-BeenThere, or our own List-Id): discarded.")
def loop(post: Post) -> Finding | None:
    been_there = {v.strip().strip("<>").lower() for v in header_values(post.message, "X-BeenThere")}
    if post.policy.list_address.lower() in been_there:
        return Finding(Action.DISCARD, f"X-BeenThere: {post.policy.list_address}: the post came back from this list")
    for value in header_values(post.message, "List-Id"):
        if _list_id_of(value) == post.policy.list_id.lower():
            return Finding(Action.DISCARD, f"List-Id <{post.policy.list_id}>: the post came back from this list")
    return None


def _list_id_of(value: str) -> str:
    inside = value.rpartition("<")[2].partition(">")[0] if "<" in value else value
    return inside.strip().lower()


@rule("banned", "The sender's address is banned from this list or the site (Ban rows: an address or ^regex).")
def banned(post: Post) -> Finding | None:
    pattern = matching_pattern(post.standing.address, post.policy.ban_patterns)
    if pattern is not None:
        return Finding(Action.REJECT, f"the address {post.standing.address} is banned from this list")
    return None


def matching_pattern(address: str, patterns: Iterable[str]) -> str | None:
    """The first pattern matching `address`: an address or a `^regex` (searched), both without case, as
    Mailman's bans: a ban on spammer@example.com also stops Spammer@example.com. A regex that does not
    compile matches nothing."""
    key = address.strip().casefold()
    for pattern in patterns:
        if pattern.startswith("^"):
            try:
                if re.search(pattern, address, re.IGNORECASE):
                    return pattern
            except re.error:
                continue
        elif pattern.strip().casefold() == key:
            return pattern
    return None


@rule("member-moderation", "The sender is a member whose posts are moderated (Member.moderated); "
      "the action is the list's member_moderation_action.")  # fmt: skip
def member_moderation(post: Post) -> Finding | None:
    if post.standing.may_post_as_member and post.standing.moderated:
        return Finding(post.policy.member_moderation_action, "the sender's posts are moderated")
    return None


@rule("nonmember", "The sender is not a member: the address's own action (a non-member row), "
      "else the list's nonmember_action; accept lets the remaining rules decide.")  # fmt: skip
def nonmember(post: Post) -> Finding | None:
    standing = post.standing
    if standing.may_post_as_member:
        return None
    action = Action(standing.action) if standing.action != "defer" else post.policy.nonmember_action
    if action == Action.ACCEPT:
        return None
    return Finding(action, f"the sender {standing.address or '(no address)'} is not a member of the list")


_COMMANDS = {"subscribe", "unsubscribe", "join", "leave", "remove", "signoff", "signon"}
_MAX_COMMAND_LINES = 3


@rule("administrivia", "A bare subscribe/unsubscribe request, or a reply to a confirmation (confirm TOKEN), "
      "sent to the posting address: held, so members are not asked by the whole list, nor shown the token.")  # fmt: skip
def administrivia(post: Post) -> Finding | None:
    raw_subject = first_header(post.message, "Subject")
    subject = decode_subject(raw_subject).lower()
    if _is_command(subject.split()):
        return Finding(Action.HOLD, "the subject is a subscription command; send it to the -request address")
    if _is_confirmation(raw_subject):
        return Finding(Action.HOLD, "the subject is a confirmation (confirm and its code); reply to the "
                       "confirmation itself, or send it to the -request address")  # fmt: skip
    lines = _meaningful_lines(post)
    if lines and len(lines) <= _MAX_COMMAND_LINES and _is_command(lines[0].lower().split()):
        return Finding(Action.HOLD, "the message is a subscription command; send it to the -request address")
    if lines and len(lines) <= _MAX_COMMAND_LINES and _is_confirmation(lines[0]):
        return Finding(Action.HOLD, "the message is a confirmation; send it to the -request address")
    return None


def _is_command(words: list[str]) -> bool:
    return 0 < len(words) <= 3 and words[0].strip(":") in _COMMANDS


_OUR_TOKEN = re.compile(r"[0-9a-fA-F]{20,}")  # the list's codes are long hex (lists/tokens.py, Pending): not a word


def _is_confirmation(text: str) -> bool:
    token = confirm_token_from_subject(text)
    return token is not None and _OUR_TOKEN.fullmatch(token) is not None


def _meaningful_lines(post: Post) -> list[str]:
    """The body's text lines, without quotes and without the signature."""
    text = _text_of(_first_text_part(post))
    if text is None:
        return []
    lines = []
    for line in text.splitlines():
        if line.rstrip() == "--":
            break
        if line.strip() and not line.lstrip().startswith(">"):
            lines.append(line.strip())
    return lines


@rule("implicit-destination", "Neither the list address nor one of its acceptable_aliases (addresses, "
      "or ^regex) is in To or Cc (or, for a message resent to the list, Resent-To or Resent-Cc, as Mailman): "
      "the list was Bcc'd or the post was forwarded.")  # fmt: skip
def implicit_destination(post: Post) -> Finding | None:
    # List addresses are all lower case (lists/directory.py): compare the whole address without case.
    recipients = [r.lower() for r in _recipients(post, "To", "Cc", "Resent-To", "Resent-Cc")]
    accepted = [a if a.startswith("^") else a.lower() for a in (post.policy.list_address, *post.policy.acceptable_aliases)]
    if any(matching_pattern(r, accepted) for r in recipients):
        return None
    return Finding(Action.HOLD, f"{post.policy.list_address} is not among the To or Cc addresses")


def _recipients(post: Post, *fields: str) -> list[str]:
    """The addresses of `fields` (To and Cc when none are named)."""
    values = [v for name in (fields or ("To", "Cc")) for v in header_values(post.message, name)]
    return [a.email for v in values for a in parse_address_list(v, limit=1000) if a.email]


@rule("max-recipients", "The post names as many To/Cc recipients as the list's max_recipients or more (0: no limit).")
def max_recipients(post: Post) -> Finding | None:
    limit = post.policy.max_recipients
    count = len(_recipients(post))
    if limit and count >= limit:
        return Finding(Action.HOLD, f"too many recipients ({count}; the list's limit is {limit - 1})")
    return None


@rule("max-size", "The post is larger than the list's max_message_kb kilobytes (0: no limit).")
def max_size(post: Post) -> Finding | None:
    limit = post.policy.max_message_kb
    if limit and len(post.raw) > limit * 1024:
        size_kb = (len(post.raw) + 1023) // 1024
        return Finding(Action.HOLD, f"the message is {size_kb} KB; the list's limit is {limit} KB")
    return None


@rule("no-subject", "The post has no subject (or only the list's tag).")
def no_subject(post: Post) -> Finding | None:
    subject = decode_subject(first_header(post.message, "Subject"))
    if not re.sub(r"^\s*(?:(?:re|fwd?)\s*:\s*|\[[^\]]*\]\s*)*", "", subject, flags=re.IGNORECASE).strip():
        return Finding(Action.HOLD, "the message has no subject")
    return None


@rule("suspicious-header", "A header line matches one of the list's header_filters (regexes over "
      "'Name: value', without case).")  # fmt: skip
def suspicious_header(post: Post) -> Finding | None:
    lines = [f"{name}: {' '.join(str(value).split())}" for name, value in post.message.raw_items()]
    for pattern in post.policy.header_filters:
        try:
            compiled = re.compile(pattern, re.IGNORECASE)
        except re.error:
            continue
        if any(compiled.search(line) for line in lines):
            return Finding(Action.HOLD, f"a header matches the list's filter {pattern!r}")
    return None


@rule("content-filter", "The list filters content (filter_content) and its filters would leave nothing of the post: "
      "the list's filter_action (discard, reject, hold; forward or preserve: discarded, kept whole with the owners or in the quarantine). The filtered copy stays on the post for the pipeline.")  # fmt: skip
def content_filter(post: Post) -> Finding | None:
    filtering = post.filtered()
    if filtering is None or not filtering.result.empty:
        return None
    action, kept = filter_outcome(post.policy.filter_action)
    return Finding(action, filtering.reason + KEPT_SAYS.get(kept, ""), kept)
