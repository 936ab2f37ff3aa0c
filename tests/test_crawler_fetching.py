"""Fetching adjustments: compressed bodies reach decompression untyped, 304s ease AutoThrottle,
and a second crawl revalidates structure pages instead of downloading them again."""

from __future__ import annotations

import gzip
import urllib.request
import zlib
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.core.downloader import Slot
from scrapy.downloadermiddlewares.httpcache import HttpCacheMiddleware
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.extensions.httpcache import FilesystemCacheStorage
from scrapy.http import HtmlResponse, Response, TextResponse, XmlResponse
from scrapy.utils.test import get_crawler

from crawler.fetching import (
    KEPT_ENCODING_META,
    CompressedBodyMiddleware,
    ConditionalAutoThrottle,
    RevalidationCacheStorage,
)
from crawler.urls import canonicalize_url
from tests.conftest import SiteProcess, run_newswire, start_site_process

PAGE = (
    b"<html><head><title>Caf\xc3\xa9</title></head><body><p>Gr\xc3\xbc\xc3\x9fe</p></body></html>"
)


def _gzip_html(content_type: bytes = b"text/html") -> HtmlResponse:
    return HtmlResponse(
        "http://127.0.0.1/story",
        body=gzip.compress(PAGE, mtime=0),
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


def _article_response(status: int = 200, encoding: bytes = b"gzip") -> HtmlResponse:
    request = Request("http://127.0.0.1/story", meta={"newswire_article": True})
    return HtmlResponse(
        request.url,
        status=status,
        body=gzip.compress(PAGE, mtime=0),
        headers={b"Content-Type": b"text/html", b"Content-Encoding": encoding},
        request=request,
    )


@pytest.mark.parametrize("encoding", [b"gzip", b"x-gzip", b"GZIP "])
def test_a_gzipped_article_stays_compressed_for_the_worker(encoding: bytes) -> None:
    raw = _article_response(encoding=encoding)
    kept = CompressedBodyMiddleware().process_response(raw.request, raw)
    assert type(kept) is Response and kept.body == raw.body
    assert b"Content-Encoding" not in kept.headers
    assert kept.headers[b"Content-Type"] == b"text/html"
    assert raw.request.meta[KEPT_ENCODING_META] == "gzip"
    crawler = get_crawler(settings_dict={})
    compression = HttpCompressionMiddleware.from_crawler(crawler)
    assert compression.process_response(raw.request, kept).body == gzip.compress(PAGE, mtime=0)


@pytest.mark.parametrize(
    "raw",
    [
        _article_response(status=404),  # an error page is not extracted: Scrapy decodes it
        _article_response(encoding=b"gzip, br"),  # only a plain gzip body is kept
        _gzip_html(),  # not an article request
    ],
)
def test_other_compressed_responses_are_decompressed_by_scrapy(raw: HtmlResponse) -> None:
    untyped = CompressedBodyMiddleware().process_response(raw.request, raw)
    assert KEPT_ENCODING_META not in raw.request.meta
    assert untyped.headers.getlist(b"Content-Encoding") == raw.headers.getlist(b"Content-Encoding")


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


# ---------------------------------------------------------------- revalidated cache entries

FEED = "http://127.0.0.1/feed.xml"
VALIDATORS = {b"ETag": b'"v1"', b"Last-Modified": b"Sun, 06 Dec 2026 10:00:00 GMT"}


def _cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[HttpCacheMiddleware, list[int]]:
    """The HTTP cache with newswire's storage, and the status of each entry it wrote."""
    crawler = get_crawler(
        settings_dict={
            "HTTPCACHE_ENABLED": True,
            "HTTPCACHE_DIR": str(tmp_path / "httpcache"),
            "HTTPCACHE_POLICY": "scrapy.extensions.httpcache.RFC2616Policy",
            "HTTPCACHE_STORAGE": "crawler.fetching.RevalidationCacheStorage",
        }
    )
    crawler.spider = crawler._create_spider("news")
    cache = HttpCacheMiddleware.from_crawler(crawler)
    assert isinstance(cache.storage, RevalidationCacheStorage)
    writes: list[int] = []
    write = FilesystemCacheStorage.store_response

    def counted(self: Any, spider: Any, request: Request, response: Response) -> None:
        writes.append(response.status)
        write(self, spider, request, response)

    monkeypatch.setattr(FilesystemCacheStorage, "store_response", counted)
    cache.spider_opened(crawler.spider)
    return cache, writes


def _revalidate(
    cache: HttpCacheMiddleware, headers: dict[bytes, bytes], revalidate: bool = True
) -> Response:
    request = Request(FEED, headers={"Cache-Control": "max-age=0"} if revalidate else {})
    assert cache.process_request(request) is None  # stale: asked again, with validators
    assert request.headers[b"If-None-Match"] == VALIDATORS[b"ETag"]
    reply = Response(FEED, status=304, headers=headers, request=request)
    return cache.process_response(request, reply)  # type: ignore[return-value]


def _first_fetch(cache: HttpCacheMiddleware) -> None:
    request = Request(FEED, headers={"Cache-Control": "max-age=0"})
    assert cache.process_request(request) is None
    # Dated when last modified: no heuristic freshness, every later request is revalidated.
    headers = {**VALIDATORS, b"Date": VALIDATORS[b"Last-Modified"]}
    response = Response(FEED, body=b"<rss/>", headers=headers, request=request)
    cache.process_response(request, response)


def test_a_304_that_keeps_the_validators_leaves_the_entry_unwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache, writes = _cache(tmp_path, monkeypatch)
    _first_fetch(cache)
    assert writes == [200]
    for _ in range(3):
        cached = _revalidate(cache, {**VALIDATORS, b"Date": b"Sun, 06 Dec 2026 12:00:00 GMT"})
        assert cached.status == 200 and cached.body == b"<rss/>" and "cached" in cached.flags
    assert writes == [200]  # three revalidations, no rewrite


@pytest.mark.parametrize(
    ("headers", "revalidate"),
    [
        ({**VALIDATORS, b"ETag": b'"v2"'}, True),  # a new validator must be stored
        (VALIDATORS, False),  # a request that may be answered from the cache needs the Date
    ],
)
def test_a_304_with_new_validators_or_without_max_age_0_is_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, headers: dict[bytes, bytes], revalidate: bool
) -> None:
    cache, writes = _cache(tmp_path, monkeypatch)
    _first_fetch(cache)
    _revalidate(cache, headers, revalidate)
    assert len(writes) == 2


