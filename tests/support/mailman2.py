"""Mailman 2.1 lists as files, for the move tests: config.pck written the way Python 2 pickles a
Mailman list's dict (`pickle.dump(dict, fp, protocol)`), and the archive mbox.

Python 3's pickler cannot write Python 2's byte strings (it turns bytes into a call of
``_codecs.encode``), so `py2_pickle` writes the opcodes Python 2's pickler emits: SHORT_BINSTRING/
BINSTRING for ``str`` (encoded in the list's charset), BINUNICODE for ``unicode``, BININT*/LONG1,
NEWTRUE/NEWFALSE, BINFLOAT, EMPTY_DICT+SETITEMS, EMPTY_LIST+APPENDS, TUPLE1..3/TUPLE, ``set`` as
``__builtin__.set`` called on a list, and ``_BounceInfo`` (an old-style class) with OBJ and BUILD.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any


class Unicode(str):
    """A Python 2 ``unicode`` value (Mailman stores some texts as unicode, most as str)."""


@dataclass
class BounceInfo:
    """Mailman.Bouncer._BounceInfo's attributes."""

    member: str
    score: float
    date: tuple[int, int, int]
    noticesleft: int


@dataclass
class Py2Message:
    """Mailman.Message.Message as a held post's pickle holds it (an old-style instance of Python 2's
    email package): header fields as (name, value) pairs, a payload text or a list of parts."""

    headers: list[tuple[str, Any]]
    payload: Any
    module: str = "Mailman.Message"


@dataclass
class Header:
    """email.header.Header: its chunks of (unicode text, charset)."""

    chunks: list[tuple[str, Any]]


@dataclass
class Charset:
    """email.charset.Charset."""

    input_charset: str


def py2_pickle(value: Any, protocol: int = 2, charset: str = "latin-1") -> bytes:
    out = bytearray(b"\x80\x02" if protocol == 2 else b"")
    _write(out, value, (charset, protocol))
    return bytes(out + b".")


def _write(out: bytearray, value: Any, opts: tuple[str, int]) -> None:
    if value is None:
        out += b"N"
    elif value is True or value is False:
        out += (b"\x88" if value else b"\x89") if opts[1] == 2 else (b"I01\n" if value else b"I00\n")
    elif isinstance(value, int):
        _write_int(out, value, opts[1])
    elif isinstance(value, float):
        out += b"G" + struct.pack(">d", value)
    elif isinstance(value, Unicode):
        data = value.encode("utf-8")
        out += b"X" + struct.pack("<I", len(data)) + data
    elif isinstance(value, (str, bytes)):
        data = value.encode(opts[0]) if isinstance(value, str) else value
        out += (b"U" + bytes([len(data)]) if len(data) < 256 else b"T" + struct.pack("<i", len(data))) + data
    elif isinstance(value, tuple):
        _write_tuple(out, value, opts)
    elif isinstance(value, list):
        out += b"]"
        _write_batched(out, value, b"e", opts)
    elif isinstance(value, dict):
        out += b"}"
        _write_batched(out, [x for kv in value.items() for x in kv], b"u", opts)
    elif isinstance(value, set):
        out += b"c__builtin__\nset\n"
        _write(out, (sorted(value),), opts)
        out += b"R"
    elif isinstance(value, BounceInfo):
        out += b"(cMailman.Bouncer\n_BounceInfo\no"
        _write(out, dict(vars(value)), opts)
        out += b"b"
    elif isinstance(value, Py2Message):
        out += f"(c{value.module}\nMessage\no".encode()
        state = {"_headers": value.headers, "_payload": value.payload, "_charset": None, "_unixfrom": None,
                 "preamble": None, "epilogue": "", "defects": [], "_default_type": "text/plain"}  # fmt: skip
        _write(out, state, opts)
        out += b"b"
    elif isinstance(value, Header):
        out += b"(cemail.header\nHeader\no"
        _write(out, {"_chunks": value.chunks, "_continuation_ws": " ", "_maxlinelen": 76}, opts)
        out += b"b"
    elif isinstance(value, Charset):
        out += b"(cemail.charset\nCharset\no"
        _write(out, {"input_charset": value.input_charset, "output_charset": value.input_charset}, opts)
        out += b"b"
    else:
        raise TypeError(f"Mailman 2 configs hold no {type(value).__name__}")


def _write_int(out: bytearray, value: int, protocol: int) -> None:
    if 0 <= value < 256:
        out += b"K" + bytes([value])
    elif 0 <= value < 65536:
        out += b"M" + struct.pack("<H", value)
    elif -(2**31) <= value < 2**31:
        out += b"J" + struct.pack("<i", value)
    elif protocol < 2:
        out += b"L%dL\n" % value
    else:
        data = value.to_bytes((value.bit_length() + 8) // 8, "little", signed=True)
        out += b"\x8a" + bytes([len(data)]) + data


def _write_tuple(out: bytearray, value: tuple[Any, ...], opts: tuple[str, int]) -> None:
    if not value:
        out += b")"
        return
    small = len(value) <= 3 and opts[1] == 2
    if not small:
        out += b"("
    for item in value:
        _write(out, item, opts)
    out += {1: b"\x85", 2: b"\x86", 3: b"\x87"}[len(value)] if small else b"t"


def _write_batched(out: bytearray, items: list[Any], op: bytes, opts: tuple[str, int]) -> None:
    step = 1000 if op == b"e" else 2000  # Python 2 batches 1000 appends or 1000 key/value pairs
    for start in range(0, len(items), step):
        out += b"("
        for item in items[start : start + step]:
            _write(out, item, opts)
        out += op


DEFAULT_FOOTER = (
    "_______________________________________________\n"
    "%(real_name)s mailing list\n"
    "%(real_name)s@%(host_name)s\n"
    "%(web_page_url)slistinfo%(cgiext)s/%(_internal_name)s\n"
)


def hostile_pickle(marker_path: str) -> bytes:
    """A config.pck that would run a shell command if it were loaded with pickle.load."""
    return b"cos\nsystem\n(S'touch " + marker_path.encode() + b"'\ntR."


def pipermail_article(list_address: str, number: int, message_id: str, subject: str) -> bytes:
    """The head of a Pipermail (Mailman 2.1) article page, ``NNNNNN.html``: its reply link carries
    the message's own Message-ID, URL-quoted (archtemplate article.html)."""
    from urllib.parse import quote

    made = f"mailto:{quote(list_address)}?Subject=Re%3A%20{quote(subject)}&In-Reply-To={quote('<' + message_id + '>')}"
    return (
        '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">\n<HTML>\n <HEAD>\n'
        f"   <TITLE> {subject}\n   </TITLE>\n"
        '   <LINK REL="Index" HREF="index.html" >\n'
        f'   <LINK REL="made" HREF="{made}">\n'
        f'   <LINK REL="Next"  HREF="{number + 1:06d}.html">\n </HEAD>\n <BODY BGCOLOR="#ffffff">\n'
        f"   <H1>{subject}</H1>\n</BODY></HTML>\n"
    ).encode()
