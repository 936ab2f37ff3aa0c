"""The news spider's article requests: newest first, in few priorities, structure before all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crawler import discovery
from crawler.sources import parse_sources
from crawler.spiders.news import STRUCTURE_PRIORITY, UNDATED_PRIORITY, NewsSpider

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
SOURCE = parse_sources('[sources.planet]\nhome = "http://127.0.0.1:8000/"\n', "sources.toml")[
    "planet"
]


def _priorities(ages: list[timedelta | None]) -> list[int]:
    spider = NewsSpider(SOURCE, now=NOW)
    links = [
        discovery.Link(f"http://127.0.0.1:8000/story-{i}", NOW - age if age is not None else None)
        for i, age in enumerate(ages)
    ]
    return [request.priority for request in spider._articles(links, via="sitemap")]


def test_articles_go_newest_first_by_day_and_undated_last() -> None:
    hours = [timedelta(hours=h) for h in (1, 5, 23, 25, 24 * 40)]
    assert _priorities([*hours, None]) == [0, 0, 0, -1, -40, UNDATED_PRIORITY]


def test_a_month_of_articles_takes_a_few_dozen_priorities() -> None:
    ages = [timedelta(minutes=37 * i) for i in range(1200)]  # every 37 minutes for a month
    assert len(set(_priorities(ages))) == 31


def test_structure_comes_before_any_article() -> None:
    spider = NewsSpider(SOURCE, now=NOW)
    structure = spider._structure("http://127.0.0.1:8000/sitemap.xml", spider.parse_sitemap)
    assert structure.priority == STRUCTURE_PRIORITY > max(_priorities([timedelta(0)]))