# ---------------------------------------------------------------- conditional re-crawl


@pytest.fixture(scope="module")
def gzip_site() -> Any:
    with start_site_process("--gzip") as site:
        yield site


def _article_urls(site: SiteProcess) -> set[str]:
    truth = site.truth()
    urls = {canonicalize_url(a["url"]) for a in truth["articles"]}
    urls |= {canonicalize_url(u) for a in truth["articles"] for u in a["alternate_urls"]}
    return urls


def _crawl_all(site: SiteProcess, database_url: str, data_dir: Path) -> None:
    sources = site.write_sources(data_dir / "sources.toml")
    done = run_newswire(
        "--sources", str(sources), "crawl", "--all", database_url=database_url, data_dir=data_dir
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_gzipped_pages_are_stored_as_compressed_by_the_site(
    gzip_site: SiteProcess, database_url: str, db: Any, tmp_path: Path
) -> None:
    gzip_site.reset_requests()
    _crawl_all(gzip_site, database_url, tmp_path)
    # An article first reached through another of its URLs (a short /a/N link, fetched as a
    # listing until its rel=canonical says otherwise) arrives decompressed by Scrapy, so its
    # copy is compressed anew; every other article keeps the site's own deflate stream.
    fetched = {canonicalize_url(r["url"]) for r in gzip_site.requests()}
    via_alias = {
        canonicalize_url(a["url"])
        for a in gzip_site.truth()["articles"]
        if fetched
        & ({canonicalize_url(u) for u in a["alternate_urls"]} - {canonicalize_url(a["url"])})
    }
    rows = db.execute(
        "SELECT a.title, h.fetched_url, h.encoding, h.html_zlib FROM articles a"
        " JOIN article_html h ON h.article_id = a.id"
    ).fetchall()
    assert len(rows) >= 20
    kept = 0
    for title, url, encoding, html_zlib in rows:
        html = zlib.decompress(html_zlib)
        assert title in unescape(html.decode(encoding))
        with urllib.request.urlopen(url) as plain:  # no Accept-Encoding: the page itself
            assert html == plain.read()
        if canonicalize_url(url) in via_alias:
            continue
        request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request) as compressed:  # the bytes the crawl received
            assert html_zlib[2:-4] in compressed.read()  # kept, not compressed a second time
        kept += 1
    assert kept >= len(rows) - len(via_alias) >= 20
    dropped = db.execute("SELECT stats->'dropped' FROM crawl_runs").fetchall()
    assert not any(row[0] and "bad_body" in row[0] for row in dropped)


def test_a_recrawl_revalidates_structure_pages_and_fetches_no_article(
    gzip_site: SiteProcess, database_url: str, db: Any, tmp_path: Path
) -> None:
    _crawl_all(gzip_site, database_url, tmp_path)
    assert any((tmp_path / "httpcache").rglob("response_body")), "nothing was cached"
    stored = db.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert stored > 0
    gzip_site.reset_requests()

    _crawl_all(gzip_site, database_url, tmp_path)
    requests = gzip_site.requests()
    articles = _article_urls(gzip_site)
    assert not [r["url"] for r in requests if canonicalize_url(r["url"]) in articles]
    not_modified = [r for r in requests if r["status"] == 304]
    assert len(not_modified) >= 6  # every outlet's feeds, sitemaps and listings
    assert all(r["if_none_match"] or r["if_modified_since"] for r in not_modified)
    assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == stored
