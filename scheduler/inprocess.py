"""Run crawls of several sources in this process, on one reactor, reporting live progress.

The CLI's ``crawl`` and ``demo`` commands use this; queued runs go to long-lived workers
(:mod:`scheduler.worker`), which share its settings and its connection budget. It sits on the
scheduler floor, not in ``crawler/``, because it wires the crawl to a later stage's resource
(the extraction pool of ``pipelines/``).
"""

from __future__ import annotations

import copy
import logging
import os
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Self

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import BaseSettings, Settings, SettingsAttribute
from twisted.internet import task

from crawler.runstats import RunLocks
from crawler.spiders.news import NewsSpider
from pipelines.extract import ExtractionPool, extract_workers
from storage.connection import open_pool

logger = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.5
# Writes queue on one advisory lock anyway; a second connection keeps gate lookups moving.
# With the lock session that holds every source's run lock, a crawl of any number of sources
# uses three connections.
DATABASE_CONNECTIONS = 2
# Crawls open at once: enough to overlap the waits of small sites, few enough that the
# shared extraction pool and the two database connections are not the queue.
DEFAULT_CONCURRENCY = 16


@dataclass(frozen=True)
class CrawlOptions:
    """What one invocation asks of every source it crawls."""

    max_pages: int | None = None
    since: datetime | None = None
    now: datetime | None = None  # the run's clock (refetches due, max-age); None: the real one
    trigger: str = "cli"
    extract_workers: int | None = None
    extract_fast: bool = False
    concurrency: int = DEFAULT_CONCURRENCY  # crawls open at once; the rest wait in order


@dataclass(frozen=True)
class Progress:
    """A source's figures so far, read from its crawler's stats."""

    source: str
    run_id: int | None
    pages: int
    articles: int
    duplicates: int
    dropped: int
    finished: bool


@dataclass(frozen=True)
class Board:
    """What a live display shows: the crawls open now, and totals over all of them."""

    running: list[Progress]
    waiting: int  # not started yet
    done: int  # finished, whatever the outcome
    pages: int  # totals over started crawls
    articles: int
    duplicates: int


def _stats_reach_the_log() -> bool:
    """Whether Scrapy's stats dump at a crawl's close would be logged (``newswire -v crawl``).
    Each run's figures go to its crawl_runs row anyway, and the dump is a pretty-printed copy
    of the stats built even when the log drops it: 3% of a worker's loop in a service."""
    return logging.getLogger("scrapy.statscollectors").getEffectiveLevel() <= logging.INFO


# Setting values shared by a copy as they are: nothing can change them in place.
_IMMUTABLE = (str, bytes, int, float, bool, type(None), frozenset)


class CrawlSettings(Settings):
    """Scrapy's settings, with a deep copy that does not walk every value generically.

    Each crawl's Crawler starts from a copy of the process's settings, and Scrapy's copy is
    ``copy.deepcopy`` over some 230 attribute objects: 2.8 ms a crawl, a tenth of a worker's
    CPU in a refresh of unchanged sources (py-spy). This copy is as deep, except that it
    shares the values that cannot change in place (strings, numbers) instead of copying them.
    """

    def copy(self) -> Self:
        """A copy with the same values and priorities; changing it leaves this one as it is."""
        return _copied(self)


def _copied(settings: BaseSettings) -> Any:
    clone = copy.copy(settings)  # the same class and flags; attributes replaced below
    clone.attributes = {}
    for name, attribute in settings.attributes.items():
        value = attribute.value
        if isinstance(value, BaseSettings):
            value = _copied(value)
        elif not isinstance(value, _IMMUTABLE):
            value = copy.deepcopy(value)
        kept = SettingsAttribute.__new__(SettingsAttribute)
        kept.value, kept.priority = value, attribute.priority
        clone.attributes[name] = kept
    return clone


