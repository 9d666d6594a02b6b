"""What a move from another list server did: what was imported, and each thing that was not."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class MoveReport:
    """`imported`: one line per thing carried over. `not_carried`: each setting or datum the list
    had that Listhaven has no equivalent for, named with why, so nothing is dropped silently.
    `problems`: entries that could not be taken (an invalid address) with the reason."""

    source: str
    list_address: str = ""
    imported: list[str] = field(default_factory=list)
    not_carried: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    dry_run: bool = False  # nothing was changed: the report says what the move would do

    def render(self) -> str:
        if self.dry_run:
            lines = [f"Dry run: nothing was changed. Moving {self.list_address} from {self.source} would do this.",
                     "", "Would be imported:"]  # fmt: skip
        else:
            lines = [f"Moved {self.list_address} from {self.source}.", "", "Imported:"]
        lines += [f"  - {line}" for line in self.imported]
        lines += ["", "Not carried over (Listhaven has no equivalent):"]
        lines += [f"  - {line}" for line in self.not_carried] or ["  (nothing)"]
        if self.problems:
            lines += ["", "Problems:"] + [f"  - {line}" for line in self.problems]
        return "\n".join(lines) + "\n"

    def as_dict(self) -> dict[str, object]:
        return {"source": self.source, "list": self.list_address, "imported": self.imported,
                "not_carried": self.not_carried, "problems": self.problems, "dry_run": self.dry_run}  # fmt: skip
