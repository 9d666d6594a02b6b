"""The activity chart of a list overview: messages per month as SVG bars, computed on the server.

The template draws it with SVG attributes and classes only (the CSP forbids inline styles);
months without messages between the first and the last still get a (zero) slot, so the time
axis is even.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from listhaven.web.months import Month

BAR = 10
GAP = 3
PLOT_HEIGHT = 100
TOP = 14  # room for the maximum's label
AXIS = 18  # room for the year labels
LEFT = 4


@dataclass(frozen=True, slots=True)
class Bar:
    month: Month
    count: int
    x: int
    y: int
    height: int


@dataclass
class Chart:
    bars: list[Bar] = field(default_factory=list)
    years: list[tuple[int, int]] = field(default_factory=list)  # (x, year) at each January
    width: int = 0
    height: int = TOP + PLOT_HEIGHT + AXIS
    maximum: int = 0
    baseline: int = TOP + PLOT_HEIGHT
    label_y: int = TOP + PLOT_HEIGHT + AXIS - 4


def _every_month(first: Month, last: Month) -> list[Month]:
    months, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(Month(year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def activity_chart(counts: list[tuple[Month, int]]) -> Chart:
    """`counts` oldest first, as months.month_counts gives them."""
    chart = Chart()
    if not counts:
        return chart
    by_key = {month.key: n for month, n in counts}
    months = _every_month(counts[0][0], counts[-1][0])
    chart.maximum = max(by_key.values())
    for index, month in enumerate(months):
        n = by_key.get(month.key, 0)
        height = round(PLOT_HEIGHT * n / chart.maximum) if n else 0
        if n and height < 2:
            height = 2  # a month with any message stays visible
        x = LEFT + index * (BAR + GAP)
        chart.bars.append(Bar(month, n, x, TOP + PLOT_HEIGHT - height, height))
        if month.month == 1 or index == 0:
            chart.years.append((x, month.year))
    chart.width = max(LEFT + len(months) * (BAR + GAP) + 40, 240)
    return chart
