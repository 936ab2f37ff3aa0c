"""Web page benchmark: a page of results, an article and the sources page at 100,000
articles and 1,000 sources, each timed over HTTP against a real `newswire serve`.

    make bench-web                         # 100,000 articles, 1,000 sources, embedded server
    python bench/web_bench.py --reuse --keep
    DATABASE_URL=postgresql://... python bench/web_bench.py

The articles are search_bench's (the sample site's stories in four languages plus Zipf place
names), dealt over ``--sources`` outlets; each outlet gets a month of crawl runs (``--runs``
each, some failed, some storing nothing) with its articles tied to them, and a sources file
naming every outlet. Each page is fetched ``--rounds`` times after a warm-up; the script
prints its median and p95 beside the API's JSON for the same data (the baseline: the same
storage queries without a page around them). The database ``newswire_web_bench`` is dropped
at the end (``--keep`` keeps it, ``--reuse`` reuses a filled one of the same size).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import search_bench

from newswire.config import load_config
from storage.connection import (
    connect,
    database_ready,
    drop_database,
    recreate_database,
    replace_dbname,
    resolve_database_url,
)

DATABASE = "newswire_web_bench"
TARGET_MS = 300.0


def _outlet(number: int) -> str:
    return f"outlet-{number:04d}"


def write_sources(path: Path, sources: int) -> Path:
    """A sources file naming every outlet (hosts that are never crawled here)."""
    path.write_text(
        "".join(
            f'[sources.{_outlet(n)}]\nhome = "https://{_outlet(n)}.example/"\n'
            f'schedule = "every 3h"\n\n'
            for n in range(sources)
        )
    )
    return path


_RUNS = """
INSERT INTO crawl_runs (source, trigger, status, queued_at, started_at, finished_at, stats, error)
SELECT s.name, 'schedule',
       CASE WHEN (r.n + s.k) %% 23 = 0 THEN 'failed' ELSE 'succeeded' END,
       t.at, t.at, t.at + make_interval(secs => 4 + (r.n * 7 + s.k) %% 40),
       jsonb_build_object('pages_fetched', 20 + (r.n + s.k) %% 30,
                          'not_modified', (r.n * 3 + s.k) %% 20,
                          'articles_stored', (r.n + s.k) %% 5),
       CASE WHEN (r.n + s.k) %% 23 = 0 THEN 'HTTP 503 from the feed' END
FROM (SELECT format('outlet-%%s', lpad(k::text, 4, '0')) AS name, k
      FROM generate_series(0, %(sources)s - 1) k) s
CROSS JOIN generate_series(1, %(runs)s) r(n)
CROSS JOIN LATERAL (SELECT %(now)s - make_interval(hours => 3 * r.n) AS at) t
ORDER BY t.at, s.k  -- as a running system writes them: ids grow with time, sources interleaved
"""
# Each article is tied to a run of its source near its publication (or the newest run), and
# is its own story (or its original's copy), as the store leaves it.
_TIE = """
UPDATE articles a SET
    source = format('outlet-%%s', lpad((a.id %% %(sources)s)::text, 4, '0')),
    story_id = coalesce(a.duplicate_of, a.id),
    stored_at = least(%(now)s, coalesce(a.published_at, %(now)s) + interval '20 minutes')
"""
_RUN_IDS = """
UPDATE articles a SET run_id = (
    SELECT r.id FROM crawl_runs r WHERE r.source = a.source AND r.finished_at >= a.stored_at
    ORDER BY r.finished_at LIMIT 1)
