"""The header block of a message, split from its body without the stdlib parser.

`email.parser` builds a full object tree for every message; most list mail is one
text part, and only a handful of header fields matter to the archive, so splitting
the block ourselves is several times faster. Values keep their raw bytes (the
content hash is computed over them) and are decoded to str on demand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote_to_bytes

from listhaven.mail.charsets import decode_text
from listhaven.mail.encoded_words import decode_words

# A field: its name, then the value with any continuation lines (a line starting with space or tab).
_FIELD = re.compile(rb"([!-9;-~]+)[ \t]*:(.*(?:\r?\n[ \t].*)*)")
# The run of fields at the start of the head; what follows it (if anything) is body text.
_BLOCK = re.compile(rb"(?:[!-9;-~]+[ \t]*:.*(?:\r?\n[ \t].*)*(?:\n|\Z))*")
# Each line of the head that starts something: a field (its name, then the value with any continuation
# lines, which start with space or tab), or else a line that is neither a field nor a continuation (the
# third group), which ends the block. A head holds no empty line, so each of its lines is one of these or
# a continuation, and one findall reads the whole block. The quantifiers are possessive (``++``): no part
# of this pattern could match by giving back what it took, and not keeping the places to go back to
# makes the findall a sixth quicker.
_FIELD_OR_STRAY = re.compile(rb"([!-9;-~]++)[ \t]*+:([^\n]*+(?:\n[ \t][^\n]*+)*+)|([^\n]++)")
# The first empty line: LF LF, or CR LF CR LF (an LF, CR LF that runs on into another LF is not it: the
# LF LF in it is). One search, where two bytes.find (one per kind) took 2.5 times as long.
_EMPTY_LINE = re.compile(rb"\n\r\n(?!\n)|\n\n")
_FOLD = re.compile(rb"[ \t]*\r?\n[ \t]*")
_SPACE = re.compile(r"\s")  # what str.isspace() calls space
_PARAM = re.compile(r';\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"?|[^;]*)')


@dataclass(slots=True)
class HeaderBlock:
    """Header fields by lower-case name (bytes), values in order of appearance.

    Values are stored as found (still folded) and unfolded when read: most fields of a
    message (DKIM, Received, ...) are never read at all.
    """

    fields: dict[bytes, list[bytes]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.fields)

    def raw_all(self, name: str) -> list[bytes]:
        """Every value of `name`, unfolded, as bytes."""
        return [unfold(value) for value in self.fields.get(name.encode("ascii"), ())]

    def raw(self, name: str) -> bytes | None:
        values = self.fields.get(name.encode("ascii"))
        return unfold(values[0]) if values else None

    def text(self, name: str) -> str | None:
        """The first value of `name` as str (8-bit bytes decoded as UTF-8, else cp1252)."""
        value = self.raw(name)
        return None if value is None else header_text(value)

    def all_text(self, name: str) -> list[str]:
        return [header_text(value) for value in self.raw_all(name)]


def unfold(value: bytes) -> bytes:
    """A folded value on one line: each line break and the whitespace around it become one space."""
    return _FOLD.sub(b" ", value).strip(b" \t\r") if b"\n" in value else value.strip(b" \t\r")


def header_text(value: bytes) -> str:
    """Header bytes as str: ASCII, else UTF-8, else cp1252; NULs dropped. Never raises."""
    try:
        text = value.decode("ascii")
    except UnicodeDecodeError:
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError:
            text = value.decode("cp1252", "replace")
    if "\x00" in text:
        text = text.replace("\x00", "")
    return text


def split_message(raw: bytes, part: bool = False) -> tuple[HeaderBlock, bytes, list[str]]:
    """(headers, body bytes, defects). The body is everything after the header block.

    For a whole message (`part` false) leading blank lines and an mbox ``From `` line are
    skipped. A line that is neither a header field nor a continuation ends the block (with a
    defect) as if a blank line preceded it. A MIME part may start with its blank line:
    then it has no header fields at all.
    """
    defects: list[str] = []
    if raw[:1] in (b"\n", b"\r"):
        if part:
            return HeaderBlock(), raw[2:] if raw[:2] == b"\r\n" else raw[1:], defects
        raw = raw.lstrip(b"\r\n")
        defects.append("blank lines before the header block removed")
    end = _header_end(raw)
    head = raw[: end[0]] if end else raw
    position = 0
    if not part and head.startswith(b"From "):
        position = head.find(b"\n") + 1 or len(head)
    headers = HeaderBlock()
    fields = headers.fields
    known = fields.get
    for name, value, stray in _FIELD_OR_STRAY.findall(head, position):
        if stray:
            break
        key = name.lower()
        values = known(key)
        if values is None:
            fields[key] = [value]
        else:
            values.append(value)
    else:
        return headers, raw[end[1] :] if end else b"", defects
    position = _BLOCK.match(head, position).end()  # type: ignore[union-attr]  # matches empty
    defects.append("header block ended without a blank line")
    return headers, head[position:] + raw[end[0] :] if end else head[position:], defects


def field_lines(raw: bytes) -> list[tuple[str, str]]:
    """Every header field of a whole message, in order: (name as written, value unfolded with its
    encoded words decoded), for a person to read, as a moderator reads a held post's fields."""
    raw = raw.lstrip(b"\r\n")
    end = _header_end(raw)
    head = raw[: end[0]] if end else raw
    position = head.find(b"\n") + 1 if head.startswith(b"From ") else 0
    block = _BLOCK.match(head, position)
    block_end = block.end() if block else position
    return [(header_text(name), decode_words(header_text(unfold(value))))
            for name, value in _FIELD.findall(head, position, block_end)]  # fmt: skip


