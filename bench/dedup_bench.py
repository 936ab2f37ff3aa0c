"""Near-duplicate benchmark: copy-link quality on the sample site, and cost at corpus size.

    make bench-dedup                                   # 10,000 and 100,000 articles
    python bench/dedup_bench.py --sizes 10000
    DATABASE_URL=postgresql://... python bench/dedup_bench.py

Quality: every regular and test-bed article of the default sample site (its generated texts,
as the truth describes them) is signed and stored in a scratch database; each pair of
articles in one story is a copy link. Precision and recall of those links against the truth's
``story_of`` are printed beside the exact-hash method's (same normalised text only): on an
empty database, and again stored on top of each generated corpus (a link to a generated
article is a false one), where the bounded lookup must still find every copy.

Cost: the corpus is filled with generated articles (the sample site's templated stories, so
different stories do share phrases), then 1,000 more are signed and stored on top. Printed
per article: signing (MinHash, pipelines.dedup); the lookup and link verification alone
(storage.stories.find_links on the same ids) within the store's bounds, and unbounded (every
posting read, every candidate verified: the baseline); the whole store; how many generated
(all different) articles were linked, which is false links at scale; and how many links the
unbounded lookup found that the bounded one missed. The database ``newswire_bench_dedup`` is
dropped and created again.
"""

from __future__ import annotations

import argparse
import itertools
import os
import time
import zlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg import Connection

from newswire.config import load_config
from newswire.records import Article
from newswire.samplesite.content import LANGUAGES, topics_for, write_story
from newswire.samplesite.site import build_site
from pipelines.dedup import fingerprint_text, sign_text
from storage.connection import (
    connect,
    database_ready,
    drop_database,
    recreate_database,
    resolve_database_url,
)
from storage.queries import store_articles
from storage.stories import BOUNDS, LookupBounds, find_links

DATABASE = "newswire_bench_dedup"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
BATCH = 100  # the crawl's store batch size
PROBE = 1_000  # articles signed and stored on top of the corpus, timed
UNBOUNDED = LookupBounds(postings=10**9, verified=10**9)  # the baseline: every candidate verified


def make_article(source: str, url: str, text: str, published: datetime) -> Article:
    """An article as the crawl's pipelines hand it to the store, signed."""
    signature, shingles = sign_text(text)
    return Article(
        source=source, url=url, urls=[url], title=url.rsplit("/", 1)[-1], authors=[],
        published_at=published, language="en", site_name=None, description=None,
        categories=[], tags=[], text=text, html_zlib=zlib.compress(text.encode()),
        encoding="utf-8", fetched_at=NOW, text_hash=fingerprint_text(text),
        signature=signature, shingles=shingles,
    )  # fmt: skip


def _pairs(groups: dict[str, list[str]]) -> set[frozenset[str]]:
    return {frozenset(p) for g in groups.values() for p in itertools.combinations(sorted(g), 2)}


def _score(found: set[frozenset[str]], truth: set[frozenset[str]]) -> tuple[float, float]:
    hits = len(found & truth)
    return (hits / len(found) if found else 1.0), (hits / len(truth) if truth else 1.0)


@dataclass(frozen=True)
class Truth:
    """The default sample site's articles, signed, and its copy links."""

    articles: list[Article]
    links: set[frozenset[str]]  # each pair of URLs in one story, by the truth's story_of
    exact: set[frozenset[str]]  # each pair with the same normalised text


def sample_truth() -> Truth:
    """Every regular and test-bed article of the default sample site, keyed outlet + path."""
    site = build_site(now=NOW)
    pages = [a for a in site.articles if not a.disallowed]
    truth_groups: dict[str, list[str]] = defaultdict(list)
    exact_groups: dict[bytes, list[str]] = defaultdict(list)
    articles = []
    for a in pages:
        key, text = f"{a.outlet}{a.path}", "\n\n".join(a.story.paragraphs)
        root = f"{a.story_of[0]}{a.story_of[1]}" if a.story_of else key
        truth_groups[root].append(key)
        exact_groups[fingerprint_text(text)].append(key)
        articles.append(make_article(a.outlet, key, text, a.published))
    return Truth(articles, _pairs(truth_groups), _pairs(dict(exact_groups)))  # type: ignore[arg-type]


def score(conn: Connection[Any], truth: Truth, corpus: str) -> str:
    """Store the sample site's articles on top of what the database holds and print the
    precision and recall of their copy links; a link to a generated article is a false one."""
    result = store_articles(conn, None, truth.articles)
    assert result.stored + result.duplicates == len(truth.articles), "no page is another's alias"
    keys = {article.url for article in truth.articles}
    groups: dict[str, list[str]] = defaultdict(list)
    for member, original in conn.execute(
        "SELECT a.url, o.url FROM articles a JOIN articles o ON o.id = a.story_id"
        " WHERE a.story_id IN (SELECT story_id FROM articles WHERE url = ANY(%s))",
        [list(keys)],
    ):
        groups[original].append(member)
    found = {pair for pair in _pairs(groups) if pair & keys}
    return _quality_row("minhash + LSH", corpus, found, truth.links)


