"""Source health benchmark: fill a fresh database with 1,000 sources' runs and articles, then
time what the sources page, `newswire health`, /metrics and the end of every run pay.

    make bench-health                      # 1,000 sources, 100,000 articles, 200 runs each
    python bench/health_bench.py --sources 2000 --runs 500 --keep
    DATABASE_URL=postgresql://... python bench/health_bench.py

Each source is crawled every 30 minutes (``--runs`` runs, so 200 runs are about four days);
one in two runs stores articles. Sources 1-20 fail their latest five runs, 21-40 stopped
storing articles two days ago. Every figure is printed beside its baseline from the same
run: the set-based query against one query per source, and the Spidermon checks of a run
against condensing its stats (what the run's end did before the checks). The database
``newswire_health_bench`` on the chosen server is dropped and created again.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime

from scrapy.crawler import Crawler
from scrapy.settings import Settings
from scrapy.spiders import Spider

from crawler import settings as crawler_settings
from crawler.monitors import RunChecks, run_checks
from crawler.runstats import summarize_stats
from newswire.config import HealthSettings, load_config
from storage.connection import (
    connect,
    database_ready,
    drop_database,
    recreate_database,
    replace_dbname,
    resolve_database_url,
)
from storage.health import judge_sources, source_health, source_history

DATABASE = "newswire_health_bench"

_FILL_RUNS = """
INSERT INTO crawl_runs (source, trigger, status, queued_at, started_at, finished_at, stats)
SELECT format('outlet-%%s', lpad(s::text, 4, '0')), 'schedule',
       CASE WHEN s <= 20 AND i > %(runs)s - 5 THEN 'failed' ELSE 'succeeded' END,
       t - interval '40 seconds', t - interval '40 seconds', t,
       jsonb_build_object('pages_fetched', 40, 'not_modified', (s + i) %% 7,
                          'articles_stored', CASE WHEN i %% 2 = 0 THEN %(per_run)s ELSE 0 END)
FROM generate_series(1, %(sources)s) s, generate_series(1, %(runs)s) i,
     LATERAL (SELECT %(now)s::timestamptz - (%(runs)s - i) * interval '30 minutes') AS at(t)
ORDER BY i, s
"""

_FILL_ARTICLES = """
INSERT INTO articles (source, url, title, text, text_hash, fetched_at, stored_at, run_id,
                      published_at, story_id)
SELECT r.source, format('https://%%s.example/%%s/%%s', r.source, r.id, k),
       format('Story %%s of run %%s', k, r.id), 'Generated text of a story.',
       sha256(format('%%s-%%s', r.id, k)::bytea), r.finished_at, r.finished_at, r.id,
       r.finished_at - k * interval '7 minutes', NULL
FROM crawl_runs r, generate_series(1, %(per_run)s) k
WHERE (r.stats ->> 'articles_stored')::int > 0
  AND NOT (r.source <= 'outlet-0040' AND r.source > 'outlet-0020'
           AND r.finished_at > %(now)s::timestamptz - interval '2 days')
