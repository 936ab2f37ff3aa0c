"""Prometheus metrics for ``GET /metrics``, read from the database at each scrape.

The figures live in PostgreSQL (articles, crawl_runs), written by crawl processes the API does
not host, so a custom collector queries them per scrape instead of counting in-process.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime

from prometheus_client.core import (
    CollectorRegistry,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from psycopg_pool import ConnectionPool

from newswire.config import HealthSettings
from newswire.records import HealthState
from storage.health import source_health
from storage.queries import last_successes, run_durations, run_status_counts, source_summaries

logger = logging.getLogger(__name__)

# Upper bounds (seconds) of the crawl-duration histogram: seconds-long test runs to hour limits.
DURATION_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)


class CorpusCollector:
    """Collects corpus, crawl and health figures with six queries on one pooled connection."""

    def __init__(
        self,
        pool: ConnectionPool,
        health: HealthSettings,
        sources: Callable[[], Sequence[str] | None],
    ) -> None:
        self.pool = pool
        self.health = health
        self.sources = sources  # the sources to judge (None: every stored one)

    def describe(self) -> list[Metric]:
        """Nothing up front: registering must not query the database."""
        return []

    def collect(self) -> Iterator[Metric]:
        """One scrape's worth of metrics."""
        with self.pool.connection(timeout=5) as conn:
            summaries = source_summaries(conn)
            statuses = run_status_counts(conn)
            successes = last_successes(conn)
            durations = run_durations(conn, DURATION_BUCKETS)
            healths = source_health(
                conn, self.health, now=datetime.now(UTC), sources=self.sources()
            )
        stored = GaugeMetricFamily(
            "newswire_articles_stored", "Articles stored, originals only", labels=["source"]
        )
        copies = GaugeMetricFamily(
            "newswire_article_duplicates_stored",
            "Stored copies of an article seen before",
            labels=["source"],
        )
        for name, summary in summaries.items():
            stored.add_metric([name], summary.articles)
            copies.add_metric([name], summary.duplicates)
        runs = GaugeMetricFamily(
            "newswire_crawl_runs", "Crawl runs by source and status", labels=["source", "status"]
        )
        for source, status, count in statuses:
            runs.add_metric([source, status], count)
        success = GaugeMetricFamily(
            "newswire_last_success_timestamp_seconds",
            "When the latest successful crawl of a source finished (Unix time)",
            labels=["source"],
        )
        for source, finished in successes.items():
            success.add_metric([source], finished.timestamp())
        histogram = HistogramMetricFamily(
            "newswire_crawl_duration_seconds", "Durations of finished crawl runs", labels=["source"]
        )
        for row in durations:
            buckets = [
                (f"{bound:g}", n) for bound, n in zip(DURATION_BUCKETS, row.buckets, strict=True)
            ]
            histogram.add_metric(
                [row.source], [*buckets, ("+Inf", row.count)], sum_value=row.total_seconds
            )
        # A state set: one series per state, 1 for the source's state now, so an alert is
        # `newswire_source_health{state=~"failing|silent"} == 1`.
        states = GaugeMetricFamily(
            "newswire_source_health",
            "1 for the state each source is in now (failing, silent, never_run, ok), else 0",
            labels=["source", "state"],
        )
        for health in healths:
            for state in HealthState:
                states.add_metric([health.source, state.value], float(health.state == state))
        yield from (stored, copies, runs, success, histogram, states)


def metrics_registry(
    pool: ConnectionPool,
    health: HealthSettings,
    sources: Callable[[], Sequence[str] | None],
) -> CollectorRegistry:
    """A registry holding only the corpus collector (no process metrics of one API worker)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(CorpusCollector(pool, health, sources))
    return registry
