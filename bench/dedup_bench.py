"""Near-duplicate benchmark: copy-link quality on the sample site, and cost at corpus size.

    make bench-dedup                                   # 10,000 and 100,000 articles
    python bench/dedup_bench.py --sizes 10000
    DATABASE_URL=postgresql://... python bench/dedup_bench.py

Quality: every regular and test-bed article of the default sample site (its generated texts,
as the truth describes them) is signed and stored in a scratch database; each pair of
articles in one story is a copy link. Precision and recall of those links against the truth's
``story_of`` are printed beside the exact-hash method's (same normalised text only).

Cost: the corpus is filled with generated articles (the sample site's templated stories, so
different stories do share phrases), then 1,000 more are signed and stored on top. Printed
per article: signing (MinHash, pipelines.dedup), the LSH lookup and link verification alone
(storage.stories.assign_stories, run again on the same ids: the same query work), and the
whole store; and how many generated (all different) articles were linked, which is false
links at scale. The database ``newswire_bench_dedup`` is dropped and created again.
"""

from __future__ import annotations

import argparse
import itertools
import os
import time
import zlib
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from psycopg import sql

from newswire.config import load_config
from newswire.records import Article
from newswire.samplesite.content import LANGUAGES, topics_for, write_story
from newswire.samplesite.site import build_site
from pipelines.dedup import fingerprint_text, sign_text
from storage.connection import connect, database_ready, recreate_database, resolve_database_url
from storage.queries import store_articles
from storage.stories import assign_stories

DATABASE = "newswire_bench_dedup"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
BATCH = 100  # the crawl's store batch size
PROBE = 1_000  # articles signed and stored on top of the corpus, timed


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


def quality(url: str) -> None:
    """Precision and recall of copy links on the sample site, beside the exact-hash method's."""
    site = build_site(now=NOW)
    pages = [a for a in site.articles if not a.disallowed]
    key = {id(a): f"{a.outlet}{a.path}" for a in pages}
    truth_groups: dict[str, list[str]] = defaultdict(list)
    exact_groups: dict[bytes, list[str]] = defaultdict(list)
    articles = []
    for a in pages:
        text = "\n\n".join(a.story.paragraphs)
        root = f"{a.story_of[0]}{a.story_of[1]}" if a.story_of else key[id(a)]
        truth_groups[root].append(key[id(a)])
        exact_groups[fingerprint_text(text)].append(key[id(a)])
        articles.append(make_article(a.outlet, key[id(a)], text, a.published))
    with connect(url) as conn:
        store_articles(conn, None, articles)
        rows = conn.execute(
            "SELECT a.url, o.url FROM articles a JOIN articles o ON o.id = a.story_id"
        ).fetchall()
        aliases = conn.execute("SELECT url, article_id FROM article_urls").fetchall()
    stored_groups: dict[str, list[str]] = defaultdict(list)
    for member, original in rows:
        stored_groups[original].append(member)
    truth = _pairs(truth_groups)
    print(f"copy links on the sample site: {len(pages)} articles, {len(truth)} true links")
    print(f"{'method':<22} {'links':>6} {'precision':>10} {'recall':>8}")
    for name, groups in (("exact hash", exact_groups), ("minhash + LSH", stored_groups)):
        found = _pairs(dict(groups))  # type: ignore[arg-type]
        precision, recall = _score(found, truth)
        print(f"{name:<22} {len(found):>6} {precision:>10.3f} {recall:>8.3f}")
    assert len(aliases) == len(articles), "no page of the sample site is another's alias"


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


def cost(server_url: str, size: int) -> None:
    """Sign, look up and store costs per article with ``size`` articles already stored."""
    url = database_ready(recreate_database(server_url, DATABASE))
    with connect(url) as conn:
        for start in range(0, size, 5_000):
            chunk = generated(min(5_000, size - start), start)
            for b in range(0, len(chunk), BATCH):
                store_articles(conn, None, chunk[b : b + BATCH])
        began = time.perf_counter()
        probe = generated(PROBE, size)
        sign_ms = (time.perf_counter() - began) * 1000 / PROBE
        began = time.perf_counter()
        ids = []
        for b in range(0, PROBE, BATCH):
            ids += store_articles(conn, None, probe[b : b + BATCH]).article_ids
        store_ms = (time.perf_counter() - began) * 1000 / PROBE
        began = time.perf_counter()
        for b in range(0, PROBE, BATCH):
            with conn.transaction():
                assign_stories(conn, ids[b : b + BATCH])
        lookup_ms = (time.perf_counter() - began) * 1000 / PROBE
        row = conn.execute(
            "SELECT count(*) FILTER (WHERE story_id <> id), count(*),"
            " (SELECT count(*) FROM article_bands) FROM articles"
        ).fetchone()
        assert row is not None
    linked, total, bands = row
    print(
        f"{total:>8,} {sign_ms:>9.2f} {lookup_ms:>11.2f} {store_ms:>9.2f} {linked:>8,} {bands:>12,}"
    )


def main() -> None:
    """Parse flags, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    server_url = resolve_database_url(load_config())
    try:
        quality(database_ready(recreate_database(server_url, DATABASE)))
        print(
            f"\nper article, ms (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
        )
        header = ("articles", 8), ("sign", 9), ("lsh lookup", 11), ("store", 9), ("linked", 8)
        print(" ".join(f"{name:>{width}}" for name, width in (*header, ("band rows", 12))))
        for size in args.sizes:
            cost(server_url, size)
    finally:
        with connect(server_url) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DATABASE))
            )


if __name__ == "__main__":
    main()
