"""The naive baseline: the news spider with extraction in its callback, one INSERT and commit
per article. A benchmark yardstick only, never product code.

Run by crawl_bench.py as ``python bench/naive_crawl.py SOURCES DATABASE_URL MAX_PAGES``: every
source of the file is crawled at once in this process, like ``newswire crawl --all``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response

from crawler.sources import load_sources
from crawler.spiders.news import NewsSpider
from crawler.urls import canonicalize_url, resolve_canonical
from pipelines.dedup import fingerprint_text
from pipelines.extract import ExtractOptions, Rejection, extract_article
from scheduler.inprocess import CrawlOptions, crawl_settings

logger = logging.getLogger(__name__)

# One statement writes the article, its URLs and its HTML; the connection commits after it.
_INSERT = """
WITH a AS (
    INSERT INTO articles (source, url, title, authors, published_at, language, site_name,
                          description, categories, tags, text, text_hash, fetched_at, run_id)
    VALUES (%(source)s, %(url)s, %(title)s, %(authors)s, %(published_at)s, %(language)s,
            %(site_name)s, %(description)s, %(categories)s, %(tags)s, %(text)s, %(text_hash)s,
            %(fetched_at)s, %(run_id)s)
    ON CONFLICT DO NOTHING RETURNING id),
u AS (
    INSERT INTO article_urls (url, article_id)
    SELECT v.url, a.id FROM a, unnest(%(urls)s::text[]) AS v(url) ON CONFLICT DO NOTHING)
INSERT INTO article_html (article_id, fetched_url, encoding, html_zlib)
SELECT a.id, %(url)s, %(encoding)s, %(html_zlib)s FROM a
"""


class NaiveSpider(NewsSpider):
    """The news spider, extracting each article page inline in its callback."""

    name = "naive"

    def parse_article(self, response: Response) -> Iterator[Any]:
        """Extract here, in the reactor thread, and hand a plain dict to the pipeline."""
        for page in super().parse_article(response):
            options = ExtractOptions(language_hint=page.language_hint)
            result = extract_article(
                page.body, page.response_url, page.content_type, options, page.content_encoding
            )
            if isinstance(result, Rejection):
                self.crawler.stats.inc_value(f"newswire/rejected/{result.reason}")
                continue
            url = resolve_canonical(
                page.response_url, result.canonical_href, self.source.allowed_domains
            )
            yield {
                "source": page.source,
                "url": url,
                "urls": sorted({page.url, canonicalize_url(page.response_url), url}),
                "title": result.title or page.hint_title or "",
                "authors": result.authors,
                "published_at": result.published_at or page.hint_published,
                "language": result.language,
                "site_name": result.site_name,
                "description": result.description,
                "categories": result.categories,
                "tags": result.tags,
                "text": result.text,
                "text_hash": fingerprint_text(result.text),
                "fetched_at": page.fetched_at,
                "encoding": result.encoding,
                "html_zlib": result.html_zlib,
            }


class NaiveStorePipeline:
    """One INSERT and one commit per article, on the reactor thread."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.conn: psycopg.Connection[Any] | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> NaiveStorePipeline:
        return cls(crawler.settings["NEWSWIRE_DATABASE_URL"])

    def open_spider(self) -> None:
        self.conn = psycopg.connect(self.database_url)

    def close_spider(self) -> None:
        if self.conn is not None:
            self.conn.close()

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        assert self.conn is not None
        self.conn.execute(_INSERT, {**item, "run_id": None})
        self.conn.commit()
        return item


def main(sources_path: str, database_url: str, max_pages: int) -> None:
    """Crawl every source of the file with the naive spider."""
    settings = crawl_settings(database_url, Path(sources_path), CrawlOptions(max_pages=max_pages))
    settings.set("ITEM_PIPELINES", {f"{__name__}.NaiveStorePipeline": 300}, priority="cmdline")
    settings.set("LOG_LEVEL", "WARNING", priority="cmdline")
    settings.set("HTTPCACHE_ENABLED", False, priority="cmdline")
    process = CrawlerProcess(settings)
    for name in load_sources(Path(sources_path)):
        process.crawl(NaiveSpider, source=name, max_pages=max_pages)
    process.start()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