def crawl_settings(
    database_url: str,
    sources_path: Path,
    options: CrawlOptions,
    *,
    data_dir: Path | None = None,
) -> Settings:
    """newswire's Scrapy settings with this process's database, sources file and options.

    With ``data_dir`` the HTTP cache of feeds, sitemaps and listings lives under it, so every
    run of the same user revalidates the same copies.
    """
    settings = CrawlSettings()
    settings.setmodule("crawler.settings", priority="project")
    overrides: dict[str, Any] = {
        "NEWSWIRE_DATABASE_URL": database_url,
        "NEWSWIRE_SOURCES": str(sources_path),
        "NEWSWIRE_RUN_TRIGGER": options.trigger,
        "NEWSWIRE_EXTRACT_FAST": options.extract_fast,
        "LOG_INSTALL_ROOT_HANDLER": False,  # the entry point owns logging
        "STATS_DUMP": _stats_reach_the_log(),
    }
    if options.extract_workers is not None:
        overrides["NEWSWIRE_EXTRACT_WORKERS"] = options.extract_workers
    if data_dir is not None:
        overrides["HTTPCACHE_DIR"] = str(data_dir / "httpcache")
    settings.setdict(overrides, priority="cmdline")
    return settings


def read_progress(crawler: Crawler) -> Progress:
    """Current figures of one running (or finished) crawl."""
    stats = crawler.stats.get_stats() if crawler.stats else {}
    spider = crawler.spider
    dropped = sum(v for k, v in stats.items() if k.startswith("newswire/rejected/"))
    return Progress(
        source=spider.source.name if spider else "?",
        run_id=getattr(spider, "run_id", None),
        pages=int(stats.get("downloader/response_count", 0)),
        articles=int(stats.get("newswire/store/stored", 0)),
        duplicates=int(stats.get("newswire/store/duplicates", 0)),
        dropped=int(dropped),
        finished="finish_reason" in stats,
    )


def read_board(crawlers: Sequence[Crawler], total: int) -> Board:
    """The running crawls and the totals, for a display refreshed twice a second."""
    started = [read_progress(c) for c in crawlers]
    return Board(
        running=[p for p in started if not p.finished],
        waiting=total - len(started),
        done=sum(p.finished for p in started),
        pages=sum(p.pages for p in started),
        articles=sum(p.articles for p in started),
        duplicates=sum(p.duplicates for p in started),
    )


def run_crawls(
    names: Sequence[str],
    settings: Settings,
    options: CrawlOptions,
    on_progress: Callable[[Board], None] | None = None,
) -> list[int]:
    """Crawl the named sources in this process, options.concurrency at a time in the order
    given; returns their run ids.

    The crawlers share one extraction pool sized to the machine, one small pool of database
    connections and one lock session holding every source's run lock, not one of each per
    source: a crawl of a thousand sources opens three connections.
    """
    level = logging.getLevelName(settings.get("LOG_LEVEL", "INFO"))
    pool = ExtractionPool(
        extract_workers(settings.get("NEWSWIRE_EXTRACT_WORKERS")),
        log_level=level if isinstance(level, int) else logging.INFO,
    )
    url = settings["NEWSWIRE_DATABASE_URL"]
    database = open_pool(url, min_size=1, max_size=DATABASE_CONNECTIONS)
    locks = RunLocks(url, f"newswire crawl locks {os.getpid()}")
    process = CrawlerProcess(settings)
    crawlers: list[Crawler] = []
    waiting = deque(names)

    def start_next(result: object = None, finished: Crawler | None = None) -> object:
        if finished is not None and finished.stats.get_value("finish_reason") == "shutdown":
            waiting.clear()  # Ctrl-C: the crawls not started yet never start
        if not waiting:
            return result
        crawler = process.create_crawler(NewsSpider)
        # Set on the crawler's own settings (not copied again): the objects must stay shared.
        crawler.settings.set("NEWSWIRE_DATABASE_POOL", database, priority="cmdline")
        crawler.settings.set("NEWSWIRE_RUN_LOCKS", locks, priority="cmdline")
        if pool.workers:
            crawler.settings.set("NEWSWIRE_EXTRACT_POOL", pool, priority="cmdline")
        crawlers.append(crawler)
        done = process.crawl(
            crawler,
            source=waiting.popleft(),
            max_pages=options.max_pages,
            since=options.since.isoformat() if options.since else None,
            now=options.now.isoformat() if options.now else None,
        )
        done.addBoth(start_next, crawler)  # a slot is free: the next source in order takes it
        return result

    for _ in range(max(1, options.concurrency)):
        start_next()
    if on_progress is not None:
        ticker = task.LoopingCall(lambda: on_progress(read_board(crawlers, len(names))))
        ticker.start(PROGRESS_INTERVAL, now=False)
    try:
        process.start()
    finally:
        pool.close()
        database.close()
        locks.close()
    if on_progress is not None:
        on_progress(read_board(crawlers, len(names)))
    return [c.spider.run_id for c in crawlers if c.spider is not None and c.spider.run_id]
