"""Spider middleware: backpressure on article requests, so Scrapy's scheduler stays small.

Past NEWSWIRE_INCREMENTAL_QUEUE_LIMIT requests in the scheduler, admitted article requests
wait here in a heap, highest priority (newest) first, and go to the scheduler as the crawl
works through it: every RELEASE_SECONDS (far more than a crawl fetches meanwhile) and whenever
the spider would go idle. Once anything waits, new article requests queue behind it, so the
newest are still fetched first.

A waiting request is the Request itself, headers, callbacks, errbacks, meta and priority
intact. That costs about 800 bytes a request with the spider's meta (measured with
tracemalloc), 200 more than the bare (url, callback, meta) tuple it replaced: 16 MB for a
20,000-URL sitemap, nearly all of it the URL and the meta any queued request holds anyway.

Scrapy is reached through public API only: ``ExecutionEngine.scheduler`` (Scrapy 2.19) and the
scheduler's ``len()``, which Scrapy's own ``Scheduler`` defines.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any, Self

from scrapy import Request, signals
from scrapy.core.engine import ExecutionEngine
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector
from scrapy.utils.misc import load_object

logger = logging.getLogger(__name__)

QUEUE_LIMIT = 1000  # default NEWSWIRE_INCREMENTAL_QUEUE_LIMIT
RELEASE_SECONDS = 0.25


class RequestBacklogMiddleware:
    """Holds article requests beyond the scheduler's limit; releases them newest first."""

    def __init__(
        self,
        stats: StatsCollector,
        limit: int,
        scheduled: Callable[[], int],
        schedule: Callable[[Request], None],
    ) -> None:
        self.stats = stats
        self.limit = limit
        self.scheduled = scheduled  # how many requests the scheduler holds now
        self.schedule = schedule  # hands one request to the scheduler
        self.waiting: list[tuple[int, int, Request]] = []  # (-priority, arrival, request)
        self.arrival = itertools.count()
        self.ticker: asyncio.Task[None] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Reads NEWSWIRE_INCREMENTAL_QUEUE_LIMIT; off with the incremental stage, or when the
        configured scheduler cannot tell its length."""
        settings = crawler.settings
        if not settings.getbool("NEWSWIRE_INCREMENTAL_ENABLED"):
            raise NotConfigured("NEWSWIRE_INCREMENTAL_ENABLED is off")
        if not hasattr(load_object(settings["SCHEDULER"]), "__len__"):
            raise NotConfigured(f"{settings['SCHEDULER']} has no len(): cannot bound it")
        backlog = cls(
            crawler.stats,
            settings.getint("NEWSWIRE_INCREMENTAL_QUEUE_LIMIT", QUEUE_LIMIT),
            lambda: _scheduled(crawler),
            lambda request: _engine(crawler).crawl(request),
        )
        crawler.signals.connect(backlog.open, signal=signals.spider_opened)
        crawler.signals.connect(backlog.idle, signal=signals.spider_idle)
        crawler.signals.connect(backlog.close, signal=signals.spider_closed)
        return backlog

    def open(self) -> None:
        """Start topping up the scheduler from the waiting requests."""
        self.ticker = asyncio.ensure_future(self._tick())

    async def process_spider_output(
        self, response: Response | None, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        """What fits under the limit goes on to the scheduler now; article requests past it
        wait here. Other requests (feeds, listings) always go on: the crawl needs them."""
        room: int | None = None  # measured once per callback, at its first request
        async for obj in result:
            if isinstance(obj, Request):
                if room is None:
                    room = 0 if self.waiting else self.limit - self.scheduled()
                if room <= 0 and obj.meta.get("newswire_article"):
                    self._hold(obj)
                    continue
                room -= 1
            yield obj

    def _hold(self, request: Request) -> None:
        heapq.heappush(self.waiting, (-request.priority, next(self.arrival), request))
        self.stats.inc_value("newswire/incremental/waited")

    def release(self) -> None:
        """Move waiting requests to the scheduler, newest first, up to the limit."""
        if not self.waiting:
            return
        room = self.limit - self.scheduled()
        while self.waiting and room > 0:
            self.schedule(heapq.heappop(self.waiting)[2])
            room -= 1

    def idle(self) -> None:
        """The spider ran dry: release more, and keep it open while any request waits."""
        self.release()
        if self.waiting:
            raise DontCloseSpider

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(RELEASE_SECONDS)
            self.release()

    def close(self) -> None:
        """Stop releasing; what still waits is dropped with the run."""
        if self.ticker is not None:
            self.ticker.cancel()
            self.ticker = None
        self.waiting.clear()


def _engine(crawler: Crawler) -> ExecutionEngine:
    if crawler.engine is None:
        raise RuntimeError("the backlog releases requests only while the crawl runs")
    return crawler.engine


def _scheduled(crawler: Crawler) -> int:
    """Requests in the scheduler; 0 before the engine opens one."""
    scheduler = _engine(crawler).scheduler
    return len(scheduler) if scheduler is not None else 0
