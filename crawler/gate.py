"""Spider middleware: the stored-URL gate. A URL that already led to a stored article is not
fetched again.

Each callback's gated requests (article requests, and linked pages that may be a stored
article's short URL, recorded when its rel=canonical revealed it) are collected and checked
against the database in one query, so a sitemap of 1,000 URLs costs one round trip, not 1,000.
Everything else passes through untouched. Counting against ``max_pages`` is the budget's job
(``crawler.budget``), holding requests back the backlog's (``crawler.backlog``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any, Self

from psycopg_pool import ConnectionPool
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector

from storage.connection import open_pool
from storage.queries import known_urls

logger = logging.getLogger(__name__)

# Gated requests asked about in one query; a bigger callback output costs one query per batch.
LOOKUP_BATCH = 1000


class StoredUrlGateMiddleware:
    """Drops requests whose canonical URL (``meta["article_url"]``) is already stored."""

    def __init__(
        self, stats: StatsCollector, database_url: str, pool: ConnectionPool | None = None
    ) -> None:
        self.stats = stats
        self.database_url = database_url
        self.pool = pool  # the entry point's, shared by its crawlers; else opened on first use
        self.owns_pool = pool is None
        # URLs the database said are new this run, so a URL listed by a feed and a sitemap is
        # asked about once (and, once stored by this run, is the budget's repeat, not a skip).
        # About 100 bytes a URL in the set, plus the URL itself once its request is gone.
        self.new: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """NEWSWIRE_INCREMENTAL_ENABLED off, or no database, switches the gate off."""
        settings = crawler.settings
        if not settings.getbool("NEWSWIRE_INCREMENTAL_ENABLED"):
            raise NotConfigured("NEWSWIRE_INCREMENTAL_ENABLED is off")
        shared = settings.get("NEWSWIRE_DATABASE_POOL")
        gate = cls(
            crawler.stats,
            settings["NEWSWIRE_DATABASE_URL"],
            shared if isinstance(shared, ConnectionPool) else None,
        )
        crawler.signals.connect(gate.close, signal=signals.spider_closed)
        return gate

    async def process_spider_output(
        self, response: Response | None, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        """Pass everything through, holding gated requests back for one batched lookup."""
        held: list[Request] = []
        async for obj in result:
            if (
                isinstance(obj, Request)
                and "article_url" in obj.meta
                and not obj.meta.get("newswire_refetch")  # stored, and due again
            ):
                held.append(obj)
                if len(held) >= LOOKUP_BATCH:
                    for request in await self._unstored(held):
                        yield request
                    held = []
            else:
                yield obj
        if held:
            for request in await self._unstored(held):
                yield request

    async def _unstored(self, requests: list[Request]) -> list[Request]:
        asked = {request.meta["article_url"] for request in requests} - self.new
        stored = await asyncio.to_thread(self._lookup, sorted(asked)) if asked else set()
        self.new |= asked - stored
        kept = []
        for request in requests:
            if request.meta["article_url"] in stored:
                self.stats.inc_value("newswire/incremental/skipped_stored")
                logger.debug("stored already: %s", request.url)
            else:
                kept.append(request)
        return kept

    def _lookup(self, urls: list[str]) -> set[str]:
        if self.pool is None:
            self.pool = open_pool(self.database_url, min_size=1, max_size=2)
        with self.pool.connection() as conn:
            return known_urls(conn, urls)

    def close(self) -> None:
        """Release the connection pool if it is the gate's own."""
        self.new.clear()
        if self.pool is not None and self.owns_pool:
            self.pool.close()
            self.pool = None
