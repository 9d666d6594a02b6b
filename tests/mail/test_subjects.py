from __future__ import annotations

import pytest

from listhaven.mail.subjects import decode_subject, is_list_tag, is_reply_subject, normalise_subject


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("[Marxism] Reply to Louis", "Reply to Louis"),
        ("Re: [LTP] Re: [PATCH v2] foo", "[PATCH v2] foo"),
        ("[LTP] [PATCH v2] foo", "[PATCH v2] foo"),
        ("[PATCH v2] foo", "[PATCH v2] foo"),
        ("[PATCHv3 1/2] bar", "[PATCHv3 1/2] bar"),
        ("[RFC] idea", "[RFC] idea"),
        ("[ANNOUNCE] release", "[ANNOUNCE] release"),
        ("[Numpy-discussion] RE: Numeric2", "Numeric2"),
        ("Re: Re: RE: re: hi", "hi"),
        ("AW: Aw: Fwd: Fw: FW: SV: VS: Antw: x", "x"),
        ("Re[2]: Re^3: y", "y"),
        ("Re : spaced", "spaced"),
        ("  lots   of \t space  ", "lots of space"),
        ("Revisiting things", "Revisiting things"),
        ("Fwd:Re:[LTP]tight", "tight"),
        ("[OT] chat", "[OT] chat"),
        ("[1/3] numbered", "[1/3] numbered"),
        ("", ""),
    ],
)
def test_normalise_subject(subject: str, expected: str) -> None:
    assert normalise_subject(subject) == expected


def test_list_tag_rule() -> None:
    assert is_list_tag("LTP") and is_list_tag("Numpy-discussion") and is_list_tag("python.org")
    assert not any(map(is_list_tag, ["PATCH", "PATCH v2", "RFC", "GIT PULL", "1/3", "OT", ""]))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("=?utf-8?q?caf=C3=A9?= =?utf-8?q?_au_lait?=", "café au lait"),
        ("=?ISO-8859-1?B?SGVsbG8g5g==?=", "Hello æ"),
        ("=?utf-8?B?w6k?=", "é"),  # missing padding
        ("=?utf-8?q?unterminated", "=?utf-8?q?unterminated"),
        ("=?x-unknown?q?caf=E9?=", "café"),
        ("=?koi8-r?b?8NLJ18XU?=", "Привет"),
        ("=?utf-8?B?!!!?=", ""),
        ("folded\n\t  line", "folded line"),
        ("a\x00b\u202ec", "abc"),
    ],
)
def test_decode_subject(raw: str, expected: str) -> None:
    assert decode_subject(raw) == expected


def test_adjacent_words_join_split_multibyte_characters() -> None:
    # "é" is C3 A9; a sender split it across two encoded words.
    assert decode_subject("=?utf-8?q?caf=C3?= =?utf-8?q?=A9?=") == "café"


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Re: Garden party", True),
        ("RE: Garden party", True),
        ("WG: Garden party", True),
        ("Odp: Garden party", True),
        ("Antwort: Garden party", True),
        ("AW: Re[2]: Garden party", True),
        ("[Test] Re: Garden party", True),
        ("[PATCH v2] Re: foo", True),
        ("Fwd: Garden party", True),
        ("Garden party", False),
        ("[Test] Garden party", False),
        ("Regarding: the party", False),
        ("Reply all", False),
        ("", False),
    ],
)
def test_is_reply_subject(subject: str, expected: bool) -> None:
    assert is_reply_subject(subject) is expected
