"""The chart geometry: pure functions from counts to shapes (newswire/web/charts.py)."""

from __future__ import annotations

from datetime import date

import pytest

from newswire.web.charts import (
    CHART_HEIGHT,
    OTHER,
    TOP_OUTLETS,
    _nice_ceiling,
    attention_chart,
    runs_chart,
    sparkline,
)
from storage.attention import Attention, DayOutletCount

D1, D2, D3 = date(2024, 5, 1), date(2024, 5, 2), date(2024, 5, 3)


@pytest.mark.parametrize(
    ("peak", "ceiling"), [(0, 1), (1, 1), (2, 2), (3, 5), (7, 10), (11, 20), (51, 100), (180, 200)]
)
def test_axis_ceilings_are_round(peak: int, ceiling: int) -> None:
    assert _nice_ceiling(peak) == ceiling


def test_no_dated_match_is_no_chart() -> None:
    assert attention_chart(Attention([], undated=4)) is None


def test_bars_stack_to_the_day_totals_and_keep_every_count() -> None:
    counts = [DayOutletCount(D1, "planet", 3), DayOutletCount(D1, "europa", 1),
              DayOutletCount(D3, "planet", 2)]  # fmt: skip
    chart = attention_chart(Attention(counts, undated=1))
    assert chart is not None
    assert [row.day for row in chart.rows] == [D1, D2, D3]  # the empty day is on the axis
    assert [row.total for row in chart.rows] == [4, 0, 2]
    assert chart.series == (("planet", 5), ("europa", 1))
    assert sorted((b.key, chart.series[b.series][0], b.count) for b in chart.bars) == [
        ("2024-05-01", "europa", 1), ("2024-05-01", "planet", 3), ("2024-05-03", "planet", 2),
    ]  # fmt: skip
    day_one = [b for b in chart.bars if b.key == "2024-05-01"]
    top = min(b.y for b in day_one)
    assert top == pytest.approx(CHART_HEIGHT - 4 * CHART_HEIGHT / 5)  # peak 4 on a 0-5 axis
    assert all(b.y + b.height <= CHART_HEIGHT + 1e-9 for b in chart.bars)


def test_outlets_beyond_the_top_are_one_band() -> None:
    counts = [DayOutletCount(D1, f"s{n}", 10 - n) for n in range(TOP_OUTLETS + 2)]
    chart = attention_chart(Attention(counts, undated=0))
    assert chart is not None
    assert [name for name, _ in chart.series][-1] == OTHER
    assert chart.series[-1][1] == sum(10 - n for n in range(TOP_OUTLETS, TOP_OUTLETS + 2))
    assert chart.rows[0].total == sum(10 - n for n in range(TOP_OUTLETS + 2))


def test_outlets_counted_together_join_the_other_band() -> None:
    counts = [DayOutletCount(D1, "planet", 4), DayOutletCount(D1, None, 3),
              DayOutletCount(D2, None, 2)]  # fmt: skip
    chart = attention_chart(Attention(counts, undated=0))
    assert chart is not None
    assert chart.series == (("planet", 4), (OTHER, 5))
    assert [row.counts for row in chart.rows] == [(4, 3), (0, 2)]


def test_the_filter_range_sets_the_axis() -> None:
    chart = attention_chart(Attention([DayOutletCount(D2, "a", 1)], 0), D1, D3)
    assert chart is not None and [row.day for row in chart.rows] == [D1, D2, D3]


def test_a_wide_filter_starts_where_the_matches_do() -> None:
    chart = attention_chart(Attention([DayOutletCount(D2, "a", 1)], 0), date(1990, 1, 1), D3)
    assert chart is not None and chart.rows[0].day == D2


def test_sparklines() -> None:
    flat = sparkline([0, 0, 0])
    assert flat.peak == 0 and {p.split(",")[1] for p in flat.points.split()} == {"17.0"}
    line = sparkline([0, 2, 1], width=10, height=10)
    assert line.points == "0.0,9.0 5.0,1.0 10.0,5.0" and line.total == 3


def test_runs_chart_scales_bars_and_line_apart() -> None:
    chart = runs_chart([("run 1", 4, 10.0), ("run 2", 0, None), ("run 3", 2, 20.0)])
    assert chart is not None and chart.article_peak == 5 and chart.seconds_peak == 20.0
    assert [bar.count for bar in chart.bars] == [4, 0, 2]
    assert len(chart.line.split()) == 2  # a run without a duration has no point
    assert "run 2: 0 new, -" in [bar.label for bar in chart.bars]
    assert runs_chart([]) is None
