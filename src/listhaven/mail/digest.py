"""Digests: a list's posts collected into one message, in MIME (RFC 2046 multipart/digest) form.

Built once per format per issue, never per member. With `DigestIssue.nonce` set (a personalised list), the
build is a `listhaven.mail.personalise.Template`: markers stand where each member's own values go (the one-click
``List-Unsubscribe`` with its ``List-Unsubscribe-Post``, and the footer's ``{unsubscribe_url}``, ``{options_url}``
and ``{member_address}``), filled per copy by one ``bytes.join`` like a post's. Without it every digest member
gets the same bytes and the list-wide pages. The plain RFC 1153 form is in `listhaven.mail.digest_plain`.

MIME layout (Mailman's): ``multipart/mixed`` of a masthead text part (how to post, subscribe, reach the
owner, then the list's digest header), a table of contents part ("Today's Topics"), a ``multipart/digest`` of
one ``message/rfc822`` per post (the post's bytes as given, private fields such as ``Approved:`` removed),
and the digest footer. The Message-ID is derived from the list, volume, issue and format, so building an
issue again (a retry) gives the same message.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from listhaven.mail.cleanse import PRIVATE_FIELDS
from listhaven.mail.decorate import apply_reply_to, footer_values
from listhaven.mail.footer import footer_lines, render_footer
from listhaven.mail.identity import ListIdentity
from listhaven.mail.listheaders import add_list_fields
from listhaven.mail.message import SourceMessage
from listhaven.mail.parse import parse_message
from listhaven.mail.personalise import marker, nonce_for
from listhaven.mail.rawedit import EditableMessage, encode_unstructured, fold_tokens, mailbox_tokens, split_raw

MASTHEAD = """\
Send {list_name} mailing list submissions to
\t{list_address}

To subscribe or unsubscribe via the web, visit
\t{listinfo_url}
or, via email, send a message with subject or body 'help' to
\t{request_address}

You can reach the person managing the list at
\t{owner_address}

When replying, please edit your Subject line so it is more specific
than "Re: Contents of {list_name} digest..."
"""


@dataclass(frozen=True, slots=True)
class DigestIssue:
    """One issue: its numbers, its date (timezone-aware), and the list's digest header and footer texts
    (placeholders as in footers, see `listhaven.mail.footer.PLACEHOLDERS`). `nonce`: the personalisation
    markers' nonce (`issue_nonce`), empty for one copy for every member."""

    volume: int
    number: int
    date: datetime
    header: str = ""
    footer: str = ""
    nonce: str = ""

    def __post_init__(self) -> None:
        if self.date.tzinfo is None:
            raise ValueError("DigestIssue.date must be timezone-aware")


@dataclass(frozen=True, slots=True)
class DigestEntry:
    """What the table of contents and the plain digest show of one post."""

    raw: bytes  # the post, CRLF, private fields removed
    subject: str
    author: str  # display name, else address
    body_text: str
    attachments: tuple[str, ...]  # "name (type, N bytes)"


def issue_nonce(posts: Sequence[bytes], volume: int, number: int) -> str:
    """The markers' nonce of a personalised issue: from the posts' bytes, so no poster can write a marker."""
    return nonce_for(b"\0".join(posts) + f"\0{volume}.{number}".encode("ascii"))


def digest_entries(posts: Sequence[bytes]) -> list[DigestEntry]:
    """Each post parsed once, in the order given (the caller's: arrival order)."""
    entries = []
    for n, raw in enumerate(posts):
        message = split_raw(raw)
        message.remove(*PRIVATE_FIELDS)
        clean = message.to_bytes()
        parsed = parse_message(SourceMessage(clean, f"digest#{n + 1}"))
        entries.append(DigestEntry(
            raw=clean,
            subject=parsed.subject or "(no subject)",
            author=parsed.sender.name or parsed.sender.email or "unknown",
            body_text=parsed.body_text,
            attachments=tuple(f"{a.filename} ({a.content_type}, {a.size} bytes)" for a in parsed.attachments),
        ))
    return entries


def digest_subject(identity: ListIdentity, issue: DigestIssue) -> str:
    return f"{identity.display_name} Digest, Vol {issue.volume}, Issue {issue.number}"


def masthead(identity: ListIdentity, issue: DigestIssue) -> str:
    """The opening text: Mailman's masthead, then the list's digest header."""
    values = footer_values(identity, issue.nonce)
    text = render_footer(MASTHEAD, values)
    if issue.header.strip():
        text += "\n" + render_footer(issue.header, values).rstrip("\n") + "\n"
    return text


def table_of_contents(entries: Sequence[DigestEntry], tag: str = "") -> str:
    """Each post's subject and author, the list's own `tag` left out of the subject (every post has it: as
    Mailman's table, "Re: [List] Tides" reads "Re: Tides")."""
    lines = ["Today's Topics:", ""]
    lines += [f"{n:4d}. {without_tag(e.subject, tag)} ({e.author})" for n, e in enumerate(entries, 1)]
    return "\n".join(lines) + "\n"


