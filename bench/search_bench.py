"""Search and export benchmark: fill a fresh database with generated articles, then time them.

    make bench-search                      # 100,000 articles on the embedded server
    python bench/search_bench.py --articles 200000 --keep
    DATABASE_URL=postgresql://... python bench/search_bench.py

Articles are the sample site's stories (four languages, real templates) plus one paragraph of
invented place names drawn from a Zipf distribution over 50,000 words, so the corpus has terms
found in most articles and terms found in a handful. The database ``newswire_bench`` on the
chosen server is dropped and created again (``--reuse`` keeps a filled one).
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import itertools
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from psycopg import sql

from newswire.config import load_config
from newswire.samplesite.content import LANGUAGES, topics_for, write_story
from storage.connection import (
    connect,
    database_ready,
    drop_database,
    recreate_database,
    replace_dbname,
    resolve_database_url,
)
from storage.search import Filters, SearchRequest, count_matching, parse_when, search_articles

DATABASE = "newswire_bench"
LEXICON_SIZE = 50_000
ZIPF_S = 1.2
SOURCES = 20
_SYLLABLES = (
    "ka", "lo", "mer", "vin", "dra", "tes", "qua", "bor", "li", "zen", "ost", "pa",
    "rum", "sel", "tha", "vo", "gri", "an", "del", "fu", "nor", "be", "sil", "ch",
)  # fmt: skip
_NAMES_PARAGRAPH = {
    "en": "Officials in {0} and {1} said they would follow events closely. Residents of {2} "
    "told reporters that {3}, {4} and {5} were also affected.",
    "fr": "Des responsables à {0} et {1} ont dit suivre la situation de près. À {2}, des "
    "habitants ont cité {3}, {4} et {5}.",
    "de": "Beamte in {0} und {1} wollen die Lage genau verfolgen. Anwohner in {2} nannten "
    "auch {3}, {4} und {5}.",
    "es": "Funcionarios de {0} y {1} dijeron que seguirán la situación de cerca. Vecinos de "
    "{2} citaron también {3}, {4} y {5}.",
}
_COPY_COLUMNS = (
    "source", "url", "title", "authors", "published_at", "language", "site_name", "description",
    "categories", "tags", "text", "text_hash", "fetched_at",
)  # fmt: skip


def lexicon() -> list[str]:
    """50,000 distinct pronounceable invented words, the same on every run."""
    rng = random.Random("lexicon")
    words: dict[str, None] = {}
    while len(words) < LEXICON_SIZE:
        words["".join(rng.choices(_SYLLABLES, k=rng.randint(3, 4)))] = None
    return list(words)


def zipf_sampler(seed: int) -> Callable[[], int]:
    """Draws lexicon ranks (0 = most frequent) with probability ~ 1 / (rank + 1) ** ZIPF_S."""
    weights = [1 / (rank + 1) ** ZIPF_S for rank in range(LEXICON_SIZE)]
    cumulative = list(itertools.accumulate(weights))
    rng = random.Random(seed)
    total = cumulative[-1]
    return lambda: bisect.bisect_left(cumulative, rng.random() * total)


def articles(count: int, now: datetime) -> Iterator[tuple[Any, ...]]:
    """COPY rows for ``count`` articles spread over 20 sources and the past year."""
    words = lexicon()
    draw = zipf_sampler(7)
    rng = random.Random(11)
    source_weights = [1 / (i + 1) ** 0.7 for i in range(SOURCES)]
    for i in range(count):
        source = rng.choices(range(SOURCES), source_weights)[0]
        language = LANGUAGES[0] if rng.random() < 0.55 else rng.choice(LANGUAGES[1:])
        topic = rng.choice(topics_for(language))
        story = write_story(f"bench{i}", topic=topic, language=language, wire="NWA")
        names = [words[draw()].capitalize() for _ in range(6)]
        paragraphs = [*story.paragraphs]
        places = _NAMES_PARAGRAPH[language].format(*names)
        paragraphs.insert(rng.randint(1, len(paragraphs)), places)
        text = "\n\n".join(paragraphs)
        age = timedelta(seconds=rng.randint(0, 365 * 86400))
        published = None if rng.random() < 0.02 else now - age  # a few undated ones
        yield (
            f"outlet-{source:02d}", f"https://outlet-{source:02d}.example/{i}/", story.title,
            list(story.authors), published, language, f"Outlet {source:02d}", story.dek,
            [topic], list(story.tags), text, hashlib.sha256(text.encode()).digest(), now,
        )  # fmt: skip


def _copy(url: str, rows: list[tuple[Any, ...]]) -> None:
    with connect(url) as conn, conn.cursor() as cur:
        columns = sql.SQL(", ").join(map(sql.Identifier, _COPY_COLUMNS))
        with cur.copy(sql.SQL("COPY articles ({}) FROM STDIN").format(columns)) as copy:
            for row in rows:
                copy.write_row(row)


def fill(url: str, count: int) -> float:
    """Load ``count`` articles (2% of them copies) and their URLs; returns seconds taken.
    Two COPY streams run at once: the search-vector trigger is the server's main cost."""
    started = time.perf_counter()
    now = datetime.now(UTC)
    with connect(url) as conn:  # one GIN build at the end beats 100,000 index inserts
        conn.execute("DROP INDEX articles_search_idx")
    with ThreadPoolExecutor(2) as pool:
        rows = articles(count, now)
        batches = iter(lambda: list(itertools.islice(rows, 5000)), [])
        for done, _ in enumerate(pool.map(lambda batch: _copy(url, batch), batches)):
            print(f"\r  loaded {min((done + 1) * 5000, count):,} articles", end="", flush=True)
    print()
    with connect(url) as conn:
        conn.execute("SET maintenance_work_mem = '512MB'")
        conn.execute("CREATE INDEX articles_search_idx ON articles USING gin (search)")
        copied = ", ".join(c for c in _COPY_COLUMNS if c != "url")
        conn.execute(
            f"INSERT INTO articles ({copied}, url, duplicate_of, search_config, search)"
            f" SELECT {copied}, url || 'copy', id, search_config, search FROM articles"
            " WHERE id % 50 = 0"
        )
        conn.execute("INSERT INTO article_urls (url, article_id) SELECT url, id FROM articles")
        conn.execute("VACUUM ANALYZE articles")
        conn.execute("VACUUM ANALYZE article_urls")
    return time.perf_counter() - started


