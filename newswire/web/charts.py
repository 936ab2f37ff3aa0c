"""Charts as geometry: pure functions from counts to the shapes a template writes as SVG.

The pages draw their charts on the server (stacked bars for attention over time, sparklines
for sources, bars and a line for a source's runs), so they show without JavaScript and need
no chart library. Every shape keeps the figure it stands for, which the template writes
into a <title> (the tooltip) and a data attribute, and the same figures go into a table
beside each chart for screen readers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from storage.attention import Attention

TOP_OUTLETS = 5  # outlets stacked by name; the rest are one "other" band
OTHER = "other outlets"
CHART_HEIGHT = 160.0
BAR_WIDTH = 12.0  # user units a day; the SVG scales to the page's width
_MAX_DAYS = 400  # beyond this the axis starts at the first matching day, not at --since


@dataclass(frozen=True)
class Bar:
    """One rectangle: a count of one series on one day (or run)."""

    x: float
    y: float
    width: float
    height: float
    series: int  # colour index; the legend says what it is
    label: str  # "2024-05-01 planet: 3"
    count: int
    key: str  # the day or run it belongs to, for data attributes


@dataclass(frozen=True)
class Tick:
    """A labelled point on an axis."""

    at: float
    text: str


@dataclass(frozen=True)
class DayRow:
    """One day of the chart's table: its counts by series, in legend order, and the total."""

    day: date
    counts: tuple[int, ...]
    total: int


@dataclass(frozen=True)
class StackedChart:
    """Bars stacked per day, one series per top outlet and one for the rest."""

    width: float
    height: float
    bars: tuple[Bar, ...]
    series: tuple[tuple[str, int], ...]  # (name, total) in stacking order, bottom first
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    rows: tuple[DayRow, ...]
    peak: int


def _nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, ... at or above value (an axis maximum)."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def _day_span(counts: Sequence[date], first: date | None, last: date | None) -> list[date]:
    """Every day of the axis: the filter's range when given, else the matches' own span."""
    start = first if first is not None else min(counts)
    end = last if last is not None else max(counts)
    if (end - start).days >= _MAX_DAYS:  # a wide filter: start where the matches do
        start = max(start, min(counts))
        end = min(end, max(counts))
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def attention_chart(
    attention: Attention, first: date | None = None, last: date | None = None
) -> StackedChart | None:
    """Stacked daily bars of a search's dated matches, the TOP_OUTLETS outlets by name and
    the others (those counted apart and those counted together) in one band; None when
    nothing dated matches."""
    if not attention.counts:
        return None
    series = attention.by_outlet()[:TOP_OUTLETS]
    named = [source for source, _ in series]
    others = sum(count.articles for count in attention.counts) - sum(n for _, n in series)
    if others:
        series.append((OTHER, others))
    index = {name: n for n, name in enumerate(named)}
    per_day: dict[date, list[int]] = {}
    for count in attention.counts:
        slot = len(named) if count.source is None else index.get(count.source, len(named))
        per_day.setdefault(count.day, [0] * len(series))[slot] += count.articles
    days = _day_span(list(per_day), first, last)
    rows = tuple(
        DayRow(day, tuple(per_day.get(day, [0] * len(series))), sum(per_day.get(day, [])))
        for day in days
    )
    peak = max(row.total for row in rows)
    ceiling = _nice_ceiling(peak)
    scale = CHART_HEIGHT / ceiling
    bars = []
    for n, row in enumerate(rows):
        base = CHART_HEIGHT
        for slot, value in enumerate(row.counts):
            if value:
                height = value * scale
                base -= height
                label = f"{row.day.isoformat()} {series[slot][0]}: {value}"
                bars.append(
                    Bar(n * BAR_WIDTH + 1, base, BAR_WIDTH - 2, height, slot, label, value,
                        row.day.isoformat())
                )  # fmt: skip
    every = max(1, len(rows) // 6)
    x_ticks = tuple(
        Tick(n * BAR_WIDTH + BAR_WIDTH / 2, row.day.strftime("%d %b"))
        for n, row in enumerate(rows)
        if n % every == 0
    )
    y_ticks = tuple(Tick(CHART_HEIGHT - v * scale, str(v)) for v in (0, ceiling // 2, ceiling))
    return StackedChart(
        width=max(len(rows) * BAR_WIDTH, 300.0),
        height=CHART_HEIGHT,
        bars=tuple(bars),
        series=tuple(series),
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        rows=rows,
        peak=peak,
    )


@dataclass(frozen=True)
class Sparkline:
    """A small line of values, as the points of an SVG polyline."""

    width: float
    height: float
    points: str  # "x,y x,y ..."
    peak: int
    total: int


def sparkline(values: Sequence[int], width: float = 90.0, height: float = 18.0) -> Sparkline:
    """A sparkline of values, oldest first; a flat line at the bottom when all are zero."""
    peak = max(values, default=0)
    step = width / max(len(values) - 1, 1)
    points = " ".join(
        f"{n * step:.1f},{height - 1 - (v / peak if peak else 0) * (height - 2):.1f}"
        for n, v in enumerate(values)
    )
    return Sparkline(width, height, points, peak, sum(values))


@dataclass(frozen=True)
class RunsChart:
    """A source's runs over time: a bar of new articles per run, a line of its duration."""

    width: float
    height: float
    bars: tuple[Bar, ...]
    line: str  # polyline points of the durations
    article_peak: int
    seconds_peak: float


def runs_chart(runs: Sequence[tuple[str, int, float | None]]) -> RunsChart | None:
    """Bars and a line from (label, new articles, duration in seconds) per run, oldest
    first; None without runs. Each scale has its own maximum (the template labels both)."""
    if not runs:
        return None
    article_peak = _nice_ceiling(max(max(n for _, n, _ in runs), 1))
    seconds_peak = max((s or 0.0 for _, _, s in runs), default=0.0) or 1.0
    bars, points = [], []
    for n, (label, articles, seconds) in enumerate(runs):
        height = articles / article_peak * CHART_HEIGHT
        text = f"{label}: {articles} new, " + (f"{seconds:.1f} s" if seconds is not None else "-")
        bars.append(
            Bar(n * BAR_WIDTH + 1, CHART_HEIGHT - height, BAR_WIDTH - 2, height, 0, text,
                articles, label)
        )  # fmt: skip
        if seconds is not None:
            y = CHART_HEIGHT - seconds / seconds_peak * CHART_HEIGHT
            points.append(f"{n * BAR_WIDTH + BAR_WIDTH / 2:.1f},{y:.1f}")
    return RunsChart(
        width=max(len(runs) * BAR_WIDTH, 120.0),
        height=CHART_HEIGHT,
        bars=tuple(bars),
        line=" ".join(points),
        article_peak=article_peak,
        seconds_peak=seconds_peak,
    )
