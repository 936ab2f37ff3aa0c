"""Spider middleware: the gate for article requests. Stored URLs are not fetched again.

Linked pages that are not obviously articles pass the same check: one may be a stored
article's short URL, recorded when its rel=canonical revealed it.

Each callback's article requests are collected and checked against the database in one
query, so a sitemap of 1,000 URLs costs one round trip, not 1,000. The same gate enforces the
source's ``max_pages`` budget, counted after stored URLs are removed, and keeps what Scrapy's
scheduler holds bounded: admitted requests past NEWSWIRE_INCREMENTAL_QUEUE_LIMIT wait here and
are released as the crawl works through the queue.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections.abc import AsyncIterator
from typing import Any, Self

from psycopg_pool import ConnectionPool
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.http import Response

from newswire.records import Page
from storage.connection import open_pool
from storage.queries import known_urls

logger = logging.getLogger(__name__)

LOOKUP_BATCH = 1000
# Default NEWSWIRE_INCREMENTAL_QUEUE_LIMIT: requests held in Scrapy's scheduler at once; more
# article requests wait in the gate, compact, so a 20,000-URL sitemap does not cost 20,000
# queued Requests. Topped up every RELEASE_SECONDS (far more than a crawl fetches meanwhile)
# and whenever the spider would go idle.
QUEUE_LIMIT = 1000
RELEASE_SECONDS = 0.25


class IncrementalMiddleware:
    """Drops article requests whose canonical URL is already stored; caps new ones per run."""

    def __init__(
        self,
        crawler: Crawler,
        database_url: str,
        pool: ConnectionPool | None = None,
        queue_limit: int = QUEUE_LIMIT,
    ) -> None:
        self.crawler = crawler
        self.queue_limit = queue_limit
        self.stats = crawler.stats
        self.database_url = database_url
        self.pool = pool  # the entry point's, shared by its crawlers; else opened on first use
        self.owns_pool = pool is None
        self.admitted: set[str] = set()  # URLs let through this run: found again, not re-counted
        # Admitted article requests beyond what Scrapy's scheduler should hold, newest first:
        # (-priority, order, url, callback, meta), a fraction of a queued Request's memory.
        self.waiting: list[tuple[int, int, str, Any, dict[str, Any]]] = []
        self.order = itertools.count()
        self.ticker: asyncio.Task[None] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("NEWSWIRE_INCREMENTAL_ENABLED"):
            raise NotConfigured("NEWSWIRE_INCREMENTAL_ENABLED is off")
        shared = crawler.settings.get("NEWSWIRE_DATABASE_POOL")
        middleware = cls(
            crawler,
            crawler.settings["NEWSWIRE_DATABASE_URL"],
            shared if isinstance(shared, ConnectionPool) else None,
            crawler.settings.getint("NEWSWIRE_INCREMENTAL_QUEUE_LIMIT", QUEUE_LIMIT),
        )
        crawler.signals.connect(middleware.open, signal=signals.spider_opened)
        crawler.signals.connect(middleware.idle, signal=signals.spider_idle)
        crawler.signals.connect(middleware.close, signal=signals.spider_closed)
        return middleware

    def open(self) -> None:
        """Start topping up the scheduler from the waiting article requests."""
        self.ticker = asyncio.ensure_future(self._tick())

    async def process_spider_output(
        self, response: Response | None, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        """Pass everything through, holding article requests back for one batched lookup."""
        held: list[Request] = []
        async for obj in result:
            if isinstance(obj, Request) and "article_url" in obj.meta:
                held.append(obj)
                if len(held) >= LOOKUP_BATCH:
                    for request in self._queue_or_wait(await self._admit(held)):
                        yield request
                    held = []
            elif not isinstance(obj, Page) or self._within_budget(obj.url):
                yield obj
        if held:
            for request in self._queue_or_wait(await self._admit(held)):
                yield request

    def _queue_or_wait(self, requests: list[Request]) -> list[Request]:
        """What fits under the queue limit goes to the scheduler now; the rest waits here."""
        room = self.queue_limit - self._scheduled() if not self.waiting else 0
        passed = []
        for request in requests:
            if room > 0 or not request.meta.get("newswire_article"):
                room -= 1
                passed.append(request)
            else:
                entry = (-request.priority, next(self.order), request.url, request.callback)
                heapq.heappush(self.waiting, (*entry, request.meta))
                self.stats.inc_value("newswire/incremental/waited")
        return passed

    def release(self) -> None:
        """Move waiting article requests to the scheduler, newest first, up to the limit."""
        if not self.waiting:
            return
        engine = self.crawler.engine
        room = self.queue_limit - self._scheduled()
        while self.waiting and room > 0:
            priority, _, url, callback, meta = heapq.heappop(self.waiting)
            engine.crawl(Request(url, callback=callback, priority=-priority, meta=meta))
            room -= 1

    def idle(self) -> None:
        """The spider ran dry: release more, and keep it open while any request waits."""
        self.release()
        if self.waiting:
            raise DontCloseSpider

    def _scheduled(self) -> int:
        engine = self.crawler.engine
        scheduler = getattr(engine, "scheduler", None)  # Scrapy 2.19+
        if scheduler is None:
            scheduler = getattr(getattr(engine, "slot", None), "scheduler", None)
        return len(scheduler) if scheduler is not None else 0

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(RELEASE_SECONDS)
            self.release()

    async def _admit(self, requests: list[Request]) -> list[Request]:
        fresh = {r.meta["article_url"] for r in requests} - self.admitted
        stored = await asyncio.to_thread(self._lookup, sorted(fresh)) if fresh else set()
        admitted = []
        for request in requests:
            url = request.meta["article_url"]
            if url in stored:
                self.stats.inc_value("newswire/incremental/skipped_stored")
            elif not request.meta.get("newswire_article"):
                admitted.append(request)  # a listing link, checked in case it is an article
            elif url in self.admitted:
                self.stats.inc_value("newswire/incremental/repeat")  # queued once already
            elif len(self.admitted) >= self.crawler.spider.max_pages:
                self.stats.inc_value("newswire/incremental/over_max_pages")
            else:
                self.admitted.add(url)
                admitted.append(request)
        self.stats.set_value("newswire/requests/article", len(self.admitted))
        return admitted

    def _within_budget(self, url: str) -> bool:
        """A linked page that turned out to be an article counts against max_pages too."""
        if url in self.admitted:
            return True
        if len(self.admitted) >= self.crawler.spider.max_pages:
            self.stats.inc_value("newswire/incremental/over_max_pages")
            return False
        self.admitted.add(url)
        self.stats.set_value("newswire/requests/article", len(self.admitted))
        return True

    def _lookup(self, urls: list[str]) -> set[str]:
        if self.pool is None:
            self.pool = open_pool(self.database_url, min_size=1, max_size=2)
        with self.pool.connection() as conn:
            return known_urls(conn, urls)

    def close(self) -> None:
        """Stop releasing requests, release the connection pool if it is our own."""
        if self.ticker is not None:
            self.ticker.cancel()
            self.ticker = None
        self.waiting.clear()
        if self.pool is not None and self.owns_pool:
            self.pool.close()
            self.pool = None
