"""Stored readings of structure pages: reused for the same bytes, replaced for new ones."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from scrapy.statscollectors import StatsCollector
from scrapy.utils.test import get_crawler

from crawler import discovery
from crawler.parsed import ParsedPages

URL = "http://127.0.0.1:8000/rss.xml"
FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Planet</title>
<item><title>Talks resume</title><link>http://127.0.0.1:8000/2026/12/01/talks</link>
<pubDate>Tue, 01 Dec 2026 09:30:00 +0000</pubDate></item></channel></rss>"""


class Counted:
    """discovery.parse_feed, counting its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, body: bytes) -> list[discovery.Link]:
        self.calls += 1
        return discovery.parse_feed(body, URL)


def _counts(stats: StatsCollector) -> tuple[int, int]:
    return stats.get_value("newswire/discovery/parsed", 0), stats.get_value(
        "newswire/discovery/reused", 0
    )


def test_the_same_bytes_are_read_once_and_new_bytes_again(tmp_path: Path) -> None:
    crawler = get_crawler()
    pages, parse = ParsedPages(tmp_path, crawler), Counted()
    first = pages.read("feed", URL, FEED, lambda: parse(FEED))
    again = ParsedPages(tmp_path).read("feed", URL, FEED, lambda: parse(FEED))  # a new worker
    assert parse.calls == 1 and again == first and first[0].title == "Talks resume"
    changed = FEED.replace(b"Talks resume", b"Talks stall")
    assert pages.read("feed", URL, changed, lambda: parse(changed))[0].title == "Talks stall"
    assert pages.read("feed", URL, changed, lambda: parse(changed))[0].title == "Talks stall"
    assert parse.calls == 2 and _counts(crawler.stats) == (2, 1)


@pytest.mark.parametrize(
    ("kind", "url", "context"),
    [("sitemap", URL, ()), ("feed", URL + "?v=2", ()), ("feed", URL, ("127.0.0.1:9000",))],
)
def test_a_reading_is_for_its_kind_url_and_context_only(
    tmp_path: Path, kind: str, url: str, context: tuple[str, ...]
) -> None:
    pages, parse = ParsedPages(tmp_path), Counted()
    pages.read("feed", URL, FEED, lambda: parse(FEED))
    pages.read(kind, url, FEED, lambda: parse(FEED), context)
    assert parse.calls == 2


def test_an_unreadable_file_is_parsed_again_and_replaced(tmp_path: Path) -> None:
    pages, parse = ParsedPages(tmp_path), Counted()
    pages.read("feed", URL, FEED, lambda: parse(FEED))
    (stored,) = [p for p in tmp_path.rglob("*") if p.is_file()]
    stored.write_bytes(b"\x80\x05 cut short")
    assert pages.read("feed", URL, FEED, lambda: parse(FEED))[0].title == "Talks resume"
    assert pages.read("feed", URL, FEED, lambda: parse(FEED))[0].title == "Talks resume"
    assert parse.calls == 2


def test_a_directory_it_cannot_write_costs_a_parse_not_the_page(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    pages, parse = ParsedPages(blocked / "parsed"), Counted()
    with caplog.at_level(logging.WARNING, logger="crawler.parsed"):
        for _ in range(2):
            assert pages.read("feed", URL, FEED, lambda: parse(FEED))[0].title == "Talks resume"
    assert parse.calls == 2 and "could not keep the parsed reading" in caplog.text


def test_it_lives_beside_the_http_cache_and_is_off_without_it(tmp_path: Path) -> None:
    cache = {"HTTPCACHE_ENABLED": True, "HTTPCACHE_DIR": str(tmp_path / "cache")}
    assert ParsedPages.from_crawler(get_crawler(settings_dict=cache)).directory == (
        tmp_path / "cache" / "parsed"
    )
    crawler = get_crawler(settings_dict={**cache, "HTTPCACHE_ENABLED": False})
    pages, parse = ParsedPages.from_crawler(crawler), Counted()
    pages.read("feed", URL, FEED, lambda: parse(FEED))
    pages.read("feed", URL, FEED, lambda: parse(FEED))
    assert _counts(crawler.stats) == (2, 0)
    assert parse.calls == 2 and not list(tmp_path.iterdir())