def _header_end(raw: bytes) -> tuple[int, int] | None:
    """(start, end) of the first empty line, the line break that ends the line before it included."""
    found = _EMPTY_LINE.search(raw)
    if found is None:
        return None
    start, end = found.span()
    return (start - 1 if start and raw[start - 1] == 0x0D else start), end


def parse_params(value: str | None) -> tuple[str, dict[str, str]]:
    """(first word lower-case, {param: value}) for Content-Type/Content-Disposition values.

    RFC 2231 parameters (``filename*=utf-8''a%20b``, ``name*0*=``, ``name*1=``) are joined and
    decoded and take precedence over the plain form of the same parameter.
    """
    if not value:
        return "", {}
    main, _, rest = value.partition(";")
    params: dict[str, str] = {}
    extended: dict[str, list[tuple[int, bool, str]]] = {}
    for key, raw_value in _PARAM.findall(";" + rest) if rest else ():
        key = key.lower()
        raw_value = _unquote(raw_value.strip())
        if "*" not in key:
            params.setdefault(key, raw_value)
            continue
        base, _, tail = key.partition("*")
        index = tail.rstrip("*")
        if len(extended.get(base, ())) < 100 and (index.isdigit() or not index):
            extended.setdefault(base, []).append((int(index or 0), tail.endswith("*") or not tail, raw_value))
    for base, pieces in extended.items():
        params[base] = _join_rfc2231(sorted(pieces, key=lambda piece: piece[0]))
    return main.strip().lower(), params


def _unquote(value: str) -> str:
    if value[:1] != '"':
        return value
    value = value[1:-1] if value.endswith('"') and len(value) > 1 else value[1:]
    return value.replace('\\"', '"').replace("\\\\", "\\")


def _join_rfc2231(pieces: list[tuple[int, bool, str]]) -> str:
    charset = "utf-8"
    chunks: list[bytes] = []
    for number, (_, encoded, value) in enumerate(pieces):
        if encoded:
            if number == 0 and value.count("'") >= 2:
                charset, _, value = value.split("'", 2)
            chunks.append(unquote_to_bytes(value))
        else:
            chunks.append(value.encode("utf-8", "surrogateescape"))
    text, _ = decode_text(b"".join(chunks), charset or "utf-8")
    return text


def parse_content_type(value: str | None) -> tuple[str, dict[str, str]]:
    """('type/subtype' lower-case, params); a missing or malformed type is 'text/plain' (RFC 2045)."""
    ctype, params = parse_params(value)
    if ctype.count("/") != 1 or _SPACE.search(ctype) or len(ctype) > 100:
        ctype = "text/plain"
    return ctype, params
