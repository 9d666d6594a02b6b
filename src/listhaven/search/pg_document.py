"""A `SearchDocument` as a PostgreSQL ``tsvector``, tokenized here rather than by PostgreSQL.

PostgreSQL's own parser treats ``alice@example.com``, ``x86-64``, ``3.14`` and file paths as
single tokens (and, in the C locale, any non-ASCII character as a letter), so ``from:alice`` would
miss the address. Tokenizing in Python gives the query language's rule on both sides: letters and
digits make words, case and accents are ignored (NFKD, combining marks dropped). The result is a
``tsvector`` literal — quoted lexemes with positions and weights — cast by the database with no
dictionary in between.

One vector per message; weights tell the fields apart and rank them:

    subject A · sender B · own body C · quoted body D

Recipients and attachment names are lexemes of their own, prefixed ``~r`` and ``~f``: a query
word (letters and digits only) can never start with ``~``, so free words and prefixes never reach
them, while ``to:`` and ``filename:`` ask for them by name. Free words ask for ``~f`` too, since
file names belong to the usual text (recipients do not: every message is "to" its list).
Subject and sender words are also written a second time, prefixed ``~t`` and ``~s``: the GIN
index answers ``subject:`` and ``from:`` exactly from those, where a weight (``'x':A``) would make
PostgreSQL re-read every document holding the word anywhere to check its weight. For the same
reason each two words that follow each other in the subject, sender or text are a lexeme too
(``~pword~next``, no position: PAIR), from which a two-word phrase is answered.

Limits of the type: positions stop at 16,383 and a lexeme keeps 256 of them, so a phrase of more
than two words is found only within roughly the first 16,000 words of a message (a pair holds no
position); a vector holds at most 1 MB of lexemes.
The short fields come first, so only the end of very long bodies is affected.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from itertools import pairwise

from listhaven.search.base import SearchDocument

WORD = re.compile(r"[^\W_]+")
RECIPIENT = "~r"
FILENAME = "~f"
SUBJECT = "~t"
SENDER = "~s"
# (field, lexeme prefix, weight), short fields first so their positions stay exact.
FIELDS = (
    ("subject", "", "A"),
    ("sender", "", "B"),
    ("subject", SUBJECT, "A"),
    ("sender", SENDER, "B"),
    ("filenames", FILENAME, "B"),
    ("recipients", RECIPIENT, "D"),
    ("body", "", "C"),
    ("quoted", "", "D"),
)
# Each two words that follow each other in a field written bare (subject, sender, own and quoted
# text) are also one lexeme without a position, "~pword~next" (dropped where the two words are longer
# than PAIR_CHARS together). The GIN index answers a two-word phrase exactly from it (pg_query), where
# a phrase of positions ('word' <-> 'next') makes PostgreSQL read again every vector holding both
# words to compare their positions: ~10,000 vectors, half of them out of line, to count "test suite"
# on the generated million (55-88 ms). Pairs come after every word, within the vector's budget; a
# vector whose pairs stopped short holds PAIRS_CUT, and its phrases are checked by positions.
PAIR = "~p"
PAIR_CHARS = 48
PAIRS_CUT = "~pcut"  # a pair always holds a second "~"
MAX_POSITION = 16383
MAX_POSITIONS_PER_LEXEME = 256
MAX_LEXEME_BYTES = 2040  # PostgreSQL refuses lexemes over 2047 bytes; room for the "~f" prefix
MAX_VECTOR_BYTES = 900_000  # below the 1 MB of lexeme text a tsvector can hold


def fold(text: str) -> str:
    """Compatibility-decomposed, lower case, without combining marks. Lowered after decomposing:
    compatibility characters decompose to capitals (™ to "TM", ℍ and mathematical letters to plain
    ones), which lowering first would leave in the lexemes, out of reach of a query typed in lower
    case (archive migration 0015 re-indexed the messages whose vectors held such capitals)."""
    folded = unicodedata.normalize("NFKD", text).lower()
    if folded.isascii():
        return folded
    return folded.translate(_UNMARKED)


class _Unmarked(dict[int, int | None]):
    """str.translate's table dropping combining marks: each character asked about once, then
    answered from the dict (a generator over the characters cost a third of building a vector)."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.combining(chr(code)) else code
        self[code] = kept
        return kept


_UNMARKED = _Unmarked()


