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
from typing import Any

_ALLOWED = {("__builtin__", "set"): set, ("builtins", "set"): set,
            ("__builtin__", "frozenset"): frozenset, ("builtins", "frozenset"): frozenset}  # fmt: skip
_BOUNCE_INFO = ("Mailman.Bouncer", "_BounceInfo")


class UnsafePickle(ValueError):
    """The file names something a Mailman 2 config.pck never holds: it was not read."""


class BounceRecord:
    """Mailman 2's `_BounceInfo`, as data: score, date, notices left. Never has behaviour."""

    def __init__(self, *args: Any) -> None:
        self.state: dict[str, Any] = {}

    def __setstate__(self, state: Any) -> None:
        self.state = dict(state) if isinstance(state, dict) else {}


class _Restricted(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED:
            return _ALLOWED[(module, name)]
        if (module, name) == _BOUNCE_INFO:
            return BounceRecord
        raise UnsafePickle(
            f"refusing to read this config.pck: it refers to {module}.{name}, which a Mailman 2 list's "
            "configuration never holds (only plain values); nothing was run and nothing was imported"
        )

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickle("refusing to read this config.pck: it holds a persistent reference")


def load_config(data: bytes, charset: str = "latin-1") -> dict[str, Any]:
    """The dict of a config.pck's bytes, with Python 2 byte strings decoded. Raises UnsafePickle,
    or ValueError when the bytes are not a pickled dict."""
    try:
        loaded = _Restricted(io.BytesIO(data), encoding="bytes").load()
    except UnsafePickle:
        raise
    except Exception as exc:
        raise ValueError(f"this is not a readable config.pck ({type(exc).__name__}: {exc})") from exc
    if not isinstance(loaded, dict):
        raise ValueError(f"this is not a Mailman 2 config.pck: it holds a {type(loaded).__name__}, not a dict")
    result = _decode(loaded, charset)
    assert isinstance(result, dict)
    return result


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
