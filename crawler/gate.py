"""Spider middleware: the stored-URL gate. A URL that already led to a stored article is not
fetched again, nor, for a while, one that a run found not to be an article.

Each callback's gated requests (article requests, and linked pages that may be a stored
article's short URL, recorded when its rel=canonical revealed it) are collected and checked
against the database in one query, so a sitemap of 1,000 URLs costs one round trip, not 1,000.
Everything else passes through untouched. Counting against ``max_pages`` is the budget's job
(``crawler.budget``), holding requests back the backlog's (``crawler.backlog``).

The same query answers for rejected URLs: an article page the extractor rejected (a login
wall, a stub, a page with no text) and an article link answered 404 or 410 are recorded at
the run's end, in one statement, and skipped until their retry time, which doubles with each
rejection in a row (``storage.queries.remember_rejected``). In a refresh of an unchanged
sample outlet they were one request in fifteen, fetched again on every run. Refetches of
stored articles never pass the gate: a stored article that now answers 404 is the refetch's
business (a removal), not a rejection.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, Self

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector

from newswire.records import Page
from storage.connection import open_pool
from storage.queries import GatedUrls, gated_urls, remember_rejected

logger = logging.getLogger(__name__)

# Gated requests asked about in one query; a bigger callback output costs one query per batch.
LOOKUP_BATCH = 1000
# The answers to an article request that say the link is dead (not a passing failure).
GONE_STATUSES = (404, 410)
# Extraction rejections worth remembering: what the page is, not a passing fault (a body cut
# short, a parser error).
REMEMBERED_REASONS = frozenset({"not_article", "too_short", "no_text", "not_html"})


class StoredUrlGateMiddleware:
    """Drops requests whose canonical URL (``meta["article_url"]``) is already stored, or was
    rejected and is not due for another look; records this run's rejections at its end."""

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
        self.rejected: dict[str, str] = {}  # this run's rejections: URL -> reason

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
        crawler.signals.connect(gate.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(gate.response_received, signal=signals.response_received)
        crawler.signals.connect(gate.close, signal=signals.spider_closed)
        return gate

    def item_dropped(self, item: Any, exception: BaseException, spider: Any) -> None:
        """A page the extractor rejected (its DropItem message starts with the reason)."""
        if not isinstance(item, Page) or item.refetch is not None:
            return
        reason = str(exception).partition(":")[0]
        if reason in REMEMBERED_REASONS:
            self.rejected[item.url] = reason

    def response_received(self, response: Response, request: Request, spider: Any) -> None:
        """An article link that is gone."""
        meta = request.meta
        if (
            response.status in GONE_STATUSES
            and meta.get("newswire_article")
            and not meta.get("newswire_refetch")
            and "article_url" in meta
        ):
            self.rejected[meta["article_url"]] = f"http_{response.status}"

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
        if asked:
            found = await asyncio.to_thread(self._lookup, sorted(asked))
            stored, rejected = found.stored, found.rejected - found.stored
        else:
            stored, rejected = set(), set()
        self.new |= asked - stored - rejected
        kept = []
        for request in requests:
            url = request.meta["article_url"]
            if url in stored:
                self.stats.inc_value("newswire/incremental/skipped_stored")
                logger.debug("stored already: %s", request.url)
            elif url in rejected:
                self.stats.inc_value("newswire/incremental/skipped_rejected")
                logger.debug("rejected before, not due again: %s", request.url)
            else:
                kept.append(request)
        return kept

    def _connection_pool(self) -> ConnectionPool:
        if self.pool is None:
            self.pool = open_pool(self.database_url, min_size=1, max_size=2)
        return self.pool

    def _lookup(self, urls: list[str]) -> GatedUrls:
        with self._connection_pool().connection() as conn:
            return gated_urls(conn, urls, datetime.now(UTC))

    def _remember(self, source: str, rejected: dict[str, str]) -> None:
        with self._connection_pool().connection() as conn:
            remember_rejected(conn, source, rejected, datetime.now(UTC))

    async def close(self, spider: Any) -> None:
        """Record the run's rejections in one statement; release the pool if it is the gate's
        own. A failed write only costs those URLs a fetch next run."""
        rejected, self.rejected = self.rejected, {}
        self.new.clear()
        source = getattr(getattr(spider, "source", None), "name", None) or spider.name
        try:
            if rejected:
                await asyncio.to_thread(self._remember, source, rejected)
                self.stats.set_value("newswire/incremental/rejected_recorded", len(rejected))
        except (psycopg.Error, PoolTimeout) as exc:
            logger.warning("%s: could not record %d rejected URL(s): %s",
                           source, len(rejected), exc)  # fmt: skip
        finally:
            if self.pool is not None and self.owns_pool:
                self.pool.close()
                self.pool = None