def prepare_database(server_url: str, count: int, reuse: bool) -> str:
    """A fresh, filled benchmark database on the server (or the one left by --keep)."""
    url = replace_dbname(server_url, DATABASE)
    with connect(server_url) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone()
    if reuse and exists:
        with connect(url) as conn:
            row = conn.execute(
                "SELECT count(*) FROM articles WHERE duplicate_of IS NULL"
            ).fetchone()
        if row and row[0] == count:
            print(f"reusing {DATABASE} with {count:,} articles")
            return url
    database_ready(recreate_database(server_url, DATABASE))
    print(f"filling {DATABASE} with {count:,} articles")
    seconds = fill(url, count)
    print(f"  filled in {seconds:.0f} s ({count / seconds:,.0f} articles/s incl. vectors)")
    return url


def queries() -> dict[str, list[str]]:
    """Query texts by kind; several per kind, so caches do not flatter one lucky query."""
    words = lexicon()
    return {
        "rare term": [words[r] for r in range(3000, 3010)],
        "common term": [words[0]],
        "phrase": ['"trade and energy"', '"officials said"', '"central bank"', '"border crossing"'],
        "OR": [f"{words[40 + i]} OR {words[900 + i]}" for i in range(5)],
        "exclusion": [f"{words[0]} -{words[1 + i]}" for i in range(3)],
    }


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def time_searches(url: str, rounds: int) -> list[tuple[str, str, int, float, float]]:
    """(kind, mode, matches, median ms, p95 ms) for every query kind in four modes."""
    now = datetime.now(UTC)
    recent = Filters(sources=("outlet-03",), since=now - timedelta(days=90))
    modes = {
        "relevance": ("relevance", Filters()),
        "date": ("date", Filters()),
        "date+filter": ("date", recent),
        "relevance+filter": ("relevance", recent),
    }
    results = []
    with connect(url) as conn:
        for kind, texts in queries().items():
            matches = round(statistics.mean(count_matching(conn, t, Filters()) for t in texts))
            for mode, (sort, filters) in modes.items():
                for text in texts:  # warm-up, untimed
                    search_articles(conn, SearchRequest(text, filters, sort, 20))
                samples = []
                for _ in range(rounds):
                    for text in texts:
                        started = time.perf_counter()
                        search_articles(conn, SearchRequest(text, filters, sort, 20))
                        samples.append((time.perf_counter() - started) * 1000)
                median, p95 = statistics.median(samples), _percentile(samples, 0.95)
                results.append((kind, mode, matches, median, p95))
    return results


