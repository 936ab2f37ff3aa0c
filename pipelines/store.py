"""Last stage: batched, idempotent writes of articles through storage.queries.

Articles are buffered and written in one transaction per batch (a COPY into staging plus a few
set-based statements), off the reactor thread, so the crawl never waits on a round trip per
item. Unique constraints in PostgreSQL decide what is new, a duplicate or already known.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Self

import psycopg
from psycopg_pool import ConnectionPool
from scrapy.crawler import Crawler

from newswire.errors import NewswireError
from newswire.records import Article
from storage.connection import open_pool
from storage.queries import StoreResult, store_articles

logger = logging.getLogger(__name__)


class StorePipeline:
    """Buffers Articles and writes them in batches; a database failure stops the crawl."""

    def __init__(
        self,
        crawler: Crawler,
        database_url: str,
        batch_size: int,
        flush_seconds: float,
        pool: ConnectionPool | None = None,
    ):
        self.crawler = crawler
        self.database_url = database_url
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.buffer: list[Article] = []
        self.lock = asyncio.Lock()
        self.pool = pool  # the entry point's, shared by its crawlers; else our own
        self.owns_pool = pool is None
        self.ticker: asyncio.Task[None] | None = None
        self.failed = False
        self.closing = False
        self.stopper: asyncio.Task[None] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        shared = settings.get("NEWSWIRE_DATABASE_POOL")
        return cls(
            crawler,
            settings["NEWSWIRE_DATABASE_URL"],
            settings.getint("NEWSWIRE_STORE_BATCH_SIZE"),
            settings.getfloat("NEWSWIRE_STORE_FLUSH_SECONDS"),
            shared if isinstance(shared, ConnectionPool) else None,
        )

    async def open_spider(self) -> None:
        if self.pool is None:
            self.pool = await asyncio.to_thread(
                open_pool, self.database_url, min_size=1, max_size=1
            )
        self.ticker = asyncio.create_task(self._tick())

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, Article):
            return item
        self.buffer.append(item)
        if len(self.buffer) >= self.batch_size:
            await self.flush()
        return item

    async def close_spider(self) -> None:
        self.closing = True
        if self.ticker is not None:
            self.ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.ticker
        await self.flush()
        if self.pool is not None and self.owns_pool:
            await asyncio.to_thread(self.pool.close)

    async def flush(self) -> None:
        """Write what is buffered as one transaction; count the outcome in the crawl's stats."""
        async with self.lock:
            batch, self.buffer = self.buffer, []
            if not batch or self.failed:
                return
            spider = self.crawler.spider
            try:
                result = await asyncio.to_thread(self._store, spider.run_id, batch)
            except (psycopg.Error, NewswireError) as exc:
                self.failed = True
                self.crawler.stats.inc_value("newswire/store/failed_batches")
                logger.error(
                    "source %s run %s: storing %d articles failed: %s",
                    spider.source.name,
                    spider.run_id,
                    len(batch),
                    exc,
                )
                message = (str(exc).strip() or type(exc).__name__).splitlines()[0]
                self.crawler.stats.set_value("newswire/error", f"database error: {message}")
                if not self.closing:
                    # Not awaited: closing waits for the items in flight, this one included.
                    self.stopper = asyncio.create_task(
                        self.crawler.engine.close_spider_async(reason="database_error")
                    )
                return
        stats = self.crawler.stats
        stats.inc_value("newswire/store/stored", result.stored)
        stats.inc_value("newswire/store/duplicates", result.duplicates)
        stats.inc_value("newswire/store/known", result.already_known)
        stats.inc_value("newswire/store/batches")
        new = [a for a, outcome in zip(batch, result.outcomes, strict=True) if outcome != "known"]
        # The metadata the run's checks weigh (crawler.monitors), over its new rows.
        stats.inc_value("newswire/store/with_title", sum(1 for a in new if a.title))
        stats.inc_value("newswire/store/with_authors", sum(1 for a in new if a.authors))
        stats.inc_value("newswire/store/with_date", sum(1 for a in new if a.published_at))

    def _store(self, run_id: int | None, batch: list[Article]) -> StoreResult:
        assert self.pool is not None
        with self.pool.connection() as conn:
            return store_articles(conn, run_id, batch)

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.flush_seconds)
            # Shielded: closing cancels the ticker, and a batch it had taken from the buffer
            # must still be written and counted (close_spider's own flush waits for it).
            await asyncio.shield(self.flush())