def words(text: str) -> list[str]:
    """The lexemes of a text, in order (each cut to the length PostgreSQL accepts)."""
    folded = fold(text)
    found = (_ASCII_WORD if folded.isascii() else WORD).findall(folded)
    return [w if len(w) <= _SURELY_FITS else _fit(w) for w in found]


# WORD on folded ASCII text (lower case): the same matches, without a Unicode category per character
# (six times faster on message bodies).
_ASCII_WORD = re.compile(r"[a-z0-9]+")


_SURELY_FITS = MAX_LEXEME_BYTES // 4  # characters of at most 4 bytes each


def _fit(word: str) -> str:
    if len(word.encode()) <= MAX_LEXEME_BYTES:
        return word
    return word.encode()[:MAX_LEXEME_BYTES].decode(errors="ignore")


def quote_lexeme(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


# "1A", "2A", ... for every position and weight, made once: the hot loop below only looks them up.
_LABELS = {w: [f"{p}{w}" for p in range(MAX_POSITION + 1)] for w in "ABCD"}
_LAST = {w: labels[MAX_POSITION] for w, labels in _LABELS.items()}


@dataclass(frozen=True, slots=True)
class Vectors:
    """A document's two vectors in PostgreSQL's input syntax, and its length as PostgreSQL counts it.

    `document` holds every field and answers matching. `head` is the part ranking reads: each of the
    document's positions in the subject, sender and file names, the first RANK_RECIPIENT_WORDS of the
    recipients, the first RANK_TEXT_WORDS of the text (own lines, then quoted ones). A message's
    vector is ~3 KB on a list of patches, kept out of line (TOAST): ranking 5,000 candidates on it
    read 5,000 of them again; a head (~1.4 KB) stays in its row. `words` is the document's number
    of positions (a lexeme without one counts 1), which ranking divides by as ts_rank's
    normalization 1 would on the whole document. postgres.HEAD_SQL computes the same head from a
    stored vector (the migration that added it; tests/postgres compare the two)."""

    document: str
    head: str
    words: int


# Each vector also holds one lexeme without a position naming its block of message ids: "~i3" for
# ids 12,288-16,383. Ranking a common word takes its newest matches; asking the GIN index for the
# word and the newest blocks together visits only those (postgres.py, _candidates).
ID_BLOCK = "~i"
ID_BLOCK_SIZE = 4096
# And one naming its list, "~l7" for the list of id 7, written by postgres.index from the stored row
# (a document does not know its list). A search within one list asks for it beside its words, so that
# the GIN index answers the list as it answers the words, where ``list_id = 7`` is tested on each
# matching row: "parser", common on the generated million but in one list 685 times, visited all
# 175,942 rows holding it to keep those (38 ms).
LIST = "~l"
RANK_RECIPIENT_WORDS = 16
RANK_TEXT_WORDS = 96
# Which part of the head a field's positions belong to: short fields whole, the others counted.
_HEAD_GROUP = {"subject": 0, "sender": 0, "filenames": 0, "recipients": 1, "body": 2, "quoted": 2}
_HEAD_LIMIT = (MAX_POSITION + 1, RANK_RECIPIENT_WORDS, RANK_TEXT_WORDS)


def vectors(document: SearchDocument) -> Vectors:
    """The document's vectors (``'word':1A,7C 'other':2A``). Positions are kept in position order,
    so the head's "first N words" are the first N kept."""
    positions: dict[str, list[str]] = {}
    head: dict[str, list[str]] = {}
    taken = [0, 0, 0]
    budget = MAX_VECTOR_BYTES
    position = 0
    split: dict[str, list[str]] = {}  # subject and sender come twice in FIELDS
    paired: list[str] = []  # the pair lexemes, in order (PostgreSQL keeps one of each)
    for field, prefix, weight in FIELDS:
        found = split.get(field)
        if found is None:
            found = split[field] = words(getattr(document, field))
        if prefix:
            found = [prefix + word for word in found]
        else:
            paired += _pairs(found)
        group = _HEAD_GROUP[field]
        if position + len(found) >= MAX_POSITION:
            budget = _near_the_end(found, weight, group, position, positions, head, taken, budget)
            position += len(found) + 1
            continue
        # Every position of this field has its own label: the loops below are _near_the_end's
        # without the checks that cannot fail here, the head's while it takes words, then the rest.
        pairs = zip(found, _LABELS[weight][position + 1 : position + 1 + len(found)])
        room = _HEAD_LIMIT[group] - taken[group]
        if room > 0:
            for lexeme, label in pairs:
                seen = positions.get(lexeme)
                if seen is None:
                    budget -= (len(lexeme) if lexeme.isascii() else len(lexeme.encode())) + 8
                    if budget < 0:
                        continue
                    positions[lexeme] = [label]
                elif len(seen) < MAX_POSITIONS_PER_LEXEME:
                    seen.append(label)
                else:
                    continue
                kept = head.get(lexeme)
                if kept is None:
                    head[lexeme] = [label]
                else:
                    kept.append(label)
                room -= 1
                if not room:
                    break
            taken[group] = _HEAD_LIMIT[group] - room
        for lexeme, label in pairs:
            seen = positions.get(lexeme)
            if seen is None:
                budget -= (len(lexeme) if lexeme.isascii() else len(lexeme.encode())) + 8
                if budget >= 0:
                    positions[lexeme] = [label]
            elif len(seen) < MAX_POSITIONS_PER_LEXEME:
                seen.append(label)
        position += len(found) + 1  # a gap, so no phrase runs from one field into the next
    block = f"'{ID_BLOCK}{document.rowid // ID_BLOCK_SIZE}'"
    count = sum(map(len, positions.values()))
    parts = [_literal(positions)] if positions else []
    if paired:
        parts.append(_pairs_literal(paired, budget))
    parts.append(block)
    return Vectors(" ".join(parts), _literal(head), count)


def pair(first: str, second: str) -> str | None:
    """The lexeme of two words that follow each other (PAIR), None where they are too long for one."""
    return f"{PAIR}{first}~{second}" if len(first) + len(second) <= PAIR_CHARS else None


def _pairs(found: list[str]) -> list[str]:
    if not found:
        return []
    if 2 * max(map(len, found)) <= PAIR_CHARS:  # the usual text: no pair too long, no test each
        return list(map(_PAIR_FORMAT, found, found[1:]))
    return [lexeme for a, b in pairwise(found) if (lexeme := pair(a, b)) is not None]


_PAIR_FORMAT = (PAIR + "{}~{}").format


def _pairs_literal(pairs: list[str], budget: int) -> str:
    """The pairs as lexemes without positions, as many as the budget left holds (then PAIRS_CUT)."""
    if 4 * (sum(map(len, pairs)) + 4 * len(pairs)) <= budget:  # surely all (4 bytes a character at most)
        return "'" + "' '".join(pairs) + "'"
    kept = []
    for lexeme in pairs:
        budget -= (len(lexeme) if lexeme.isascii() else len(lexeme.encode())) + 4
        if budget < 0:
            kept.append(PAIRS_CUT)
            break
        kept.append(lexeme)
    return "'" + "' '".join(kept) + "'"


def _near_the_end(
    found: list[str],
    weight: str,
    group: int,
    position: int,
    positions: dict[str, list[str]],
    head: dict[str, list[str]],
    taken: list[int],
    budget: int,
) -> int:
    """A field whose positions reach MAX_POSITION, word by word; returns the budget left."""
    labels = _LABELS[weight]
    for lexeme in found:
        position += 1
        seen = positions.get(lexeme)
        if seen is None:
            budget -= (len(lexeme) if lexeme.isascii() else len(lexeme.encode())) + 8
            if budget < 0:
                continue
            positions[lexeme] = seen = []
        if len(seen) >= MAX_POSITIONS_PER_LEXEME:
            continue
        if position < MAX_POSITION:
            label = labels[position]
        elif seen and seen[-1] in _LAST.values():
            continue  # PostgreSQL keeps one entry per position: past the last one, one label
        else:
            label = labels[MAX_POSITION]
        seen.append(label)
        if taken[group] < _HEAD_LIMIT[group]:
            taken[group] += 1
            head.setdefault(lexeme, []).append(label)
    return budget


def _literal(positions: dict[str, list[str]]) -> str:
    # Lexemes are letters and digits (WORD) behind a "~" prefix at most: nothing to escape.
    return " ".join(f"'{lexeme}':{','.join(ps)}" for lexeme, ps in positions.items())


def tsvector_literal(document: SearchDocument) -> str:
    """The document's whole tsvector in PostgreSQL's input syntax."""
    return vectors(document).document
