"""Last stage: batched, idempotent writes of articles through storage.queries.

Articles are buffered and written in one transaction per batch (a COPY into staging plus a few
set-based statements), off the reactor thread, so the crawl never waits on a round trip per
item. Unique constraints in PostgreSQL decide what is new, a duplicate or already known. Each
new article gets its first refetch time from its source's delays.

Refetches of stored articles (an Article with ``refetch_of``, or a ``RefetchResult``) are not
batched: each is one short transaction of ``pipelines.versions.apply_refetch``, counted under
``newswire/refetch/<outcome>``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta
from typing import Any, Self

import psycopg
from psycopg_pool import ConnectionPool
from scrapy.crawler import Crawler

from newswire.errors import NewswireError
from newswire.records import Article, RefetchResult
from pipelines.versions import RefetchOutcome, apply_refetch, first_refetch
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
        if isinstance(item, RefetchResult) or (
            isinstance(item, Article) and item.refetch_of is not None
        ):
            await self._refetched(item)
            return item
        if not isinstance(item, Article):
            return item
        self._buffer(item)
        if len(self.buffer) >= self.batch_size:
            await self.flush()
        return item

    def _delays(self) -> tuple[timedelta, ...]:
        source = getattr(self.crawler.spider, "source", None)
        return source.refetch if source is not None else ()

    def _clock(self, fetched_at: datetime) -> datetime:
        """The time a refetch schedule is counted on: the fetch, or the run's own clock when
        that is later (``newswire crawl --as-of``)."""
        now = getattr(self.crawler.spider, "now", None)
        return max(fetched_at, now) if now is not None else fetched_at

    def _buffer(self, item: Article) -> None:
        item.refetch_at = first_refetch(item, self._delays(), self._clock(item.fetched_at))
        self.buffer.append(item)

    async def _refetched(self, item: Article | RefetchResult) -> None:
        """Compare and write one refetch now; a redirect to a new text is buffered as new."""
        if self.failed:
            return
        try:
            result = await asyncio.to_thread(self._apply, item)
        except (psycopg.Error, NewswireError) as exc:
            self._fail(exc, 1)
            return
        self.crawler.stats.inc_value(f"newswire/refetch/{result.outcome}")
        if result.new_article is not None:
            self._buffer(result.new_article)
        if len(self.buffer) >= self.batch_size:
            await self.flush()

    def _apply(self, item: Article | RefetchResult) -> RefetchOutcome:
        assert self.pool is not None
        with self.pool.connection() as conn:
            return apply_refetch(conn, item, self._delays(), self._clock(item.fetched_at))

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
                self._fail(exc, len(batch))
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

    def _fail(self, exc: Exception, count: int) -> None:
        """A database failure: record it as the run's error and stop the crawl."""
        spider = self.crawler.spider
        self.failed = True
        self.crawler.stats.inc_value("newswire/store/failed_batches")
        logger.error(
            "source %s run %s: storing %d articles failed: %s",
            spider.source.name,
            spider.run_id,
            count,
            exc,
        )
        message = (str(exc).strip() or type(exc).__name__).splitlines()[0]
        self.crawler.stats.set_value("newswire/error", f"database error: {message}")
        if not self.closing:
            # Not awaited: closing waits for the items in flight, this one included.
            self.stopper = asyncio.create_task(
                self.crawler.engine.close_spider_async(reason="database_error")
            )

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
