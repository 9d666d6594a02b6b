"""What a reader may see of the archive, as data: the column that hides a removed message.

`models/message.py` builds `VISIBLE` (the ORM's condition) from it and `visible_sql` says the same
in SQL; this module imports nothing, so the command line's quick path (archive/sqlite_reads.py)
applies the very same rule without Django.
"""

from __future__ import annotations

HIDDEN_FLAG = "redacted"  # a removed message keeps its row; this column says it is removed


def visible_sql(alias: str) -> str:
    """`VISIBLE` as a condition over the message table called `alias`, for hand-written SQL."""
    return f"NOT {alias}.{HIDDEN_FLAG}"