def without_tag(subject: str, tag: str) -> str:
    """`subject` without `tag` where it stands first or after reply prefixes; otherwise as it is."""
    if not tag.strip():
        return subject
    match = re.match(r"((?:(?:re|aw|sv|fwd?)\s*:\s*)*)" + re.escape(tag.strip()) + r"\s*", subject, re.IGNORECASE)
    if match is None:
        return subject
    rest = subject[match.end() :]
    return (match.group(1) + rest).strip() or subject


def digest_head(identity: ListIdentity, issue: DigestIssue, kind: str) -> EditableMessage:
    """The digest's own header fields; `kind` ('mime' or 'plain') goes into the Message-ID."""
    head = EditableMessage()
    head.append("From", fold_tokens("From", mailbox_tokens(identity.display_name, identity.request_address)))
    head.append("To", b" " + identity.address.encode("ascii"))
    head.append("Subject", encode_unstructured("Subject", digest_subject(identity, issue)))
    head.append("Date", b" " + format_datetime(issue.date).encode("ascii"))
    local = f"{identity.list_id}.digest.v{issue.volume}.i{issue.number}.{kind}"
    head.append("Message-ID", f" <{local}@{identity.domain}>".encode("ascii", "replace"))
    head.append("MIME-Version", b" 1.0")
    apply_reply_to(head, identity)
    return head


def finish(head: EditableMessage, identity: ListIdentity, nonce: str = "") -> bytes:
    """The List-* fields: with `nonce`, each member's one-click URL (RFC 8058) goes where its marker stands."""
    unsubscribe = marker(nonce, "unsubscribe_url") if nonce else identity.unsubscribe_url or identity.listinfo_url
    add_list_fields(head, identity, unsubscribe, one_click=bool(nonce))
    return head.to_bytes()


def needs_utf8(data: bytes, nonce: str) -> bool:
    """True when `data` is not ASCII or will not stay so: it holds the marker of the member's address."""
    return not data.isascii() or (bool(nonce) and marker(nonce, "member_address").encode("ascii") in data)


def text_part(text: str, description: str = "", nonce: str = "") -> bytes:
    """A text/plain MIME part (head and body): 7bit when ASCII, else 8bit UTF-8; CRLF lines."""
    data = footer_lines(text).encode("utf-8")
    utf8 = needs_utf8(data, nonce)
    head = f'Content-Type: text/plain; charset="{"utf-8" if utf8 else "us-ascii"}"\r\n'
    head += f"Content-Transfer-Encoding: {'8bit' if utf8 else '7bit'}\r\n"
    described = b""
    if description:
        described = b"Content-Description:" + encode_unstructured("Content-Description", description) + b"\r\n"
    return head.encode("ascii") + described + b"\r\n" + data


def mime_digest(posts: Sequence[bytes], identity: ListIdentity, issue: DigestIssue) -> bytes:
    """The MIME digest of `posts` (raw messages, in order) as one message, CRLF."""
    entries = digest_entries(posts)
    messages = [_rfc822_part(e.raw) for e in entries]
    digest_boundary = _boundary([*messages], "d")
    inner = b"".join(b"--" + digest_boundary + b"\r\n" + m + b"\r\n" for m in messages)
    inner += b"--" + digest_boundary + b"--\r\n"
    parts = [
        text_part(masthead(identity, issue), digest_subject(identity, issue), issue.nonce),
        text_part(table_of_contents(entries, identity.subject_tag), f"Today's Topics ({len(entries)} messages)"),
        b'Content-Type: multipart/digest; boundary="' + digest_boundary + b'"\r\n\r\n' + inner,
    ]
    footer = render_footer(issue.footer, footer_values(identity, issue.nonce))
    if footer.strip():
        parts.append(text_part(footer, "Digest Footer", issue.nonce))
    outer = _boundary(parts, "m")
    head = digest_head(identity, issue, "mime")
    head.append("Content-Type", b' multipart/mixed; boundary="' + outer + b'"')
    head.body = b"".join(b"--" + outer + b"\r\n" + p + b"\r\n" for p in parts) + b"--" + outer + b"--\r\n"
    return finish(head, identity, issue.nonce)


def _rfc822_part(raw: bytes) -> bytes:
    # RFC 2046 5.2.1: a message/rfc822 body may be 7bit, 8bit or binary, never encoded; say 8bit when it is.
    cte = b"" if raw.isascii() else b"Content-Transfer-Encoding: 8bit\r\n"
    return b"Content-Type: message/rfc822\r\n" + cte + b"\r\n" + raw


def _boundary(parts: Sequence[bytes], kind: str) -> bytes:
    """Derived from the content (same issue, same bytes), checked to occur in none of it."""
    seed = hashlib.sha256(b"".join(parts)).hexdigest()[:32]
    for attempt in range(100):
        boundary = f"=_lh_{kind}{seed}_{attempt}".encode("ascii")
        if not any(boundary in p for p in parts):
            return boundary
    raise ValueError("no free MIME boundary")
