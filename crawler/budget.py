"""Spider middleware: the ``max_pages`` budget, so a run fetches at most that many articles.

It sits after the stored-URL gate (``crawler.gate``), so only new URLs spend it. An article
request spends one page when first seen; the same URL found again (a feed and a sitemap both
list it) is a counted repeat and dropped. A linked page that turns out to be an article (its
rel=canonical says so, see the spider's ``parse_listing``) spends one too when its ``Page``
comes out, so a crawl capped at 3 stores at most 3.
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


class PageBudgetMiddleware:
    """Caps the article pages of one run at the spider's ``max_pages``."""

    def __init__(self, stats: StatsCollector, max_pages: int) -> None:
        self.stats = stats
        self.max_pages = max_pages
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

    async def process_spider_output(
        self, response: Response | None, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        """Article requests and article pages spend the budget; the rest passes through."""
        async for obj in result:
            if isinstance(obj, Request) and obj.meta.get("newswire_article"):
                if self._admit_request(obj.meta["article_url"]):
                    yield obj
            elif not isinstance(obj, Page) or self._admit_page(obj.url):
                yield obj

    def _admit_request(self, url: str) -> bool:
        if url in self.admitted:
            self.stats.inc_value("newswire/incremental/repeat")  # queued once already
            return False
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
