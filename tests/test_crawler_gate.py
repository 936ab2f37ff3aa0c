"""crawler.gate: stored URLs are dropped, one query per callback, against the real database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from psycopg_pool import ConnectionPool
from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from crawler.gate import LOOKUP_BATCH, StoredUrlGateMiddleware
from storage.connection import open_pool
from storage.queries import store_articles
from tests.middleware import through
from tests.test_storage_queries import make_article

STORED = "http://127.0.0.1:8000/alpha/one"  # make_article("one")'s canonical URL
ALIAS = "http://127.0.0.1:8000/alpha/one-short"  # another URL of the same article


def gated(url: str, *, article: bool = True) -> Request:
    meta: dict[str, Any] = {"article_url": url}
    if article:
        meta["newswire_article"] = True
    return Request(url, meta=meta)


@pytest.fixture
def pool(db: Any, database_url: str) -> Iterator[ConnectionPool]:
    store_articles(db, None, [make_article("one", urls=["one-short"])])
    pool = open_pool(database_url, min_size=1, max_size=1)
    try:
        yield pool
    finally:
        pool.close()


def lookups(pool: ConnectionPool) -> int:
    return pool.get_stats().get("requests_num", 0)


@pytest.fixture
def gate(pool: ConnectionPool, database_url: str) -> StoredUrlGateMiddleware:
    return StoredUrlGateMiddleware(get_crawler().stats, database_url, pool)


def test_stored_urls_are_dropped_in_one_query(
    gate: StoredUrlGateMiddleware, pool: ConnectionPool
) -> None:
    feed = Request("http://127.0.0.1:8000/feed.xml")  # not gated: passes at once
    new, listing = gated("http://127.0.0.1:8000/alpha/two"), gated(ALIAS, article=False)
    out = through(gate, [gated(STORED), new, feed, listing, "an item"])
    assert out == [feed, "an item", new]
    assert gate.stats.get_value("newswire/incremental/skipped_stored") == 2
    assert lookups(pool) == 1


def test_a_big_callback_costs_one_query_per_batch(
    gate: StoredUrlGateMiddleware, pool: ConnectionPool
) -> None:
    requests = [gated(f"http://127.0.0.1:8000/alpha/n{i}") for i in range(LOOKUP_BATCH + 1)]
    assert through(gate, requests) == requests
    assert lookups(pool) == 2


def test_a_url_found_new_is_not_asked_again(
    gate: StoredUrlGateMiddleware, pool: ConnectionPool
) -> None:
    new = gated("http://127.0.0.1:8000/alpha/two")
    through(gate, [new])
    again = gated("http://127.0.0.1:8000/alpha/two")
    assert through(gate, [again]) == [again]  # the budget counts it as a repeat
    assert lookups(pool) == 1


def test_switched_off_with_the_incremental_stage() -> None:
    crawler = get_crawler(settings_dict={"NEWSWIRE_INCREMENTAL_ENABLED": False})
    with pytest.raises(NotConfigured):
        StoredUrlGateMiddleware.from_crawler(crawler)