def _quality_row(method: str, corpus: str, found: set[Any], truth: set[Any]) -> str:
    precision, recall = _score(found, truth)
    return f"{method:<14} {corpus:>18} {len(found):>6} {precision:>10.3f} {recall:>8.3f}"


def generated(count: int, start: int = 0) -> list[Article]:
    """``count`` different generated stories over 20 sources and four languages."""
    topics = [(lang, topic) for lang in LANGUAGES for topic in topics_for(lang)]
    out = []
    for i in range(start, start + count):
        lang, topic = topics[i % len(topics)]
        story = write_story(f"bench:{i}", topic=topic, language=lang, wire="Bench", min_words=320)
        published = NOW - timedelta(minutes=7 * i)
        out.append(make_article(f"s{i % 20}", f"http://bench.example/{i}", "\n\n".join(
            story.paragraphs), published))  # fmt: skip
    return out


def cost(server_url: str, size: int, truth: Truth) -> tuple[str, str]:
    """Sign, look up and store costs per article with ``size`` articles already stored, and
    the sample site's copy links scored on top of that corpus: (cost row, quality row)."""
    url = database_ready(recreate_database(server_url, DATABASE))
    with connect(url) as conn:
        for start in range(0, size, 5_000):
            chunk = generated(min(5_000, size - start), start)
            for b in range(0, len(chunk), BATCH):
                store_articles(conn, None, chunk[b : b + BATCH])
            # Statistics, as autovacuum keeps them in a database that has been running: on a
            # shared server it lags a fill of hundreds of articles a second, and with none the
            # planner's defaults pick sequential scans of articles (0.6 s a batch at 85,000).
            conn.execute("ANALYZE")
        began = time.perf_counter()
        probe = generated(PROBE, size)
        sign_ms = (time.perf_counter() - began) * 1000 / PROBE
        began = time.perf_counter()
        ids = []
        for b in range(0, PROBE, BATCH):
            ids += store_articles(conn, None, probe[b : b + BATCH]).article_ids
        store_ms = (time.perf_counter() - began) * 1000 / PROBE
        lookup_ms, found = {}, {}
        for bounds in (BOUNDS, UNBOUNDED):
            began = time.perf_counter()
            found[bounds] = {
                frozenset(link)
                for b in range(0, PROBE, BATCH)
                for link in find_links(conn, ids[b : b + BATCH], bounds)
            }
            lookup_ms[bounds] = (time.perf_counter() - began) * 1000 / PROBE
        missed = len(found[UNBOUNDED] - found[BOUNDS])
        row = conn.execute(
            "SELECT count(*) FILTER (WHERE story_id <> id), count(*),"
            " (SELECT count(*) FROM article_bands) FROM articles"
        ).fetchone()
        assert row is not None
        linked, total, bands = row
        quality = score(conn, truth, f"on {total:,} others")
    return (
        f"{total:>8,} {sign_ms:>6.2f} {lookup_ms[BOUNDS]:>8.2f} {lookup_ms[UNBOUNDED]:>10.2f}"
        f" {store_ms:>7.2f} {linked:>7,} {missed:>7,} {bands:>10,}"
    ), quality


def main() -> None:
    """Parse flags, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    server_url = resolve_database_url(load_config())
    truth = sample_truth()
    try:
        with connect(database_ready(recreate_database(server_url, DATABASE))) as conn:
            qualities = [score(conn, truth, "alone")]
        costs = [cost(server_url, size, truth) for size in args.sizes]
        print(f"copy links on the sample site: {len(truth.articles)} articles, "
              f"{len(truth.links)} true links")  # fmt: skip
        print(f"{'method':<14} {'corpus':>18} {'links':>6} {'precision':>10} {'recall':>8}")
        print(_quality_row("exact hash", "alone", truth.exact, truth.links))
        print("\n".join([*qualities, *(row for _, row in costs)]))
        print(
            f"\nper article, ms (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
        )
        header = (
            ("articles", 8), ("sign", 6), ("lookup", 8), ("unbounded", 10), ("store", 7),
            ("linked", 7), ("missed", 7), ("band rows", 10),
        )  # fmt: skip
        print(" ".join(f"{name:>{width}}" for name, width in header))
        print("\n".join(row for row, _ in costs))
    finally:
        drop_database(server_url, DATABASE)


if __name__ == "__main__":
    main()