def _peak_rss_mib(pid: int) -> float:
    """The process's resident-set high-water mark so far (VmHWM: its own, after exec)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def time_export(url: str, fmt: str, since: datetime | None) -> tuple[int, float, float]:
    """(rows, rows/s, peak RSS MiB) of `newswire export` in a child process. The peak is read
    from /proc while it runs: getrusage would count the memory it inherited from this one."""
    with tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / f"export.{fmt}"
        command = [sys.executable, "-m", "newswire", "export", "--format", fmt,
                   "--output", str(output)]  # fmt: skip
        filters = Filters()
        if since is not None:
            command += ["--since", since.date().isoformat()]
            filters = Filters(since=parse_when(since.date().isoformat(), name="since"))
        env = {**os.environ, "DATABASE_URL": url}
        started = time.perf_counter()
        child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)  # fmt: skip
        peak = 0.0
        while child.poll() is None:
            peak = max(peak, _peak_rss_mib(child.pid))
            time.sleep(0.02)
        seconds = time.perf_counter() - started
        if child.returncode != 0:
            raise SystemExit(f"export to {fmt} failed with status {child.returncode}")
        with connect(url) as conn:
            rows = count_matching(conn, None, filters)
    return rows, rows / seconds, peak


def main() -> None:
    """Parse flags, fill the database, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=6, help="timed runs of each query text")
    parser.add_argument("--reuse", action="store_true", help="keep a filled database of this size")
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    args = parser.parse_args()
    config = load_config()
    server_url = resolve_database_url(config)
    url = prepare_database(server_url, args.articles, args.reuse)
    try:
        load = os.getloadavg()[0]
        print(f"\nload average {load:.1f} on {os.cpu_count()} cores (quote figures when idle)")
        print(f"search latency, top 20, ms ({args.articles:,} articles; filter = one source"
              " of 20 and the last 90 days)")  # fmt: skip
        print(f"{'query':<12} {'mode':<17} {'matches':>8} {'median':>8} {'p95':>8}")
        for kind, mode, matches, median, p95 in time_searches(url, args.rounds):
            print(f"{kind:<12} {mode:<17} {matches:>8,} {median:>8.1f} {p95:>8.1f}")
        print("\nexport (child process: rows/s and peak RSS)")
        month = datetime.now(UTC) - timedelta(days=36)
        for fmt in ("jsonl", "parquet"):
            for since in (month, None):
                rows, rate, rss = time_export(url, fmt, since)
                print(f"{fmt:<8} {rows:>8,} rows {rate:>9,.0f} rows/s {rss:>7.0f} MiB peak RSS")
        print(f"load average {os.getloadavg()[0]:.1f} at the end")
    finally:
        if not args.keep:
            drop_database(server_url, DATABASE)


if __name__ == "__main__":
    main()
