"""DMARC mitigations: what a list does to a post whose author's domain publishes p=quarantine or p=reject.

The list changes the post (tag, footer), so the author's DKIM signature fails and, the From domain not being
the list's, DMARC fails at the receiver. Two answers, as in Mailman 3:

- `munge_from`: ``From: "Ada Lovelace via Harbour Dev" <harbour-dev@lists.example.org>``; the author's
  address goes to Reply-To when the list leaves Reply-To alone, else to Cc, so a reply still reaches them.
  An author name that is itself an address has its domain replaced by ``---`` (Mailman's rule), so the
  display name does not look like a different sender.
- `wrap_message`: a new message from the list whose body is the original post, unchanged, as
  ``message/rfc822``; the original's own signatures stay valid inside it.
"""

from __future__ import annotations

import re
from email.utils import getaddresses

from listhaven.mail.identity import ListIdentity, ReplyTo
from listhaven.mail.rawedit import EditableMessage, fold_tokens, mailbox_tokens, split_raw

# Kept on the wrapper: what a reader and a threading client need to see.
WRAPPER_KEEPS = ("Date", "Subject", "To", "Cc", "In-Reply-To", "References", "Message-ID")
_ADDRESS_LIKE = re.compile(r"@([^ .]+\.)+[^ .]+$")


def author(message: EditableMessage, sender: str = "") -> tuple[str, str]:
    """(display name, address) of the From field; the envelope `sender` when From holds not one address."""
    addresses = [
        (name, addr) for name, addr in getaddresses([f.text() for f in message.get_all("From")]) if "@" in addr[1:]
    ]
    if len(addresses) == 1:
        return addresses[0]
    return "", sender


def munge_from(message: EditableMessage, identity: ListIdentity, sender: str = "") -> set[str]:
    """Rewrite From in place (rules above); returns the lower-case names of the fields changed."""
    name, address = author(message, sender)
    display = _ADDRESS_LIKE.sub("---", name.strip() or address or "unknown")
    message.replace("From", fold_tokens("From", mailbox_tokens(f"{display} via {identity.display_name}",
                                                                  identity.address)))
    if not address:
        return {"from"}
    add_to = "Reply-To" if identity.reply_to is ReplyTo.NONE else "Cc"
    present = getaddresses([f.text() for f in message.get_all(add_to)])
    if address.lower() not in {a.lower() for _, a in present}:
        present.append((name, address))
    valid = [(n, a) for n, a in present if a]
    tokens: list[str] = []
    for i, (n, a) in enumerate(valid):
        mailbox = mailbox_tokens(n, a)
        if i < len(valid) - 1:
            mailbox[-1] += ","
        tokens += mailbox
    message.replace(add_to, fold_tokens(add_to, tokens))
    return {"from", add_to.lower()}


def wrap_message(message: EditableMessage, identity: ListIdentity, sender: str = "") -> EditableMessage:
    """A new message from the list (From munged as above) carrying `message` whole as message/rfc822."""
    wrapper = EditableMessage()
    for name in WRAPPER_KEEPS:
        for item in message.get_all(name):
            wrapper.append(item.name, item.value)
    wrapper.fields += message.get_all("From")
    munge_from(wrapper, identity, sender)
    wrapper.append("MIME-Version", b" 1.0")
    wrapper.append("Content-Type", b" message/rfc822")
    wrapper.append("Content-Disposition", b" inline")
    wrapper.body = message.to_bytes()
    return wrapper


def munge_from_bytes(raw: bytes, identity: ListIdentity, sender: str = "") -> bytes:
    """`munge_from` on message bytes (CRLF out)."""
    message = split_raw(raw)
    munge_from(message, identity, sender)
    return message.to_bytes()


def wrap_message_bytes(raw: bytes, identity: ListIdentity, sender: str = "") -> bytes:
    """`wrap_message` on message bytes (CRLF out)."""
    return wrap_message(split_raw(raw), identity, sender).to_bytes()
