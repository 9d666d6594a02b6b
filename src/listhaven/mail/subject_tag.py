"""The list's tag at the front of the Subject, once.

Rule: when the decoded Subject already holds the tag anywhere (``Re: [Harbour] x``, ``[Harbour] x``,
compared without case), the field is left exactly as it came, so a reply keeps one tag and the thread's
subject does not change shape. Otherwise the tag goes first: ``Re: x`` → ``[Harbour] Re: x`` (Mailman's
form). A plain ASCII Subject gets the tag prepended to its bytes (the sender's folding kept); a Subject with
encoded words or raw 8-bit bytes is decoded and written again as RFC 2047 words, so a non-ASCII tag or
subject is never mixed into a field as raw bytes. A message without a Subject gets ``[Tag] (no subject)``.
"""

from __future__ import annotations

from listhaven.mail.rawedit import EditableMessage, encode_unstructured

NO_SUBJECT = "(no subject)"


def has_tag(subject: str, tag: str) -> bool:
    return tag.strip().lower() in subject.lower()


def tag_subject(message: EditableMessage, tag: str) -> bool:
    """Put `tag` (brackets included) at the front of the Subject in place; True when the field changed."""
    tag = tag.strip()
    if not tag:
        return False
    current = message.get("Subject")
    text = current.text() if current is not None else ""
    if current is not None and has_tag(text, tag):
        return False
    raw = current.value.strip() if current is not None else b""
    if raw and raw.isascii() and b"=?" not in raw and tag.isascii():
        value = b" " + tag.encode("ascii") + b" " + raw
    else:
        value = encode_unstructured("Subject", f"{tag} {text or NO_SUBJECT}")
    message.replace("Subject", value)
    return True
