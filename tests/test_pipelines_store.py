"""StorePipeline: batches reach PostgreSQL and the run's stats, however the crawl closes."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import psycopg
import pytest
from scrapy import Spider
from scrapy.utils.test import get_crawler

from newswire.records import Article
from pipelines.store import StorePipeline
from tests.test_storage_queries import make_article


class _Source:
    name = "alpha"
    refetch = ()


class _Spider(Spider):
    name = "news"
    source = _Source()
    run_id = None


def _pipeline(database_url: str, flush_seconds: float) -> StorePipeline:
    crawler = get_crawler(
        _Spider,
        {
            "NEWSWIRE_DATABASE_URL": database_url,
            "NEWSWIRE_STORE_BATCH_SIZE": 100,
            "NEWSWIRE_STORE_FLUSH_SECONDS": flush_seconds,
        },
    )
    crawler.spider = _Spider.from_crawler(crawler)
    return StorePipeline.from_crawler(crawler)


def test_closing_during_a_timed_flush_loses_no_article(
    database_url: str, db: psycopg.Connection[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline = _pipeline(database_url, flush_seconds=0.05)
    writing = threading.Event()
    store = StorePipeline._store

    def slow_store(self: StorePipeline, run_id: int | None, batch: list[Article]) -> Any:
        writing.set()  # the ticker has taken the batch out of the buffer
        threading.Event().wait(0.3)
        return store(self, run_id, batch)

    monkeypatch.setattr(StorePipeline, "_store", slow_store)
    articles = [make_article(f"tick-{i}") for i in range(5)]

    async def scenario() -> None:
        await pipeline.open_spider()
        for article in articles:
            await pipeline.process_item(article)
        while not writing.is_set():
            await asyncio.sleep(0.01)
        await pipeline.close_spider()  # cancels the ticker in the middle of its write

    asyncio.run(scenario())
    assert db.execute("SELECT count(*) FROM articles").fetchone() == (5,)
    assert pipeline.crawler.stats.get_value("newswire/store/stored") == 5


def test_what_is_buffered_at_close_is_written(
    database_url: str, db: psycopg.Connection[Any]
) -> None:
    pipeline = _pipeline(database_url, flush_seconds=60)

    async def scenario() -> None:
        await pipeline.open_spider()
        for i in range(3):
            await pipeline.process_item(make_article(f"close-{i}"))
        await pipeline.close_spider()

    asyncio.run(scenario())
    assert db.execute("SELECT count(*) FROM articles").fetchone() == (3,)
    assert pipeline.crawler.stats.get_value("newswire/store/batches") == 1
