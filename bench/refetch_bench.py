"""Refetch schedule benchmark: the per-run query at 100,000 stored articles, and what a day of
refetching adds to each source's requests.

    make bench-refetch                                  # 100,000 articles, 100 sources
    python bench/refetch_bench.py --articles 20000 --sources 20
    DATABASE_URL=postgresql://... python bench/refetch_bench.py

The database ``newswire_bench_refetch`` is dropped and created again, migrated, and filled with
generated articles (rows written by SQL, not crawled): ``--sources`` sources, publication
times spread evenly over the last 30 days, each with its first version and its schedule as a
crawl that has run every 30 minutes would have left it (the default delays: 1h, 6h, 1d, 3d,
7d after publication). The next day's articles are there too, at the same rate, each due an
hour after its publication as a crawl that stored it would leave it: the simulated day
refetches new articles as well as old ones.

1. **The per-run query** (``storage.versions.due_refetches``, limit 500 as for the default
   max_pages of 1,000): timed for every source, beside a naive full scan (the same statement
   with index scans switched off, so PostgreSQL reads the whole schedule).
2. **A day of refetching**: 48 runs, one every 30 minutes, of every source, each taking its due
   articles and moving their schedules on as the store does (``pipelines.versions``). Printed
   per source: refetch requests in the day beside the new articles it published that day.
3. **An overdue source**: the query once more for a source whose whole last week is due (a
   week without runs): the limit bounds it.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from newswire.config import load_config
from newswire.schedule import DEFAULT_REFETCH
from pipelines.versions import next_refetch
from storage.connection import (
    connect,
    database_ready,
    drop_database,
    recreate_database,
    resolve_database_url,
)
from storage.versions import due_refetches, mark_checked

DATABASE = "newswire_bench_refetch"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SPAN = timedelta(days=30)
DAY = timedelta(days=1)
RUN_EVERY = timedelta(minutes=30)
LIMIT = 500  # the refetch share of the default max_pages (crawler.budget)
_DELAYS_SQL = "ARRAY['1 hour', '6 hours', '1 day', '3 days', '7 days']::interval[]"

_FILL_ARTICLES = """
INSERT INTO articles (source, url, title, text, text_hash, published_at, fetched_at, language)
SELECT 'source-' || (i %% %(sources)s), 'http://bench.example/' || i, 'Article ' || i,
       'Generated text of article ' || i, decode(md5(i::text), 'hex'), p, p + interval '10 min',
       'en'
FROM generate_series(1, %(total)s) AS i,
     LATERAL (SELECT %(end)s::timestamptz - %(span)s::interval * i / %(articles)s AS p) t
"""
_FILL_VERSIONS = """
INSERT INTO article_versions (article_id, version, fetched_at, kinds, title, text)
SELECT id, 1, fetched_at, ARRAY['first'], title, text FROM articles
"""
# The schedule a crawl running every 30 minutes leaves: the last check at the last delay
# passed before the previous run, the next due the first delay after it.
_FILL_SCHEDULE = f"""
INSERT INTO article_refetch (article_id, source, base_at, due_at, checked_at)
SELECT a.id, a.source, a.published_at,
       (SELECT min(a.published_at + d) FROM unnest({_DELAYS_SQL}) d
        WHERE a.published_at + d > %(last_run)s),
       coalesce((SELECT max(a.published_at + d) FROM unnest({_DELAYS_SQL}) d
                 WHERE a.published_at + d <= %(last_run)s), a.fetched_at)
FROM articles a
"""


def fill(url: str, articles: int, sources: int) -> None:
    """Generated articles with their first versions and schedules, then ANALYZE."""
    params = {
        "articles": articles,
        "total": articles + articles * DAY // SPAN,
        "end": NOW + DAY,
        "sources": sources,
        "now": NOW,
        "span": SPAN,
        "last_run": NOW - RUN_EVERY,
    }
    with connect(url) as conn:
        started = time.perf_counter()
        for statement in (_FILL_ARTICLES, _FILL_VERSIONS, _FILL_SCHEDULE):
            conn.execute(statement, params)
        conn.execute("ANALYZE articles, article_versions, article_refetch")
        print(f"filled {articles:,} articles in {sources} sources (and "
              f"{params['total'] - articles:,} published the next day) in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip


def _timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return (time.perf_counter() - started) * 1000, result


def _full_scan(conn: psycopg.Connection[Any], source: str) -> tuple[float, int]:
    """The same query with index scans off: PostgreSQL reads the whole schedule."""
    with conn.transaction():
        conn.execute("SET LOCAL enable_indexscan = off")
        conn.execute("SET LOCAL enable_bitmapscan = off")
        ms, rows = _timed(lambda: due_refetches(conn, source, NOW, LIMIT))
    return ms, len(rows)


def _summary(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"median {statistics.median(ordered):.2f} ms, p95 {p95:.2f} ms, max {ordered[-1]:.2f} ms"


def _unprepared(url: str) -> psycopg.Connection[Any]:
    """A connection that plans every statement afresh, as a run's one query a run is: a
    prepared plan would also survive the full scan's SET LOCAL and time the index instead."""
    conn = connect(url)
    conn.prepare_threshold = None
    return conn


