"""Spider middleware: the ``max_pages`` budget, so a run fetches at most that many articles.

It sits after the stored-URL gate (``crawler.gate``), so only new URLs spend it. An article
request spends one page when first seen; the same URL found again (a feed and a sitemap both
list it) is a counted repeat and dropped. A linked page that turns out to be an article (its
rel=canonical says so, see the spider's ``parse_listing``) spends one too when its ``Page``
comes out, so a crawl capped at 3 stores at most 3.

Refetches of stored articles (``crawler.refetch``) spend the same budget, but at most half of
it (``REFETCH_SHARE``): they come first, from the start of the crawl, and the other half is
always left to new articles. A refetch that is redirected spends nothing more for its next hop.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any, Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector

from newswire.records import Page

logger = logging.getLogger(__name__)

REFETCH_SHARE = 0.5  # of max_pages, at most, for refetches of stored articles


class PageBudgetMiddleware:
    """Caps the article pages of one run at the spider's ``max_pages``."""

    def __init__(self, stats: StatsCollector, max_pages: int) -> None:
        self.stats = stats
        self.max_pages = max_pages
        self.max_refetches = int(max_pages * REFETCH_SHARE)
        self.refetches = 0
        # Article URLs let through this run: found again, they are not counted again.
        self.admitted: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """The budget is the spider's ``max_pages``; NEWSWIRE_INCREMENTAL_ENABLED off lifts it."""
        if not crawler.settings.getbool("NEWSWIRE_INCREMENTAL_ENABLED"):
            raise NotConfigured("NEWSWIRE_INCREMENTAL_ENABLED is off")
        max_pages = getattr(crawler.spider, "max_pages", None)
        if not max_pages:
            raise NotConfigured("the spider sets no max_pages")
        return cls(crawler.stats, max_pages)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        """The refetches the crawl starts with spend the budget as a callback's requests do."""
        async for obj in start:
            refetch = isinstance(obj, Request) and obj.meta.get("newswire_refetch")
            if not refetch or self._admit_request(obj):
                yield obj

    async def process_spider_output(
        self, response: Response | None, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        """Article requests and article pages spend the budget; the rest passes through."""
        async for obj in result:
            if isinstance(obj, Request) and obj.meta.get("newswire_article"):
                if self._admit_request(obj):
                    yield obj
            elif not isinstance(obj, Page) or self._admit_page(obj.url):
                yield obj

    def _admit_request(self, request: Request) -> bool:
        url = request.meta["article_url"]
        if request.meta.get("refetch_hop"):
            return True  # the next hop of an admitted refetch's redirect: paid for
        if url in self.admitted:
            self.stats.inc_value("newswire/incremental/repeat")  # queued once already
            return False
        if request.meta.get("newswire_refetch"):
            if self.refetches >= self.max_refetches:
                self.stats.inc_value("newswire/refetch/over_share")
                return False
            if not self._spend(url):
                return False
            self.refetches += 1
            self.stats.set_value("newswire/refetch/requests", self.refetches)
            return True
        return self._spend(url)

    def _admit_page(self, url: str) -> bool:
        """A page from an admitted request is paid for; an alias page pays now."""
        return url in self.admitted or self._spend(url)

    def _spend(self, url: str) -> bool:
        if len(self.admitted) >= self.max_pages:
            self.stats.inc_value("newswire/incremental/over_max_pages")
            logger.debug("over max_pages: %s", url)
            return False
        self.admitted.add(url)
        self.stats.set_value("newswire/requests/article", len(self.admitted))
        return True