"""


def prepare_database(server_url: str, sources: int, runs: int, articles: int, reuse: bool) -> str:
    """A fresh database with the generated history (or the one --keep left); prints its size."""
    url = replace_dbname(server_url, DATABASE)
    with connect(server_url) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE])
        if reuse and exists.fetchone():
            print(f"reusing {DATABASE}")
            return url
    database_ready(recreate_database(server_url, DATABASE))
    per_run = max(1, round(articles / (sources * runs / 2)))
    params = {"sources": sources, "runs": runs, "per_run": per_run, "now": datetime.now(UTC)}
    started = time.perf_counter()
    with connect(url) as conn:
        conn.execute(_FILL_RUNS, params)
        conn.execute(_FILL_ARTICLES, params)
        conn.execute("VACUUM ANALYZE crawl_runs")
        conn.execute("VACUUM ANALYZE articles")
        counts = conn.execute(
            "SELECT (SELECT count(*) FROM crawl_runs), (SELECT count(*) FROM articles)"
        ).fetchone()
    assert counts is not None
    print(f"filled {DATABASE} in {time.perf_counter() - started:.0f} s: {sources:,} sources,"
          f" {counts[0]:,} runs, {counts[1]:,} articles")  # fmt: skip
    return url


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _timed(call: Callable[[], object], rounds: int) -> tuple[float, float]:
    """(median ms, p95 ms) of rounds calls after one untimed warm-up."""
    call()
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), _percentile(samples, 0.95)


def _line(label: str, figures: tuple[float, float], baseline: tuple[float, float] | None) -> None:
    text = f"  {label:<44} median {figures[0]:8.1f} ms   p95 {figures[1]:8.1f} ms"
    if baseline is not None:
        text += f"   (baseline median {baseline[0]:8.1f} ms, p95 {baseline[1]:8.1f} ms)"
    print(text)


def time_queries(url: str, sources: int, rounds: int) -> None:
    """The health queries at this size, each beside the one-query-per-source baseline."""
    settings = HealthSettings()
    names = [f"outlet-{s:04d}" for s in range(1, sources + 1)]
    with connect(url) as conn:
        now = datetime.now(UTC)
        healths = source_health(conn, settings, now=now, sources=names)
        states = statistics.multimode([h.state for h in healths])
        print(f"  states: {sum(h.state == 'failing' for h in healths)} failing,"
              f" {sum(h.state == 'silent' for h in healths)} silent, most {states[0]}")  # fmt: skip

        def per_source() -> None:
            for name in names:
                source_health(conn, settings, now=now, sources=[name])

        all_at_once = _timed(lambda: source_health(conn, settings, now=now, sources=names), rounds)
        _line(f"source_health, {sources:,} sources", all_at_once, _timed(per_source, 2))
        every = _timed(lambda: source_health(conn, settings, now=now), rounds)
        _line("source_health, every stored source (no list)", every, all_at_once)
        one = _timed(lambda: source_health(conn, settings, now=now, sources=[names[0]]), rounds)
        _line("source_health, one source (a run's end)", one, None)
        judged = _timed(lambda: judge_sources(conn, settings, names), rounds)
        _line("judge_sources (judge + remember), all", judged, all_at_once)
        picks = random.Random(7).sample(names, min(50, len(names)))
        samples = []
        for name in picks:
            started = time.perf_counter()
            source_history(conn, name)
            samples.append((time.perf_counter() - started) * 1000)
        _line("source_history (100 runs, 20 errors)",
              (statistics.median(samples), _percentile(samples, 0.95)), None)  # fmt: skip


def time_checks(rounds: int) -> None:
    """Spidermon's checks of one run beside condensing its stats, and memory over many runs
    (a long-lived worker runs thousands of crawls in one process)."""
    settings = Settings()
    settings.setmodule(crawler_settings)
    crawler = Crawler(Spider, settings)
    stats = {
        "start_time": datetime.now(UTC),
        "finish_time": datetime.now(UTC),
        "finish_reason": "finished",
        "downloader/response_count": 40,
        "newswire/pages/article": 20,
        "newswire/store/stored": 20,
        "newswire/store/with_title": 20,
        "newswire/store/with_authors": 18,
        "newswire/store/with_date": 20,
    }
    checks = _timed(lambda: run_checks(crawler, [RunChecks], stats), rounds)
    _line("Spidermon checks of one run", checks, _timed(lambda: summarize_stats(stats), rounds))
    for _ in range(200):
        run_checks(crawler, [RunChecks], stats)
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for _ in range(5000):
        run_checks(crawler, [RunChecks], stats)
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    print(f"  Python heap after 5,000 more checked runs: {grown / 1024:+.1f} KiB")


def main() -> None:
    """Parse flags, fill the database, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=200, help="runs per source")
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--reuse", action="store_true", help="time the database --keep left")
    args = parser.parse_args()
    server_url = resolve_database_url(load_config())
    url = prepare_database(server_url, args.sources, args.runs, args.articles, args.reuse)
    try:
        print("health queries")
        time_queries(url, args.sources, args.rounds)
        print("per-run checks")
        time_checks(args.rounds * 10)
    finally:
        if not args.keep:
            drop_database(server_url, DATABASE)


if __name__ == "__main__":
    main()
