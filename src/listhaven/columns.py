"""Aligned plain-text columns for the command line's listings (lists, stats, threads, search).

These commands answer in well under 150 ms whole-process, like `mu find`; importing rich to draw
a table would cost a third of that. So they print plain columns, one row per line, as mu and
notmuch do: easy to read, and to cut with `awk` or `cut`. Use --json for a program.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

MAX_CELL = 72  # a longer cell (a subject, a description) is cut with an ellipsis


def print_columns(headers: Sequence[str], rows: Sequence[Sequence[object]], out: TextIO | None = None) -> None:
    """The header, a rule under it, then the rows; each column as wide as its widest cell."""
    table = [[_cell(value) for value in row] for row in [headers, *rows]]
    widths = [max(len(row[i]) for row in table) for i in range(len(headers))]
    table.insert(1, ["-" * width for width in widths])
    lines = ("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in table)
    (out or sys.stdout).write("\n".join(lines) + "\n")


def _cell(value: object) -> str:
    text = " ".join(str("" if value is None else value).split())  # one line, whatever the value held
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"
