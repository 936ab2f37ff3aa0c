"""The search page's chart window (newswire/web/search.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from newswire.web.search import CHART_DAYS, chart_window
from storage.search import Filters


def test_an_open_search_charts_its_last_days_and_a_since_date_sets_the_window() -> None:
    now = datetime(2024, 5, 20, 15, 30, tzinfo=UTC)
    window = chart_window(Filters(sources=("a",)), now)
    assert window.since == datetime(2024, 5, 21, tzinfo=UTC) - timedelta(days=CHART_DAYS)
    assert window.sources == ("a",) and window.until is None
    until = datetime(2024, 3, 1, tzinfo=UTC)
    assert chart_window(Filters(until=until), now).since == until - timedelta(days=CHART_DAYS)
    own = Filters(since=datetime(2020, 1, 1, tzinfo=UTC))
    assert chart_window(own, now) is own
