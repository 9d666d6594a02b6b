"""The figures of a list's archive as data, and the SQL they share.

`ListStats` is what `listhaven stats`, the list overview and the API show. It is built by
stats.py through the ORM and by sqlite_reads.py through the sqlite3 module (the command line's
quick path); both take the month counts from MONTHS_SQL. No Django here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

# A list's months and their messages, oldest first: the table archive/month_counts.py keeps (its
# triggers count each message stored, deleted or moved), read in O(months) on both databases.
MONTHS_SQL = "SELECT month, messages FROM archive_month_count WHERE list_id = %s ORDER BY month"


@dataclass
class ListStats:
    list: str
    messages: int
    threads: int
    authors: int
    quarantined: int
    first_date: datetime | None
    last_date: datetime | None
    months: list[tuple[str, int]]  # ("YYYY-MM", count), oldest first

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["first_date"] = self.first_date.isoformat() if self.first_date else None
        data["last_date"] = self.last_date.isoformat() if self.last_date else None
        data["months"] = [{"month": m, "messages": n} for m, n in self.months]
        return data
