"""What Scrapy alone costs: the article pages fetched with newswire's fetch settings and a
callback that does nothing. A benchmark yardstick only: no gate, no extraction, no database.

Run by crawl_bench.py as ``python bench/scrapy_floor.py URLS_FILE`` (a JSON list of URLs)
while the sample site serves them. Prints one JSON line: pages, wall and CPU seconds of this
process from the first request to the last response.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response
from scrapy.settings import Settings


class FloorSpider(Spider):
    """Requests every URL as the news spider requests an article, and drops the response."""

    name = "floor"

    def __init__(self, urls: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.urls = urls
        self.pages = 0

    async def start(self) -> AsyncIterator[Request]:
        for url in self.urls:
            meta = {"download_slot": urlsplit(url).netloc, "newswire_article": True}
            yield Request(url, callback=self.parse, meta={**meta, "dont_cache": True})

    def parse(self, response: Response) -> None:
        """Count the page; nothing else."""
        self.pages += 1


def floor_settings() -> Settings:
    """newswire's Scrapy settings with its own stages, cache and robots.txt switched off."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.setdict(
        {
            "ITEM_PIPELINES": {},
            "NEWSWIRE_INCREMENTAL_ENABLED": False,  # no gate, budget or backlog
            "EXTENSIONS": {"crawler.runstats.RunStatsExtension": None},
            "HTTPCACHE_ENABLED": False,
            "ROBOTSTXT_OBEY": False,
            "LOG_LEVEL": "WARNING",
        },
        priority="cmdline",
    )
    return settings


def main(path: str) -> dict[str, float]:
    with open(path, encoding="utf-8") as handle:
        urls = json.load(handle)
    process = CrawlerProcess(floor_settings())
    crawler = process.create_crawler(FloorSpider)
    process.crawl(crawler, urls=urls)
    before, started = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    process.start()
    after, seconds = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter() - started
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert crawler.spider is not None
    return {"pages": crawler.spider.pages, "seconds": seconds, "cpu_seconds": cpu}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])), flush=True)
