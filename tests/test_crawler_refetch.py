"""crawler.refetch: due articles join a run's start, modified stored URLs become refetches."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from psycopg_pool import ConnectionPool
from scrapy import Request
from scrapy.utils.test import get_crawler

from crawler.refetch import RefetchMiddleware
from crawler.sources import parse_sources
from crawler.spiders.news import NewsSpider
from storage.connection import open_pool
from storage.queries import store_articles
from tests.middleware import through
from tests.test_storage_queries import NOW, make_article

SOURCES = '[sources.alpha]\nhome = "http://127.0.0.1:8000/"\n'


@pytest.fixture
def pool(db: Any, database_url: str) -> Iterator[ConnectionPool]:
    old = replace(make_article("old"), published_at=NOW - timedelta(days=2),
                  refetch_at=NOW - timedelta(hours=1), etag='"e1"')  # fmt: skip
    new = replace(make_article("new"), refetch_at=NOW + timedelta(hours=5))
    store_articles(db, None, [old, new])
    pool = open_pool(database_url, min_size=1, max_size=1)
    try:
        yield pool
    finally:
        pool.close()


def _middleware(pool: ConnectionPool, database_url: str, refetch: str = "") -> RefetchMiddleware:
    source = parse_sources(SOURCES + refetch, "s.toml")["alpha"]
    crawler = get_crawler(NewsSpider)
    crawler.spider = NewsSpider(source, now=NOW)
    return RefetchMiddleware(crawler, database_url, pool)


def _start(middleware: RefetchMiddleware, seeds: list[Any]) -> list[Any]:
    async def start() -> AsyncIterator[Any]:
        for seed in seeds:
            yield seed

    async def collect() -> list[Any]:
        return [obj async for obj in middleware.process_start(start())]

    return asyncio.run(collect())


def test_due_articles_follow_the_seeds_as_conditional_requests(
    pool: ConnectionPool, database_url: str
) -> None:
    seed = Request("http://127.0.0.1:8000/rss.xml")
    out = _start(_middleware(pool, database_url), [seed])
    assert out[0] is seed and len(out) == 2
    refetch = out[1]
    assert refetch.url == make_article("old").url
    assert refetch.headers.get("If-None-Match") == b'"e1"'
    assert refetch.meta["newswire_refetch"].version == 1 and refetch.meta["dont_redirect"]
    assert 304 in refetch.meta["handle_httpstatus_list"]


def test_refetch_false_adds_nothing(pool: ConnectionPool, database_url: str) -> None:
    seed = Request("http://127.0.0.1:8000/rss.xml")
    assert _start(_middleware(pool, database_url, "refetch = false\n"), [seed]) == [seed]


def test_a_modified_stored_url_becomes_a_refetch(pool: ConnectionPool, database_url: str) -> None:
    middleware = _middleware(pool, database_url)
    url, other = make_article("new").url, "http://127.0.0.1:8000/alpha/unknown"

    def listed(link: str, modified: Any) -> Request:
        return Request(link, meta={"newswire_article": True, "article_url": link,
                                   "hint_modified": modified})  # fmt: skip

    stale = listed(url, NOW - timedelta(hours=3))  # before its fetch: the gate drops it
    fresh = listed(url, NOW + timedelta(minutes=10))
    unknown = listed(other, NOW)
    assert through(middleware, [stale, unknown]) == [stale, unknown]
    [refetch, passed] = through(middleware, [fresh, unknown])
    assert refetch.meta["newswire_refetch"].url == url and passed is unknown
    assert middleware.crawler.stats.get_value("newswire/refetch/modified") == 1
    assert through(middleware, [fresh]) == [fresh]  # asked once a run
