"""The plain-text digest of RFC 1153: one text/plain message, posts one after another.

Layout: the masthead and the list's digest header, "Today's Topics", a line of 70 hyphens, then each post
as ``Message: N`` followed by its Date, From, To, Cc, Subject and Message-ID, a blank line, its text (the
parser's best text body: text/plain, or HTML turned into text; attachments listed by name), and a line of
30 hyphens; then the digest footer and the closing ``End of ... Digest`` line with its row of asterisks.

A line of a post that begins with 30 hyphens would read as a separator, so it gets ``- `` in front (the
character stuffing of RFC 934, which RFC 1153 builds on), for those lines only.
"""

from __future__ import annotations

from collections.abc import Sequence

from listhaven.mail.decorate import footer_values
from listhaven.mail.digest import (
    DigestEntry,
    DigestIssue,
    digest_entries,
    digest_head,
    digest_subject,
    finish,
    masthead,
    needs_utf8,
    table_of_contents,
)
from listhaven.mail.footer import footer_lines, render_footer
from listhaven.mail.identity import ListIdentity
from listhaven.mail.rawedit import split_raw

PREAMBLE_SEPARATOR = "-" * 70
MESSAGE_SEPARATOR = "-" * 30
SHOWN_FIELDS = ("Date", "From", "To", "Cc", "Subject", "Message-ID")


def plain_digest(posts: Sequence[bytes], identity: ListIdentity, issue: DigestIssue) -> bytes:
    """The RFC 1153 digest of `posts` (raw messages, in order) as one message, CRLF, UTF-8 text."""
    entries = digest_entries(posts)
    chunks = [masthead(identity, issue), "\n", table_of_contents(entries, identity.subject_tag), "\n", PREAMBLE_SEPARATOR, "\n\n"]
    for n, entry in enumerate(entries, 1):
        chunks += [_message_text(n, entry), "\n", MESSAGE_SEPARATOR, "\n\n"]
    footer = render_footer(issue.footer, footer_values(identity, issue.nonce))
    if footer.strip():
        chunks += ["Subject: Digest Footer\n\n", footer.rstrip("\n"), "\n\n", MESSAGE_SEPARATOR, "\n\n"]
    end = f"End of {digest_subject(identity, issue)}"
    chunks += [end, "\n", "*" * len(end), "\n"]
    body = footer_lines("".join(chunks)).encode("utf-8")
    head = digest_head(identity, issue, "plain")
    utf8 = needs_utf8(body, issue.nonce)
    head.append("Content-Type", f' text/plain; charset="{"utf-8" if utf8 else "us-ascii"}"'.encode("ascii"))
    head.append("Content-Transfer-Encoding", b" 8bit" if utf8 else b" 7bit")
    head.body = body
    return finish(head, identity, issue.nonce)


def _message_text(number: int, entry: DigestEntry) -> str:
    message = split_raw(entry.raw)
    lines = [f"Message: {number}"]
    for name in SHOWN_FIELDS:
        field = message.get(name)
        if field is not None and field.text():
            lines.append(f"{name}: {field.text()}")
    lines.append("")
    lines += [_stuff(line) for line in entry.body_text.rstrip("\n").split("\n")]
    if entry.attachments:
        lines += ["", *(f"[attachment: {a}]" for a in entry.attachments)]
    return "\n".join(lines) + "\n"


def _stuff(line: str) -> str:
    return "- " + line if line.startswith(MESSAGE_SEPARATOR) else line
