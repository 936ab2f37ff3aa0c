"""Spider middleware: refetches of stored articles, riding on the source's normal runs.

At the start of a run it asks the database once for the source's articles due again (their
next refetch delay after publication has passed, ``storage.versions.due_refetches``), newest
first, at most the budget's refetch share (``crawler.budget``), and adds a conditional request
for each after the spider's own seeds. While the crawl reads feeds and sitemaps, a stored
article whose entry says it was modified after its last fetch (a sitemap ``lastmod``, an Atom
``<updated>``) is fetched again at once instead of being dropped by the stored-URL gate: one
query per callback that lists such entries.

The requests are the spider's (``NewsSpider.refetch_request``): politeness, download slot and
priority (newest first) are those of any article request. A source with ``refetch = false``
gets none.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, Self

from psycopg_pool import ConnectionPool
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from crawler.budget import REFETCH_SHARE
from newswire.records import Refetch
from storage.connection import open_pool
from storage.versions import due_refetches, modified_refetches

logger = logging.getLogger(__name__)


class RefetchMiddleware:
    """Adds the due refetches to a run's start, and turns modified stored URLs into refetches."""

    def __init__(self, crawler: Crawler, database_url: str, pool: ConnectionPool | None) -> None:
        self.crawler = crawler
        self.database_url = database_url
        self.pool = pool  # the entry point's, shared by its crawlers; else opened on first use
        self.owns_pool = pool is None
        self.asked: set[int] = set()  # article ids already refetched this run

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Off with the incremental stage (no database to ask)."""
        settings = crawler.settings
        if not settings.getbool("NEWSWIRE_INCREMENTAL_ENABLED"):
            raise NotConfigured("NEWSWIRE_INCREMENTAL_ENABLED is off")
        shared = settings.get("NEWSWIRE_DATABASE_POOL")
        middleware = cls(
            crawler,
            settings["NEWSWIRE_DATABASE_URL"],
            shared if isinstance(shared, ConnectionPool) else None,
        )
        crawler.signals.connect(middleware.close, signal=signals.spider_closed)
        return middleware

    def _enabled(self) -> bool:
        source = getattr(self.crawler.spider, "source", None)
        return bool(source is not None and source.refetch)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        """The spider's seeds, then a conditional request for each article due now."""
        async for obj in start:
            yield obj
        if not self._enabled():
            return
        spider: Any = self.crawler.spider
        limit = int(spider.max_pages * REFETCH_SHARE)
        due = await asyncio.to_thread(self._due, spider.source.name, spider.now, limit)
        logger.info("%s: %d stored article(s) due for a refetch", spider.source.name, len(due))
        for target in due:
            self.asked.add(target.article_id)
            yield spider.refetch_request(target)

    async def process_spider_output(
        self, response: Response | None, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        """Pass everything on; article requests whose entry has a modified date are held for
        one lookup, and those of stored articles modified since their last fetch become
        refetches (the rest go on, to the gate)."""
        held: list[Request] = []
        async for obj in result:
            if (
                isinstance(obj, Request)
                and obj.meta.get("hint_modified") is not None
                and not obj.meta.get("newswire_refetch")
            ):
                held.append(obj)
            else:
                yield obj
        if not held:
            return
        if not self._enabled():
            for request in held:
                yield request
            return
        spider: Any = self.crawler.spider
        modified = {r.meta["article_url"]: r.meta["hint_modified"] for r in held}
        now = max(spider.now, datetime.now(UTC))  # a run's clock may be set ahead (--as-of)
        targets = await asyncio.to_thread(self._modified, modified, now)
        by_url = {t.url: t for t in targets if t.article_id not in self.asked}
        for request in held:
            target = by_url.pop(request.meta["article_url"], None)
            if target is None:
                yield request
                continue
            self.asked.add(target.article_id)
            self.crawler.stats.inc_value("newswire/refetch/modified")
            yield spider.refetch_request(target)

    def _connection_pool(self) -> ConnectionPool:
        if self.pool is None:
            self.pool = open_pool(self.database_url, min_size=1, max_size=2)
        return self.pool

    def _due(self, source: str, now: datetime, limit: int) -> list[Refetch]:
        with self._connection_pool().connection() as conn:
            return due_refetches(conn, source, now, limit)

    def _modified(self, modified: dict[str, datetime], now: datetime) -> list[Refetch]:
        with self._connection_pool().connection() as conn:
            return modified_refetches(conn, modified, now)

    def close(self) -> None:
        """Release the connection pool if it is the middleware's own."""
        if self.pool is not None and self.owns_pool:
            self.pool.close()
            self.pool = None
