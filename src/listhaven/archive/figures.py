"""The figures of a list's archive as data, and the SQL they share.

`ListStats` is what `listhaven stats`, the list overview and the API show. It is built by
stats.py through the ORM and by sqlite_reads.py through the sqlite3 module (the command line's
quick path); both take the month counts from MONTHS_SQLITE. No Django here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

# Dates are stored as ISO text on SQLite: the first 7 characters are the month, and the
# (mailing_list, date) index covers the scan. TruncMonth would call Python per row.
MONTHS_SQLITE = (
    "SELECT substr(date, 1, 7), COUNT(*) FROM archive_message WHERE mailing_list_id = %s GROUP BY 1 ORDER BY 1"
)


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
