"""Fetching adjustments: compressed bodies reach decompression untyped, 304s ease AutoThrottle,
and a second crawl revalidates structure pages instead of downloading them again."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.core.downloader import Slot
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.http import HtmlResponse, Response, TextResponse, XmlResponse
from scrapy.utils.test import get_crawler

from crawler.fetching import CompressedBodyMiddleware, ConditionalAutoThrottle
from crawler.urls import canonicalize_url
from tests.conftest import SiteProcess, run_newswire, start_site_process

PAGE = (
    b"<html><head><title>Caf\xc3\xa9</title></head><body><p>Gr\xc3\xbc\xc3\x9fe</p></body></html>"
)


def _gzip_html(content_type: bytes = b"text/html") -> HtmlResponse:
    return HtmlResponse(
        "http://127.0.0.1/story",
        body=gzip.compress(PAGE),
        headers={b"Content-Type": content_type, b"Content-Encoding": b"gzip"},
        request=Request("http://127.0.0.1/story"),
    )


def test_compressed_text_response_becomes_plain_then_html_again() -> None:
    raw = _gzip_html()
    untyped = CompressedBodyMiddleware().process_response(raw.request, raw)
    assert type(untyped) is Response
    assert untyped.body == raw.body and untyped.headers == raw.headers
    assert untyped.request is raw.request and untyped.url == raw.url
    crawler = get_crawler(settings_dict={})
    decompressed = HttpCompressionMiddleware.from_crawler(crawler).process_response(
        raw.request, untyped
    )
    assert isinstance(decompressed, HtmlResponse)
    assert decompressed.body == PAGE
    assert decompressed.text.startswith("<html><head><title>Café")


@pytest.mark.parametrize(
    "response",
    [
        HtmlResponse("http://127.0.0.1/", body=PAGE, headers={b"Content-Type": b"text/html"}),
        Response("http://127.0.0.1/x.gz", body=gzip.compress(PAGE)),
        XmlResponse("http://127.0.0.1/sitemap.xml", body=b"<urlset/>"),
    ],
)
def test_other_responses_pass_untouched(response: Response) -> None:
    assert CompressedBodyMiddleware().process_response(Request(response.url), response) is response


def test_compressed_response_never_guesses_the_encoding_of_compressed_bytes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    raw = _gzip_html()
    guessed: list[bytes] = []
    original = TextResponse._body_inferred_encoding

    def spy(self: TextResponse) -> str:
        guessed.append(self.body)
        return original(self)

    monkeypatch.setattr(TextResponse, "_body_inferred_encoding", spy)
    crawler = get_crawler(settings_dict={})
    compression = HttpCompressionMiddleware.from_crawler(crawler)
    compression.process_response(
        raw.request, CompressedBodyMiddleware().process_response(raw.request, raw)
    )
    assert guessed == []


def _throttle_after(status: int, delay: float = 0.5, latency: float = 0.01) -> float:
    crawler = get_crawler(
        settings_dict={"AUTOTHROTTLE_ENABLED": True, "AUTOTHROTTLE_TARGET_CONCURRENCY": 4.0}
    )
    throttle = ConditionalAutoThrottle(crawler)
    throttle.mindelay, throttle.maxdelay = 0.0, 30.0
    slot = Slot(concurrency=8, delay=delay, jitter=0)
    throttle._adjust_delay(slot, latency, Response("http://127.0.0.1/", status=status))
    return slot.delay


@pytest.mark.parametrize("status", [200, 304])
def test_a_304_lowers_the_delay_like_a_200(status: int) -> None:
    assert _throttle_after(status) == pytest.approx((0.5 + 0.01 / 4) / 2)


@pytest.mark.parametrize("status", [404, 500, 301])
def test_error_and_redirect_statuses_still_do_not_lower_it(status: int) -> None:
    assert _throttle_after(status) == 0.5


# ---------------------------------------------------------------- conditional re-crawl


@pytest.fixture(scope="module")
def gzip_site() -> Any:
    site = start_site_process("--gzip")
    try:
        yield site
    finally:
        site.stop()


def _article_urls(site: SiteProcess) -> set[str]:
    truth = site.truth()
    urls = {canonicalize_url(a["url"]) for a in truth["articles"]}
    urls |= {canonicalize_url(u) for a in truth["articles"] for u in a["alternate_urls"]}
    return urls


def test_a_recrawl_revalidates_structure_pages_and_fetches_no_article(
    gzip_site: SiteProcess, database_url: str, db: Any, tmp_path: Path
) -> None:
    sources = gzip_site.write_sources(tmp_path / "sources.toml")
    first = run_newswire(
        "--sources", str(sources), "crawl", "--all", database_url=database_url, data_dir=tmp_path
    )
    assert first.returncode == 0, first.stderr[-2000:]
    assert any((tmp_path / "httpcache").rglob("response_body")), "nothing was cached"
    stored = db.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert stored > 0
    gzip_site.reset_requests()

    second = run_newswire(
        "--sources", str(sources), "crawl", "--all", database_url=database_url, data_dir=tmp_path
    )
    assert second.returncode == 0, second.stderr[-2000:]
    requests = gzip_site.requests()
    articles = _article_urls(gzip_site)
    assert not [r["url"] for r in requests if canonicalize_url(r["url"]) in articles]
    not_modified = [r for r in requests if r["status"] == 304]
    assert len(not_modified) >= 6  # every outlet's feeds, sitemaps and listings
    assert all(r["if_none_match"] or r["if_modified_since"] for r in not_modified)
    assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == stored
