"""Content filtering, as Mailman's: which MIME parts of a post a list passes on.

In this order, on the parsed message, in place:

1. A leaf part goes when its type matches `filter_types`, when `pass_types` is set and its type matches
   none of them, when its file name's extension is in `filter_extensions`, or when `pass_extensions` is
   set and the extension is not in it (a part without a file name passes the extension tests). A type
   is matched whole (``image/png``), by its main type (``image`` or ``image/*``), without case.
   Containers (``multipart/*``) are judged by what they hold, never by their own type, as the pass list of
   a Mailman list had to name them anyway; an attached message (``message/rfc822``) is a leaf.
2. ``text/html`` becomes ``text/plain`` (the text of the page) when `html_to_plaintext` is set.
3. A ``multipart/alternative`` is replaced by its first remaining part when `collapse_alternatives` is
   set (the plain text a sender's program put first).
4. A container left empty goes; a container left with one part is replaced by that part.

`filter_content` returns what it did; `Filtered.empty` says nothing is left, and the caller decides what
becomes of such a post (the list's `filter_action`). The depth walked is bounded: parts nested deeper
than `MAX_DEPTH` go, whatever they are (kept unjudged, they would carry what the lists remove past the
filter; no mail nests that deep but one made to).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage, Message

from listhaven.mail.charsets import decode_text
from listhaven.mail.html_text import html_to_text

MAX_DEPTH = 20
_CONTENT_FIELDS = ("Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "Content-Description",
                   "Content-ID", "MIME-Version")  # fmt: skip


@dataclass(frozen=True, slots=True)
class ContentRules:
    filter_types: tuple[str, ...] = ()
    pass_types: tuple[str, ...] = ()
    filter_extensions: tuple[str, ...] = ()
    pass_extensions: tuple[str, ...] = ()
    collapse_alternatives: bool = True
    html_to_plaintext: bool = False


@dataclass(slots=True)
class Filtered:
    removed: list[str] = field(default_factory=list)  # "image/png (photo.png)", for notes and notices
    converted: int = 0  # HTML parts turned into plain text
    collapsed: int = 0  # multipart/alternative parts replaced by their first part
    empty: bool = False  # nothing is left to send

    @property
    def changed(self) -> bool:
        return bool(self.removed or self.converted or self.collapsed)


def filter_content(message: EmailMessage, rules: ContentRules) -> Filtered:
    """Filters `message` in place by `rules` (see the module docstring)."""
    result = Filtered()
    kept = _filter(message, rules, result, 0)
    if kept is None:
        result.empty = True
    elif kept is not message:
        _replace(message, kept)
    return result


def _filter(part: Message, rules: ContentRules, result: Filtered, depth: int) -> Message | None:
    """The part to keep in `part`'s place (itself, changed or not, or one of its parts), or None."""
    if depth > MAX_DEPTH:
        result.removed.append(f"{part.get_content_type()} (nested more than {MAX_DEPTH} deep)")
        return None
    if not part.is_multipart() or part.get_content_maintype() != "multipart":
        return _leaf(part, rules, result)
    children = [kept for child in _children(part) if (kept := _filter(child, rules, result, depth + 1)) is not None]
    if not children:
        return None
    if part.get_content_subtype() == "alternative" and rules.collapse_alternatives and len(_children(part)) > 1:
        result.collapsed += 1
        return children[0]
    if len(children) == 1:
        return children[0]
    part.set_payload(children)  # type: ignore[arg-type]  # a multipart's payload is its list of parts
    return part


def _children(part: Message) -> list[Message]:
    payload = part.get_payload()
    return [child for child in payload if isinstance(child, Message)] if isinstance(payload, list) else []


def _leaf(part: Message, rules: ContentRules, result: Filtered) -> Message | None:
    content_type = part.get_content_type()
    filename = part.get_filename() or ""
    extension = filename.rpartition(".")[2].lower() if "." in filename else ""
    unwanted = (
        _matches(content_type, rules.filter_types)
        or (bool(rules.pass_types) and not _matches(content_type, rules.pass_types))
        or (bool(extension) and extension in _extensions(rules.filter_extensions))
        or (bool(rules.pass_extensions) and bool(extension) and extension not in _extensions(rules.pass_extensions))
    )
    if unwanted:
        result.removed.append(f"{content_type} ({filename})" if filename else content_type)
        return None
    if content_type == "text/html" and rules.html_to_plaintext and _to_plain(part):
        result.converted += 1
    return part


def _matches(content_type: str, patterns: tuple[str, ...]) -> bool:
    maintype = content_type.partition("/")[0]
    for pattern in patterns:
        wanted = pattern.strip().lower()
        if wanted in (content_type, maintype, f"{maintype}/*"):
            return True
    return False


def _extensions(given: tuple[str, ...]) -> set[str]:
    return {e.strip().lower().lstrip(".") for e in given if e.strip()}


def _to_plain(part: Message) -> bool:
    if not isinstance(part, EmailMessage):  # parsed with the compat32 policy: no set_content
        return False
    data = part.get_payload(decode=True)
    html, _ = decode_text(data if isinstance(data, bytes) else b"", part.get_content_charset())
    text = html_to_text(html)
    inline = str(part.get("Content-Disposition", "")).strip().lower().startswith("inline")
    had_version = "MIME-Version" in part
    part.set_content(text if text.endswith("\n") else text + "\n", subtype="plain", charset="utf-8",
                     disposition="inline" if inline else None)  # fmt: skip
    if not had_version:
        del part["MIME-Version"]  # set_content adds one; a part inside a multipart needs none
    return True


def _replace(message: Message, kept: Message) -> None:
    """Makes the top-level `message` hold what `kept` (one of its parts) holds, keeping its own headers."""
    for name in _CONTENT_FIELDS:
        del message[name]
    message["MIME-Version"] = "1.0"
    for name in _CONTENT_FIELDS[:-1]:
        for value in kept.get_all(name) or []:
            message[name] = value
    # The payload as stored, not get_payload()'s: that turns 8-bit text kept with surrogate escapes (as the
    # parser and set_content keep it) into characters the byte generator cannot write.
    message.set_payload(vars(kept)["_payload"])
