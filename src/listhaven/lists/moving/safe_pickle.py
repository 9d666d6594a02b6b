"""Reading Mailman 2's config.pck without running anything it names.

A pickle is a program: GLOBAL/STACK_GLOBAL name any importable callable and REDUCE calls it, so
`pickle.load` on a file from another host can run `os.system`. Mailman 2.1 writes a plain dict
(``marshal``-able values: str, unicode, int, long, float, bool, None, list, tuple, dict) with
protocol 1 or 2; the only names it refers to are ``__builtin__.set`` (a set of addresses on some
lists) and the bounce records of ``bounce_info``, instances of ``Mailman.Bouncer._BounceInfo``.
Every name goes through `find_class`: the two set types are allowed, `_BounceInfo` becomes an inert
`BounceRecord` (its state is kept as a dict; no Mailman code is imported or called), anything else
stops the read with `UnsafePickle` before a single object is built from it.

Python 2's `str` arrives as bytes (``encoding="bytes"``) and is decoded here: UTF-8 when it is
valid, else the list's charset (Latin-1 for the English default).
"""

from __future__ import annotations

import io
import pickle
import re
from email.header import Header as EmailHeader
from typing import Any

_ALLOWED = {("__builtin__", "set"): set, ("builtins", "set"): set,
            ("__builtin__", "frozenset"): frozenset, ("builtins", "frozenset"): frozenset}  # fmt: skip
_BOUNCE_INFO = ("Mailman.Bouncer", "_BounceInfo")
# A held post's pickle (data/heldmsg-LIST-N.pck): the message object Mailman held, its header
# objects and charsets. Each becomes an inert record of its state; nothing of Mailman's or of
# Python 2's email package is imported or called.
_MESSAGE = {("Mailman.Message", "Message"), ("email.message", "Message"), ("email.Message", "Message")}
_HEADER = {("email.header", "Header"), ("email.Header", "Header")}
_CHARSET = {("email.charset", "Charset"), ("email.Charset", "Charset")}


class UnsafePickle(ValueError):
    """The file names something a Mailman 2 config.pck never holds: it was not read."""


class BounceRecord:
    """Mailman 2's `_BounceInfo`, as data: score, date, notices left. Never has behaviour."""

    def __init__(self, *args: Any) -> None:
        self.state: dict[str, Any] = {}

    def __setstate__(self, state: Any) -> None:
        self.state = dict(state) if isinstance(state, dict) else {}


class MessageRecord(BounceRecord):
    """A held post as Python 2's email package pickled it: its state (``_headers``, ``_payload``,
    ``preamble``, ``epilogue``), byte strings kept as bytes. `flatten` gives its text back."""


class HeaderRecord(BounceRecord):
    """An ``email.header.Header`` value: its ``_chunks`` of (text, charset)."""


class CharsetRecord(BounceRecord):
    """An ``email.charset.Charset``: its ``input_charset``."""


class _Restricted(pickle.Unpickler):
    def __init__(self, file: Any, messages: bool = False) -> None:
        super().__init__(file, encoding="bytes")
        self.messages = messages

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED:
            return _ALLOWED[(module, name)]
        if (module, name) == _BOUNCE_INFO:
            return BounceRecord
        if self.messages and (module, name) in _MESSAGE:
            return MessageRecord
        if self.messages and (module, name) in _HEADER:
            return HeaderRecord
        if self.messages and (module, name) in _CHARSET:
            return CharsetRecord
        raise UnsafePickle(
            f"refusing to read this config.pck: it refers to {module}.{name}, which a Mailman 2 list's "
            "configuration never holds (only plain values); nothing was run and nothing was imported"
        )

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickle("refusing to read this config.pck: it holds a persistent reference")


def load_config(data: bytes, charset: str = "latin-1") -> dict[str, Any]:
    """The dict of a config.pck's bytes, with Python 2 byte strings decoded. Raises UnsafePickle,
    or ValueError when the bytes are not a pickled dict."""
    loaded = _load(data, "config.pck")
    if not isinstance(loaded, dict):
        raise ValueError(f"this is not a Mailman 2 config.pck: it holds a {type(loaded).__name__}, not a dict")
    result = _decode(loaded, charset)
    assert isinstance(result, dict)
    return result


def _load(data: bytes, what: str, messages: bool = False) -> Any:
    """The object pickled in `data`, read by the restricted reader. Raises UnsafePickle, or ValueError
    naming `what` when the bytes cannot be read."""
    try:
        return _Restricted(io.BytesIO(data), messages=messages).load()
    except UnsafePickle:
        raise
    except Exception as exc:
        raise ValueError(f"this is not a readable {what} ({type(exc).__name__}: {exc})") from exc


def _decode(value: Any, charset: str) -> Any:
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value.decode(charset, errors="replace")
    if isinstance(value, dict):
        return {_decode(k, charset): _decode(v, charset) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return type(value)(_decode(v, charset) for v in value)
    if isinstance(value, BounceRecord):
        value.state = {_decode(k, charset): _decode(v, charset) for k, v in value.state.items()}
    return value


def load_held_message(data: bytes) -> bytes:
    """The text of a held post's pickle (Mailman 2's data/heldmsg-LIST-N.pck), read with the same
    restricted reader, which here also takes the message, header and charset objects as records.
    Raises UnsafePickle, or ValueError when it holds no message."""
    loaded = _load(data, "held message", messages=True)
    if not isinstance(loaded, MessageRecord):
        raise ValueError(f"this is not a Mailman 2 held message: it holds a {type(loaded).__name__}")
    return flatten(loaded)


def flatten(message: MessageRecord) -> bytes:
    """A message record's text: its header fields as kept, a blank line, its payload; a multipart
    payload's parts each after its boundary line."""
    state = message.state
    lines = []
    boundary = b""
    for field in state.get(b"_headers") or []:
        if not isinstance(field, (tuple, list)) or len(field) != 2:
            continue
        name, value = _bytes(field[0]), _header_value(field[1])
        lines.append(name + b": " + value)
        if name.lower() == b"content-type":
            found = re.search(rb'boundary\s*=\s*"?([^";]+)"?', value, re.IGNORECASE)
            boundary = found.group(1) if found else boundary
    out = b"\n".join(lines) + b"\n\n"
    payload = state.get(b"_payload")
    if isinstance(payload, list):
        boundary = boundary or b"==held-part-boundary=="
        out += _bytes(state.get(b"preamble") or b"")
        for part in payload:
            if isinstance(part, MessageRecord):
                out += b"\n--" + boundary + b"\n" + flatten(part)
        out += b"\n--" + boundary + b"--\n" + _bytes(state.get(b"epilogue") or b"")
    elif payload is not None:
        out += _bytes(payload)
    return out


def _header_value(value: Any) -> bytes:
    if not isinstance(value, HeaderRecord):
        return _bytes(value)
    text = ""
    for chunk in value.state.get(b"_chunks") or []:
        piece, charset = (chunk[0], chunk[1]) if isinstance(chunk, (tuple, list)) and len(chunk) == 2 else (chunk, None)
        if isinstance(piece, bytes):
            name = charset.state.get(b"input_charset") if isinstance(charset, CharsetRecord) else None
            try:
                piece = piece.decode(_bytes(name or b"latin-1").decode("ascii", "replace"), errors="replace")
            except LookupError:
                piece = piece.decode("latin-1")
        text += str(piece)
    if text.isascii():
        return text.encode("ascii")
    return EmailHeader(text, "utf-8").encode().encode("ascii")


def _bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8", "surrogateescape")
