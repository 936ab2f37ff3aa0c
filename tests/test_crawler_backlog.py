"""crawler.backlog: article requests past the scheduler's limit wait, keep everything they
carry, are released newest first, and none is lost (a tiny limit on a real crawl)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.core.engine import ExecutionEngine
from scrapy.core.scheduler import BaseScheduler, Scheduler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.utils.test import get_crawler

from crawler.backlog import RequestBacklogMiddleware
from tests.conftest import SiteProcess, run_newswire, start_site_process
from tests.middleware import through

BULK = 240


@pytest.fixture(scope="module")
def bulk_site() -> Any:
    with start_site_process("--bulk", str(BULK), "--gzip") as site:
        yield site


def _with_settings(site: SiteProcess, path: Path, settings: str) -> Path:
    toml = site.sources_toml
    names = re.findall(r"^\[sources\.(\w+)\]$", toml, flags=re.MULTILINE)
    toml += "".join(f"\n[sources.{name}.settings]\n{settings}\n" for name in names)
    path.write_text(toml)
    return path


def test_requests_past_the_queue_limit_wait_and_are_all_fetched(
    bulk_site: SiteProcess, database_url: str, db: Any, tmp_path: Path
) -> None:
    sources = _with_settings(
        bulk_site, tmp_path / "sources.toml", "NEWSWIRE_INCREMENTAL_QUEUE_LIMIT = 5"
    )
    done = run_newswire(
        "-v", "--sources", str(sources), "crawl", "--all", database_url=database_url,
        data_dir=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    waited = [int(n) for n in re.findall(r"'newswire/incremental/waited': (\d+)", done.stderr)]
    assert len(waited) == 3 and min(waited) > 0, done.stderr[-3000:]
    truth = bulk_site.truth()
    expected = {a["url"] for a in truth["articles"] if not a["old"] and not a["held_back"]}
    stored = {row[0] for row in db.execute("SELECT url FROM articles")}
    assert stored == expected


# ---------------------------------------------------------------- the middleware alone

SITE = "http://127.0.0.1:8000/"


def article(path: str, priority: int = 0) -> Request:
    url = SITE + path
    return Request(url, priority=priority, meta={"newswire_article": True, "article_url": url})


def backlog_over(scheduler: list[Request], limit: int) -> RequestBacklogMiddleware:
    """A backlog in front of a plain list standing in for Scrapy's scheduler."""
    return RequestBacklogMiddleware(
        get_crawler().stats, limit, lambda: len(scheduler), scheduler.append
    )


def test_requests_past_the_limit_wait_and_others_go_on() -> None:
    scheduler: list[Request] = [article("queued")]
    backlog = backlog_over(scheduler, 3)
    a, b, c = article("a"), article("b"), article("c")
    listing = Request(SITE + "world/", meta={"article_url": SITE + "world/"})
    assert through(backlog, [a, b, listing, c, "item"]) == [a, b, listing, "item"]
    assert backlog.stats.get_value("newswire/incremental/waited") == 1
    late = article("late")
    assert through(backlog, [late]) == []  # behind the waiting one, though there is room now


def test_release_is_newest_first_and_keeps_the_request_whole() -> None:
    scheduler: list[Request] = [article("queued")]
    backlog = backlog_over(scheduler, 1)

    def errback(failure: Any) -> None: ...

    old = article("old", priority=-9)
    undated = article("undated", priority=-1_000_000)
    new = Request(
        SITE + "new", priority=-1, headers={"X-Probe": "1"}, errback=errback,
        cb_kwargs={"n": 1}, meta={"newswire_article": True, "article_url": SITE + "new"},
    )  # fmt: skip
    same_day = article("same-day", priority=-1)
    assert through(backlog, [old, undated, new, same_day]) == []
    released = []
    while backlog.waiting:
        scheduler.clear()  # the crawl took what was queued: room for one more
        backlog.release()
        released += scheduler
    assert released == [new, same_day, old, undated]  # by priority, then in arrival order
    assert released[0] is new and new.headers["X-Probe"] == b"1" and new.errback is errback
    assert new.cb_kwargs == {"n": 1} and new.meta["article_url"] == SITE + "new"


def test_an_idle_spider_stays_open_while_requests_wait() -> None:
    scheduler: list[Request] = []
    backlog = backlog_over(scheduler, 1)
    through(backlog, [article("a"), article("b"), article("c")])
    scheduler.clear()
    with pytest.raises(DontCloseSpider):
        backlog.idle()
    scheduler.clear()
    backlog.idle()  # the last one released: the spider may close
    assert len(scheduler) == 1 and not backlog.waiting


class _Unsized(BaseScheduler):
    def has_pending_requests(self) -> bool:
        return False

    def enqueue_request(self, request: Request) -> bool:
        return True

    def next_request(self) -> Request | None:
        return None


def test_switched_off_for_a_scheduler_without_a_length() -> None:
    settings = {"NEWSWIRE_INCREMENTAL_ENABLED": True, "SCHEDULER": _Unsized}
    with pytest.raises(NotConfigured):
        RequestBacklogMiddleware.from_crawler(get_crawler(settings_dict=settings))


def test_scrapy_still_offers_what_the_backlog_reads() -> None:
    # The backlog measures the scheduler through these public names and nothing else; if a
    # Scrapy release moves them, this fails before a crawl silently stops bounding its queue.
    assert isinstance(ExecutionEngine.scheduler, property)
    assert callable(Scheduler.__len__)
