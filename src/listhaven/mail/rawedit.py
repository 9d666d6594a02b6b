"""A message as ordered raw header fields and body bytes, for edits that keep every other byte as sent.

Decoration changes a few header fields and adds a footer; everything else (a signed part, an attachment's
base64, a header folded by the sender) must go out exactly as it came in. The stdlib generator re-folds and
re-encodes, so edits are made here on bytes. Line endings become CRLF throughout (what SMTP carries, and the
canonical form MIME signatures are computed over); a leading mbox ``From `` line is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import policy as email_policy
from email.header import Header

from listhaven.mail.encoded_words import decode_words
from listhaven.mail.headers import header_text

_EOL = re.compile(rb"\r?\n")
_NAME = re.compile(rb"([!-9;-~]+)[ \t]*:")
_ATOMS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]+")
_FOLDING = re.compile(r"\s*\r?\n\s*")
# Folding for the fields written here: CRLF line ends, encoded words for non-ASCII, lines up to 78.
FOLD_POLICY = email_policy.SMTP.clone(refold_source="all")


@dataclass(slots=True)
class RawField:
    """`name` as written and `value`: the bytes after the colon, folding kept, no final CRLF."""

    name: str
    value: bytes

    def text(self) -> str:
        """The value decoded (RFC 2047 words too), unfolded, stripped."""
        return _FOLDING.sub(" ", decode_words(header_text(self.value))).strip()


@dataclass(slots=True)
class EditableMessage:
    fields: list[RawField] = field(default_factory=list)
    body: bytes = b""

    def get(self, name: str) -> RawField | None:
        key = name.lower()
        return next((f for f in self.fields if f.name.lower() == key), None)

    def get_all(self, name: str) -> list[RawField]:
        key = name.lower()
        return [f for f in self.fields if f.name.lower() == key]

    def remove(self, *names: str) -> set[str]:
        """Drop every field of these names; returns the lower-case names that were present."""
        keys = {n.lower() for n in names}
        present = {f.name.lower() for f in self.fields if f.name.lower() in keys}
        if present:
            self.fields = [f for f in self.fields if f.name.lower() not in keys]
        return present

    def append(self, name: str, value: bytes) -> None:
        self.fields.append(RawField(name, value))

    def replace(self, name: str, value: bytes) -> None:
        """The first field of `name` gets `value` in place, others of that name go; appended when absent."""
        key = name.lower()
        index = next((i for i, f in enumerate(self.fields) if f.name.lower() == key), None)
        self.remove(name)
        if index is None:
            self.append(name, value)
        else:
            self.fields.insert(index, RawField(name, value))

    def to_bytes(self) -> bytes:
        head = b"".join(f.name.encode("ascii") + b":" + f.value + b"\r\n" for f in self.fields)
        return head + b"\r\n" + self.body


def split_raw(raw: bytes) -> EditableMessage:
    """Fields in order and the body after the first empty line, every line end made CRLF."""
    data = _EOL.sub(b"\r\n", raw.lstrip(b"\r\n"))
    if data.startswith(b"From ") and _NAME.match(data) is None:
        data = data.partition(b"\r\n")[2]
    end = data.find(b"\r\n\r\n")
    head, body = (data[:end], data[end + 4 :]) if end >= 0 else (data, b"")
    message = EditableMessage(body=body)
    lines = head.split(b"\r\n") if head else []
    for index, line in enumerate(lines):
        if line[:1] in (b" ", b"\t") and message.fields:
            message.fields[-1].value += b"\r\n" + line
            continue
        match = _NAME.match(line)
        if match is None:
            # Not a field: the header block ends here, as if a blank line came before this line (what
            # receivers' parsers do too), so the fields written after the block stay header fields.
            message.body = b"\r\n".join(lines[index:]) + (b"\r\n\r\n" + body if end >= 0 else b"")
            break
        message.fields.append(RawField(match.group(1).decode("ascii"), line[match.end() :]))
    return message


def encode_unstructured(name: str, text: str) -> bytes:
    """The bytes after ``name:`` for free text such as a Subject: RFC 2047 words where needed, folded."""
    folded: str = FOLD_POLICY.fold(name, text)
    return folded[len(name) + 1 :].removesuffix("\r\n").encode("ascii")


def phrase_tokens(text: str) -> list[str]:
    """A display name as header tokens: atoms, one quoted-string, or encoded words (each at most 75)."""
    text = " ".join(text.split())
    if not text:
        return []
    if not text.isascii():
        encoded = Header(text, "utf-8").encode(linesep="\n", maxlinelen=76)
        return [word.strip() for word in encoded.split("\n")]
    if _ATOMS.fullmatch(text):
        return text.split(" ")
    return ['"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"']


def mailbox_tokens(name: str, address: str) -> list[str]:
    """``Name <address>`` as tokens (just the address when there is no name)."""
    return [*phrase_tokens(name), f"<{address}>"] if name.strip() else [address]


def fold_tokens(name: str, tokens: list[str]) -> bytes:
    """The bytes after ``name:``: tokens joined by spaces, a line break before any that would pass 78 columns.

    Nothing inside a token is ever split or encoded, so a URL or a personalisation marker stays whole. Names
    come as encoded words (`phrase_tokens`); an address with non-ASCII characters (SMTPUTF8, RFC 6532: a poster's
    own, kept in Reply-To or Cc) is written in UTF-8, as the poster's message carried it.
    """
    out: list[str] = []
    column = len(name) + 1
    for token in tokens:
        if out and column + 1 + len(token) > 78:
            out.append("\r\n")
            column = 0
        out.append(" " + token)
        column += 1 + len(token)
    return "".join(out).encode("utf-8")
