"""crawler.budget: max_pages caps article requests and article pages, repeats counted once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from scrapy import Request, Spider
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from crawler.budget import PageBudgetMiddleware
from newswire.records import Page
from tests.middleware import through

SITE = "http://127.0.0.1:8000/"


def article(path: str) -> Request:
    return Request(SITE + path, meta={"newswire_article": True, "article_url": SITE + path})


def page(path: str) -> Page:
    return Page(
        source="alpha", url=SITE + path, response_url=SITE + path, body=b"", content_type=None,
        status=200, fetched_at=datetime(2026, 3, 1, tzinfo=UTC), via="link",
    )  # fmt: skip


def budget_of(max_pages: int) -> PageBudgetMiddleware:
    return PageBudgetMiddleware(get_crawler().stats, max_pages)


def test_article_requests_spend_the_budget_once() -> None:
    budget = budget_of(2)
    a, b, c = article("a"), article("b"), article("c")
    listing = Request(SITE + "world/", meta={"article_url": SITE + "world/"})
    assert through(budget, [a, listing, article("a"), b, c, "item"]) == [a, listing, b, "item"]
    stats = budget.stats
    assert stats.get_value("newswire/requests/article") == 2
    assert stats.get_value("newswire/incremental/repeat") == 1
    assert stats.get_value("newswire/incremental/over_max_pages") == 1


def test_pages_of_admitted_requests_are_paid_for() -> None:
    budget = budget_of(1)
    through(budget, [article("a")])
    a = page("a")
    assert through(budget, [a]) == [a]
    assert budget.stats.get_value("newswire/incremental/over_max_pages") is None


def test_an_alias_page_spends_the_budget_too() -> None:
    budget = budget_of(2)
    through(budget, [article("a")])
    alias, late = page("short/1"), page("short/2")
    assert through(budget, [alias, late]) == [alias]
    assert budget.stats.get_value("newswire/requests/article") == 2
    assert budget.stats.get_value("newswire/incremental/over_max_pages") == 1
    assert through(budget, [article("b")]) == []  # the alias took the last page


class _Capped(Spider):
    name = "capped"
    max_pages = 7


def test_from_crawler_reads_the_spiders_max_pages() -> None:
    crawler = get_crawler(_Capped, {"NEWSWIRE_INCREMENTAL_ENABLED": True})
    crawler.spider = _Capped()
    assert PageBudgetMiddleware.from_crawler(crawler).max_pages == 7


def test_switched_off_with_the_incremental_stage() -> None:
    crawler = get_crawler(_Capped, {"NEWSWIRE_INCREMENTAL_ENABLED": False})
    with pytest.raises(NotConfigured):
        PageBudgetMiddleware.from_crawler(crawler)


def refetch(path: str, *, hop: bool = False) -> Request:
    meta = {"newswire_article": True, "article_url": SITE + path, "newswire_refetch": object()}
    if hop:
        meta["refetch_hop"] = True
    return Request(SITE + path, meta=meta)


def test_refetches_take_at_most_half_the_budget_and_new_articles_the_rest() -> None:
    budget = budget_of(4)
    r1, r2, r3 = refetch("r1"), refetch("r2"), refetch("r3")
    assert through(budget, [r1, r2, r3]) == [r1, r2]
    assert budget.stats.get_value("newswire/refetch/over_share") == 1
    assert budget.stats.get_value("newswire/refetch/requests") == 2
    a, b, c = article("a"), article("b"), article("c")
    assert through(budget, [a, b, c]) == [a, b]  # the other half is the new articles'
    hop = refetch("r1-moved", hop=True)
    assert through(budget, [hop]) == [hop]  # a redirect's next hop is paid for already


def test_refetches_at_the_start_spend_the_budget_too() -> None:
    budget = budget_of(2)

    async def start() -> AsyncIterator[Any]:
        for obj in (Request(SITE + "rss.xml"), refetch("r1"), refetch("r2")):
            yield obj

    async def collect() -> list[Any]:
        return [obj async for obj in budget.process_start(start())]

    out = asyncio.run(collect())
    assert [r.url for r in out] == [SITE + "rss.xml", SITE + "r1"]
    assert through(budget, [article("a"), article("b")])[0].url == SITE + "a"