def per_run_query(url: str, sources: int) -> None:
    """Time the due query for every source, beside a full scan."""
    names = [f"source-{i}" for i in range(sources)]
    with _unprepared(url) as conn:
        for name in names[:3]:  # warm the cache and the plans
            due_refetches(conn, name, NOW, LIMIT)
        indexed = [_timed(lambda n=n: due_refetches(conn, n, NOW, LIMIT)) for n in names]
        scans = [_full_scan(conn, n) for n in names]
        due = [len(rows) for _, rows in indexed]
        print("\nthe per-run refetch query (storage.versions.due_refetches, limit 500)")
        print(f"  indexed, {sources} sources:     {_summary([ms for ms, _ in indexed])}"
              f"  ({statistics.median(due):.0f} due a run, median)")  # fmt: skip
        print(f"  baseline, naive full scan: {_summary([ms for ms, _ in scans])}"
              f"  ({statistics.median(n for _, n in scans):.0f} due a run, median)")  # fmt: skip


def overdue_source(url: str) -> None:
    """The due query for a source whose whole last week is overdue: bounded by the limit."""
    names = ["source-0"]
    with _unprepared(url) as conn:
        conn.execute(
            "UPDATE article_refetch SET due_at = base_at + interval '1 hour'"
            " WHERE source = %s AND base_at > %s",
            [names[0], NOW - timedelta(days=7)],
        )
        conn.execute("ANALYZE article_refetch")
        overdue = [_timed(lambda: due_refetches(conn, names[0], NOW, LIMIT)) for _ in range(5)]
        rows = len(overdue[0][1])
        print(f"\na source a week overdue: {_summary([ms for ms, _ in overdue])}"
              f"  ({rows} returned, at most the limit of {LIMIT})")  # fmt: skip


def a_day(url: str, sources: int) -> None:
    """48 runs of every source over the next day: refetch requests beside new articles."""
    requests: Counter[str] = Counter()
    names = [f"source-{i}" for i in range(sources)]
    query_ms: list[float] = []
    with _unprepared(url) as conn:
        for run in range(1, 49):
            clock = NOW + RUN_EVERY * run
            for name in names:
                ms, due = _timed(lambda n=name, c=clock: due_refetches(conn, n, c, LIMIT))
                query_ms.append(ms)
                requests[name] += len(due)
                for target in due:
                    base = target.published_at or clock
                    mark_checked(conn, target.article_id, clock,
                                 next_refetch(base, DEFAULT_REFETCH, clock))  # fmt: skip
        new = dict(
            conn.execute(
                "SELECT source, count(*) FROM articles WHERE published_at > %s"
                " AND published_at <= %s GROUP BY source",
                [NOW, NOW + DAY],
            ).fetchall()
        )
    per_source = [requests[n] for n in names]
    fresh = [new.get(n, 0) for n in names]
    ratio = sum(per_source) / max(sum(fresh), 1)
    print("\na day of refetching (48 runs of every source, one every 30 minutes)")
    print(f"  refetch requests a source a day: median {statistics.median(per_source):.0f}, "
          f"min {min(per_source)}, max {max(per_source)}")  # fmt: skip
    print(f"  new articles a source a day:     median {statistics.median(fresh):.0f}")
    print(f"  extra requests: {ratio:.2f} refetches per new article "
          f"(in a steady state {len(DEFAULT_REFETCH)}: one per delay)")  # fmt: skip
    print(f"  the due query in those runs:     {_summary(query_ms)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--sources", type=int, default=100)
    parser.add_argument("--keep", action="store_true", help="keep the filled database")
    args = parser.parse_args()
    server_url = resolve_database_url(load_config())
    url = database_ready(recreate_database(server_url, DATABASE))
    try:
        fill(url, args.articles, args.sources)
        per_run_query(url, args.sources)
        a_day(url, args.sources)
        overdue_source(url)
    finally:
        if not args.keep:
            drop_database(server_url, DATABASE)


if __name__ == "__main__":
    main()
