"""An address replaced inside the RFC 2231 parameters of a part's Content-Type and
Content-Disposition (``filename*=utf-8''erin%40example.org.txt``, and a value split into
continuations, ``filename*0*=utf-8''erin%40exa; filename*1*=mple.org.txt`` or
``name*0="erin@exa"; name*1="mple.org"``), where the address's bytes never stand whole.

The parameter's pieces are joined and decoded as a reader's mail program does (mail/headers.py:
`parse_params`), the address replaced in the text under the parameter's own charset, and the value
written back in the same form: percent-encoded with the same charset and language when it was, a
quoted string when it was, split into as many continuations as its new length needs at the width
of the longest original piece, each where a piece stood (with the folding before it). A parameter
whose text does not name the address, or whose charset cannot give its bytes back unchanged, is
left byte for byte, as is everything else in the header block.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from listhaven.mail.charsets import resolve_charset

# A header field that carries parameters, with its folded lines.
_FIELD = re.compile(rb"(?im)^(?:content-type|content-disposition)[ \t]*:[^\n]*(?:\n[ \t][^\n]*)*")
# One RFC 2231 piece: NAME*= (whole, encoded), NAME*N*= (an encoded continuation), NAME*N= (a plain one).
_PIECE = re.compile(rb';(\s*)([^\s=;*"]+)\*(\d{1,3})?(\*)?[ \t]*=[ \t]*("(?:[^"\\\r\n]|\\.)*"|[^;\s"]*)')
# RFC 2231 attribute-char: what an encoded value may hold as it is; every other byte is %XX.
_ATTRIBUTE_CHARS = frozenset(
    c for c in range(0x21, 0x7F) if chr(c) not in "*'%()<>@,;:\\\"/[]?="
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Piece:
    start: int  # the span of ";<gap>name*N*=value" in the field
    end: int
    gap: bytes
    name: bytes
    number: int | None  # None: the whole value in one encoded piece (NAME*=)
    encoded: bool
    value: bytes


def replace_in_parameters(chunk: bytes, pattern: re.Pattern[str], replacement: str) -> bytes:
    """`chunk` (header blocks) with `pattern` replaced inside the RFC 2231 parameters of its
    Content-Type and Content-Disposition fields; every other byte kept."""
    if b"*" not in chunk:
        return chunk
    return _FIELD.sub(lambda field: _in_field(field.group(0), pattern, replacement), chunk)


def _in_field(field: bytes, pattern: re.Pattern[str], replacement: str) -> bytes:
    groups: dict[bytes, list[_Piece]] = {}
    for m in _PIECE.finditer(field):
        gap, name, number, star, value = m.groups()
        if number is None and star is not None:
            continue  # NAME**=: not RFC 2231
        piece = _Piece(m.start(), m.end(), gap, name, None if number is None else int(number),
                       number is None or star is not None, value)  # fmt: skip
        groups.setdefault(name.lower(), []).append(piece)
    edits: list[tuple[int, int, bytes]] = []
    for pieces in groups.values():
        edits.extend(_rewritten(pieces, pattern, replacement))
    for start, end, new in sorted(edits, reverse=True):
        field = field[:start] + new + field[end:]
    return field


def _rewritten(pieces: list[_Piece], pattern: re.Pattern[str], replacement: str) -> list[tuple[int, int, bytes]]:
    """The edits (start, end, new bytes) that write one parameter again; none when it is left."""
    ordered = sorted(pieces, key=lambda p: -1 if p.number is None else p.number)
    single = ordered[0].number is None
    if (single and len(ordered) > 1) or (not single and [p.number for p in ordered] != list(range(len(ordered)))):
        return []  # a whole value beside continuations, or continuations with a gap: not one value
    prefix, data = _joined(ordered)
    charset = prefix.split(b"'", 1)[0].decode("ascii", "replace") if prefix else ""
    codec = resolve_charset(charset) or "utf-8"
    try:
        text = data.decode(codec, "surrogateescape")
        if not pattern.search(text) or text.encode(codec, "surrogateescape") != data:
            return []
        new = pattern.sub(replacement, text).encode(codec, "surrogateescape")
    except (UnicodeError, LookupError, ValueError):
        return []
    first = ordered[0]
    if single:
        return [(first.start, first.end, b";" + first.gap + first.name + b"*=" + prefix + _percent(new))]
    values = _split(new, first.encoded, max(len(_bare(p)) for p in ordered))
    return _placed(ordered, values, prefix)


def _joined(ordered: list[_Piece]) -> tuple[bytes, bytes]:
    """The first piece's charset'language' prefix (b"" when none) and the value's bytes."""
    prefix = b""
    chunks: list[bytes] = []
    for index, piece in enumerate(ordered):
        value = piece.value
        if piece.encoded:
            value = _unquoted(value)
            if index == 0 and value.count(b"'") >= 2:
                charset, language, value = value.split(b"'", 2)
                prefix = charset + b"'" + language + b"'"
            chunks.append(unquote_to_bytes(value))
        else:
            chunks.append(_unquoted(value))
    return prefix, b"".join(chunks)


def _unquoted(value: bytes) -> bytes:
    if value[:1] != b'"':
        return value
    return re.sub(rb"\\(.)", rb"\1", value[1:-1])


def _bare(piece: _Piece) -> bytes:
    """A piece's value without its quotes and (the first's) charset'language' prefix."""
    value = _unquoted(piece.value)
    if piece.encoded and piece.number in (None, 0) and value.count(b"'") >= 2:
        value = value.split(b"'", 2)[2]
    return value


def _percent(data: bytes) -> bytes:
    return b"".join(bytes([c]) if c in _ATTRIBUTE_CHARS else b"%%%02X" % c for c in data)


def _quoted(data: bytes) -> bytes:
    return b'"' + data.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


def _split(data: bytes, encoded: bool, width: int) -> list[bytes]:
    """The value's pieces, each at most `width` bytes as written (a %XX never cut), at least one."""
    width = max(width, 12)
    tokens = [_percent(bytes([c])) for c in data] if encoded else [bytes([c]) for c in data]
    pieces: list[bytes] = []
    current = b""
    for token in tokens:
        if current and len(current) + len(token) > width:
            pieces.append(current)
            current = b""
        current += token
    pieces.append(current)
    return pieces if encoded else [_quoted(p) for p in pieces]


def _placed(ordered: list[_Piece], values: list[bytes], prefix: bytes) -> list[tuple[int, int, bytes]]:
    """The new continuations where the old ones stood, in document order (the folding before each
    kept); more go after the last, fewer leave the rest out."""
    spans = sorted(ordered, key=lambda p: p.start)
    name, star = ordered[0].name, b"*" if ordered[0].encoded else b""
    written = [
        b"*%d%s=%s%s" % (index, star, prefix if index == 0 else b"", value) for index, value in enumerate(values)
    ]
    edits: list[tuple[int, int, bytes]] = []
    for index, piece in enumerate(spans):
        new = b";" + piece.gap + name + written[index] if index < len(written) else b""
        if index == len(spans) - 1:
            new += b"".join(b";" + piece.gap + name + rest for rest in written[len(spans) :])
        edits.append((piece.start, piece.end, new))
    return edits
