"""Subjects: decoding, and the normalised form used to compare and sort them.

Rule for bracketed tags at the start (after any reply prefixes): a tag is a *list tag*
and is removed when it is one word (letters, digits, ``.``, ``_``, ``-``, ``+``,
starting with a letter) that is not a patch/announcement keyword: ``[LTP]``,
``[Numpy-discussion]``, ``[Marxism]`` go; ``[PATCH v2]``, ``[PATCHv3]``, ``[RFC]``,
``[ANNOUNCE]``, ``[GIT PULL]``, ``[OT]``, ``[1/3]`` stay, because they say what the
message is, not where it was sent. Removal stops at the first tag that stays.
"""

from __future__ import annotations

import re

from listhaven.mail.encoded_words import decode_words

_PREFIX = re.compile(
    r"\s*(?:re|aw|fwd?|sv|vs|antw|antwort|wg|odp|r[eé]f)\s*(?:\[\d+\]|\^\d+|\(\d+\))?\s*:",
    re.IGNORECASE,
)
_TAG = re.compile(r"\s*\[([^\[\]]{0,60})\]")
_LIST_TAG = re.compile(r"[A-Za-z][\w.+-]*")
_KEEP_PREFIXES = ("PATCH", "RFC", "ANN", "PULL", "GIT", "RESEND", "REPOST")
_KEEP_WORDS = {
    "OT", "WIP", "BUG", "FIX", "SECURITY", "DRAFT", "SOLVED", "RESOLVED", "CFT", "VOTE", "RESULT",
    "DISCUSS", "JOB", "JOBS", "OFFTOPIC", "OFF-TOPIC", "RELEASE", "ADMIN", "QUESTION", "HELP", "URGENT",
    "FYI", "TIP", "NEWS", "INFO", "EVENT", "CVE",
}
_SPACE = re.compile(r"\s+")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
MAX_SUBJECT_CHARS = 1000


def decode_subject(raw: str | None) -> str:
    """The Subject as readers see it: RFC 2047 decoded, folding whitespace unfolded, one line."""
    if not raw:
        return ""
    text = decode_words(raw[: MAX_SUBJECT_CHARS * 4])
    text = _SPACE.sub(" ", text).strip()
    if _UNSAFE.search(text):
        text = _UNSAFE.sub("", text)
    return text[:MAX_SUBJECT_CHARS]


def is_list_tag(content: str) -> bool:
    """True for ``LTP``, ``Numpy-discussion``; False for ``PATCH v2``, ``RFC``, ``OT``, ``1/3``."""
    token = content.strip()
    if not _LIST_TAG.fullmatch(token):
        return False
    upper = token.upper()
    return upper not in _KEEP_WORDS and not upper.startswith(_KEEP_PREFIXES)


def is_reply_subject(subject: str) -> bool:
    """True when `subject` starts, after any bracketed tags, with a reply or forward prefix.

    ``Re: x``, ``[LTP] Re: x``, ``AW: x``, ``WG: x``, ``Odp: x``, ``Antwort: x``, ``Fwd: x``. The one
    test of "looks like a reply": threading's subject rule and the pages' "Re:" both use it."""
    text = subject
    while _PREFIX.match(text) is None:
        tag = _TAG.match(text)
        if tag is None:
            return False
        text = text[tag.end() :]
    return True


def normalise_subject(subject: str) -> str:
    """`subject` without reply/forward prefixes and list tags at its start, whitespace collapsed.

    ``Re: [LTP] Re: [PATCH v2] foo`` → ``[PATCH v2] foo``; ``AW: Re[2]: [Marxism] x`` → ``x``.
    """
    text = subject
    while True:
        match = _PREFIX.match(text)
        if match is None:
            match = _TAG.match(text)
            if match is None or not is_list_tag(match.group(1)):
                break
        text = text[match.end() :]
    return _SPACE.sub(" ", text).strip()