WHERE a.stored_at >= %(now)s - make_interval(hours => 3 * %(runs)s)
"""


def prepare_database(server_url: str, articles: int, sources: int, runs: int, reuse: bool) -> str:
    """A filled benchmark database: articles, their sources, a month of runs."""
    url = replace_dbname(server_url, DATABASE)
    with connect(server_url) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone()
    if reuse and exists:
        with connect(url) as conn:
            row = conn.execute("SELECT count(DISTINCT source), count(*) FROM articles").fetchone()
        if row and row[0] == sources and row[1] >= articles:
            print(f"reusing {DATABASE}: {row[1]:,} articles of {row[0]:,} sources")
            return url
    database_ready(recreate_database(server_url, DATABASE))
    print(f"filling {DATABASE} with {articles:,} articles of {sources:,} sources")
    seconds = search_bench.fill(url, articles)
    started = time.perf_counter()
    now = datetime.now(UTC)
    params = {"sources": sources, "runs": runs, "now": now}
    with connect(url) as conn:
        conn.execute(_RUNS, params)
        conn.execute(_TIE, params)
        conn.execute("ANALYZE crawl_runs")
        conn.execute(_RUN_IDS, params)
        conn.execute("VACUUM FULL articles")  # the updates above left every row twice
        conn.execute("VACUUM ANALYZE articles")
        conn.execute("VACUUM ANALYZE crawl_runs")
    took = time.perf_counter() - started
    print(f"  articles in {seconds:.0f} s, runs and sources in {took:.0f} s")
    return url


@contextmanager
def serving(database_url: str, sources: Path) -> Iterator[httpx.Client]:
    """`newswire serve --port 0` on the benchmark database; a client for it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSWIRE_")}
    env.update(DATABASE_URL=database_url, NEWSWIRE_SOURCES=str(sources))
    process = subprocess.Popen(
        [sys.executable, "-m", "newswire", "serve", "--port", "0"],
        env=env, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        match = re.search(r"http://127\.0\.0\.1:\d+", process.stdout.readline())
        assert match is not None, "newswire serve did not start"
        # A connection per request: on a kept-alive one httpx waits out a 40 ms delayed ACK
        # after every response here (curl and a new connection take 1-3 ms for /healthz).
        fresh = httpx.Limits(max_keepalive_connections=0)
        with httpx.Client(base_url=match[0], timeout=60, limits=fresh) as client:
            for _ in range(200):
                try:
                    client.get("/healthz")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            yield client
    finally:
        process.terminate()
        process.wait(timeout=30)


def time_get(client: httpx.Client, paths: list[str], rounds: int) -> tuple[float, float]:
    """(median, p95) in ms of GETs of these paths, each once untimed first."""
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
    samples = []
    for _ in range(rounds):
        for path in paths:
            started = time.perf_counter()
            response = client.get(path)
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, path
    return statistics.median(samples), search_bench._percentile(samples, 0.95)


def pages(url: str, sources: int) -> dict[str, tuple[list[str], list[str]]]:
    """Page paths and their API baseline paths, by what they show."""
    words = search_bench.lexicon()
    since = (datetime.now(UTC) - timedelta(days=90)).date().isoformat()
    year = (datetime.now(UTC) - timedelta(days=366)).date().isoformat()
    rng = random.Random(5)
    with connect(url) as conn:
        (top,) = conn.execute("SELECT max(id) FROM articles").fetchone() or (0,)
    ids = [rng.randint(1, top) for _ in range(10)]
    searches = {
        "results: no query (every article)": "",
        "results: common term": f"q={words[0]}",
        "results: rare term": f"q={words[3000]}",
        "results: phrase": "q=%22officials+said%22",
        "results: one source, 90 days": f"source={_outlet(3)}&since={since}",
        "results: common term, 90 days": f"q={words[0]}&since={since}",
        "results: no query, chart of a year": f"since={year}",
        "results: common term, chart of a year": f"q={words[0]}&since={year}",
    }
    table = {name: ([f"/?{query}"], [f"/articles?{query}"]) for name, query in searches.items()}
    table["article"] = ([f"/article/{i}" for i in ids], [f"/articles/{i}" for i in ids])
    table[f"sources ({sources:,})"] = (["/outlets"], ["/sources/health"])
    return table


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=240, help="runs per source (every 3 h)")
    parser.add_argument("--rounds", type=int, default=20, help="timed fetches of each page")
    parser.add_argument("--reuse", action="store_true", help="keep a filled database")
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    args = parser.parse_args()
    server_url = resolve_database_url(load_config())
    url = prepare_database(server_url, args.articles, args.sources, args.runs, args.reuse)
    try:
        with tempfile.TemporaryDirectory() as scratch:
            sources = write_sources(Path(scratch) / "sources.toml", args.sources)
            with serving(url, sources) as client:
                print(f"\nms over HTTP ({args.articles:,} articles, {args.sources:,} sources; "
                      f"{args.rounds} rounds; target: page p95 < {TARGET_MS:.0f} ms)")  # fmt: skip
                print(f"{'page':36} {'median':>8} {'p95':>8}   {'API median':>10} {'API p95':>8}")
                for name, (page, api) in pages(url, args.sources).items():
                    median, p95 = time_get(client, page, args.rounds)
                    api_median, api_p95 = time_get(client, api, args.rounds)
                    verdict = "ok" if p95 < TARGET_MS else "MISSED"
                    print(f"{name:36} {median:8.1f} {p95:8.1f}   {api_median:10.1f} "
                          f"{api_p95:8.1f}  {verdict}")  # fmt: skip
    finally:
        if not args.keep:
            drop_database(server_url, DATABASE)


if __name__ == "__main__":
    main()
