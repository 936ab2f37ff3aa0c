"""crawler.gate: stored URLs, and rejected ones not due again, are dropped, one query per
callback, against the real database."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from psycopg_pool import ConnectionPool
from scrapy import Request
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.http import Response
from scrapy.utils.test import get_crawler

from crawler.gate import LOOKUP_BATCH, StoredUrlGateMiddleware
from newswire.records import Page
from storage.connection import open_pool
from storage.queries import REJECTED_RETRY_MAX, gated_urls, remember_rejected, store_articles
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


# ---------------------------------------------------------------- rejected URLs

DEAD = "http://127.0.0.1:8000/alpha/2019/05/06/story-removed"
LOGIN_WALL = "http://127.0.0.1:8000/alpha/2026/11/24/members-only"


class _Source:
    name = "alpha"


class _Spider:
    name = "news"
    source = _Source()


def _page(url: str, *, refetch: Any = None) -> Page:
    return Page(source="alpha", url=url, response_url=url, body=b"", content_type="text/html",
                status=200, fetched_at=datetime.now(UTC), via="feed", refetch=refetch)  # fmt: skip


def _run(gate: StoredUrlGateMiddleware) -> None:
    """What a run's crawl tells the gate: a rejected page, a dead link, and noise."""
    gate.item_dropped(_page(LOGIN_WALL), DropItem(f"not_article: {LOGIN_WALL}"), _Spider())
    flaky = "http://127.0.0.1:8000/alpha/2026/11/24/half-a-page"
    gate.item_dropped(_page(flaky), DropItem(f"parse_error: {flaky}"), _Spider())  # a fault
    dead = gated(DEAD)
    gate.response_received(Response(DEAD, status=404, request=dead), dead, _Spider())
    moved = gated("http://127.0.0.1:8000/alpha/2026/11/24/moved-on")
    gate.response_received(Response(moved.url, status=500, request=moved), moved, _Spider())
    stored_gone = Request(STORED, meta={"article_url": STORED, "newswire_article": True,
                                        "newswire_refetch": object()})  # fmt: skip
    gate.response_received(Response(STORED, status=410, request=stored_gone), stored_gone,
                           _Spider())  # fmt: skip
    asyncio.run(gate.close(_Spider()))


def test_a_run_s_rejections_are_skipped_by_the_next_run_in_the_same_query(
    gate: StoredUrlGateMiddleware, pool: ConnectionPool, db: Any, database_url: str
) -> None:
    _run(gate)
    rows = db.execute("SELECT url, source, reason, rejections FROM rejected_urls ORDER BY url")
    assert rows.fetchall() == [
        (DEAD, "alpha", "http_404", 1),
        (LOGIN_WALL, "alpha", "not_article", 1),
    ]
    assert gate.stats.get_value("newswire/incremental/rejected_recorded") == 2
    asked = lookups(pool)
    following = StoredUrlGateMiddleware(get_crawler().stats, database_url, pool)
    new = gated("http://127.0.0.1:8000/alpha/2026/11/24/half-a-page")
    assert through(following, [gated(DEAD), gated(LOGIN_WALL), gated(STORED), new]) == [new]
    assert lookups(pool) == asked + 1
    assert following.stats.get_value("newswire/incremental/skipped_rejected") == 2
    assert following.stats.get_value("newswire/incremental/skipped_stored") == 1


def test_a_rejected_refetch_is_not_remembered(gate: StoredUrlGateMiddleware, db: Any) -> None:
    gate.item_dropped(_page(STORED, refetch=object()), DropItem(f"not_article: {STORED}"),
                      _Spider())  # fmt: skip
    asyncio.run(gate.close(_Spider()))
    assert db.execute("SELECT count(*) FROM rejected_urls").fetchone() == (0,)


def test_a_rejected_url_is_looked_at_again_later_and_later(db: Any) -> None:
    start = datetime(2026, 12, 1, tzinfo=UTC)
    remember_rejected(db, "alpha", {DEAD: "http_404"}, start)
    assert gated_urls(db, [DEAD], start + timedelta(minutes=59)).rejected == {DEAD}
    assert gated_urls(db, [DEAD], start + timedelta(minutes=61)).rejected == set()  # due
    again = start + timedelta(minutes=61)
    remember_rejected(db, "alpha", {DEAD: "http_410"}, again)  # gone still: twice as long
    assert gated_urls(db, [DEAD], again + timedelta(minutes=119)).rejected == {DEAD}
    assert gated_urls(db, [DEAD], again + timedelta(minutes=121)).rejected == set()
    for _ in range(12):
        remember_rejected(db, "alpha", {DEAD: "http_404"}, again)
    (retry,) = db.execute("SELECT retry_after - rejected_at FROM rejected_urls").fetchone()
    assert retry == REJECTED_RETRY_MAX  # doubling stops at a week
