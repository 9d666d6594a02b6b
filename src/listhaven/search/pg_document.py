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
PostgreSQL re-read every document holding the word anywhere to check its weight.

Limits of the type: positions stop at 16,383 and a lexeme keeps 256 of them, so a phrase is found
only within roughly the first 16,000 words of a message; a vector holds at most 1 MB of lexemes.
The short fields come first, so only the end of very long bodies is affected.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

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
MAX_POSITION = 16383
MAX_POSITIONS_PER_LEXEME = 256
MAX_LEXEME_BYTES = 2040  # PostgreSQL refuses lexemes over 2047 bytes; room for the "~f" prefix
MAX_VECTOR_BYTES = 900_000  # below the 1 MB of lexeme text a tsvector can hold


def fold(text: str) -> str:
    """Lower case, compatibility-decomposed, without combining marks."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    if decomposed.isascii():
        return decomposed
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The lexemes of a text, in order (each cut to the length PostgreSQL accepts)."""
    return [w if len(w) <= _SURELY_FITS else _fit(w) for w in WORD.findall(fold(text))]


_SURELY_FITS = MAX_LEXEME_BYTES // 4  # characters of at most 4 bytes each


def _fit(word: str) -> str:
    if len(word.encode()) <= MAX_LEXEME_BYTES:
        return word
    return word.encode()[:MAX_LEXEME_BYTES].decode(errors="ignore")


def quote_lexeme(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


# "1A", "2A", ... for every position and weight, made once: the hot loop below only looks them up.
_LABELS = {w: [f"{p}{w}" for p in range(MAX_POSITION + 1)] for w in "ABCD"}


def tsvector_literal(document: SearchDocument) -> str:
    """The document's tsvector in PostgreSQL's input syntax (``'word':1A,7C 'other':2A``)."""
    positions: dict[str, list[str]] = {}
    budget = MAX_VECTOR_BYTES
    position = 0
    for field, prefix, weight in FIELDS:
        labels = _LABELS[weight]
        for word in words(getattr(document, field)):
            position += 1
            lexeme = prefix + word if prefix else word
            seen = positions.get(lexeme)
            if seen is None:
                budget -= (len(lexeme) if lexeme.isascii() else len(lexeme.encode())) + 8
                if budget < 0:
                    continue
                positions[lexeme] = seen = []
            if len(seen) < MAX_POSITIONS_PER_LEXEME:
                seen.append(labels[position if position < MAX_POSITION else MAX_POSITION])
        position += 1  # a gap, so no phrase runs from one field into the next
    # Lexemes are letters and digits (WORD) behind a "~" prefix at most: nothing to escape.
    return " ".join(f"'{lexeme}':{','.join(ps)}" for lexeme, ps in positions.items())


def literals(documents: Iterable[SearchDocument]) -> list[str]:
    return [tsvector_literal(d) for d in documents]
