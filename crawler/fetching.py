"""Fetching adjustments: compressed bodies typed once, 304s that count for AutoThrottle, and a
cache entry left alone when a revalidation changed nothing in it.

Scrapy types a response from its headers before decompression, so a gzip body served as
``text/html`` without a charset becomes an HtmlResponse of compressed bytes. Re-typing it after
decompression reads its ``encoding``, and for those bytes that means running charset
detection over binary data: about half of Scrapy's fetch rate on sites that omit the charset.
Handing HttpCompressionMiddleware a plain Response skips the detection; the decompressed body
is typed as before, its encoding still found lazily if anything asks.

An article page is not decompressed here at all when it is gzipped: the extraction worker
inflates it on another core, and the store keeps the server's compressed bytes instead of
compressing the HTML again (``pipelines.compression``).

AutoThrottle lowers a slot's delay only after a 200, so a run whose feeds, sitemaps and
listings all answer 304 Not Modified would crawl at the start delay from first to last.

Scrapy's HTTP cache writes a revalidated entry again after every 304, seven files for a new
Date header, on the event loop: in a worker refreshing unchanged sources that was over a
quarter of its loop's time (py-spy, 100 outlets). A request that asks for revalidation
(``max-age=0``, as every run's feeds, sitemaps and listings do) never reads the stored Date for
freshness, so when the 304 kept the validators the request was made with, the entry on disk is
still exact and is not written again.
"""

from __future__ import annotations

from scrapy import Request, Spider
from scrapy.extensions.httpcache import FilesystemCacheStorage, parse_cachecontrol
from scrapy.extensions.throttle import AutoThrottle
from scrapy.http import Response, TextResponse

# Just below the downloader side of HttpCompressionMiddleware (590), which runs after us.
COMPRESSED_BODY_PRIORITY = 595
# Request meta key: the Content-Encoding an article body kept, for the extraction worker.
KEPT_ENCODING_META = "newswire_content_encoding"
_GZIP = {b"gzip", b"x-gzip"}


class CompressedBodyMiddleware:
    """Keeps gzipped article bodies compressed; types other compressed text bodies plainly."""

    def process_response(self, request: Request, response: Response) -> Response:
        """Compressed responses change class (or lose their header); the rest pass untouched."""
        encodings = response.headers.getlist(b"Content-Encoding")
        if not encodings:
            return response
        keep = len(encodings) == 1 and encodings[0].strip().lower() in _GZIP
        article = keep and request.meta.get("newswire_article") and response.status == 200
        if not article and not isinstance(response, TextResponse):
            return response
        plain = {name: getattr(response, name) for name in Response.attributes}
        if article:
            request.meta[KEPT_ENCODING_META] = "gzip"
            plain["headers"] = response.headers.copy()
            del plain["headers"][b"Content-Encoding"]
        return Response(**plain)


class ConditionalAutoThrottle(AutoThrottle):
    """AutoThrottle that takes a 304 Not Modified as the healthy answer it is, like a 200."""

    def _adjust_delay(self, slot: object, latency: float, response: Response) -> None:
        if response.status == 304:
            response = Response(response.url, status=200)  # only the status is read
        super()._adjust_delay(slot, latency, response)  # type: ignore[arg-type]


# Each validator of a cached response, and the conditional header a revalidation sends it in.
_VALIDATORS = ((b"ETag", b"If-None-Match"), (b"Last-Modified", b"If-Modified-Since"))


class RevalidationCacheStorage(FilesystemCacheStorage):
    """Scrapy's filesystem cache, except that an unchanged revalidated entry is not rewritten."""

    def store_response(self, spider: Spider, request: Request, response: Response) -> None:
        """Write the entry, unless it is the cached response a 304 confirmed as it stands."""
        if (
            "cached" in response.flags
            and _revalidates(request)
            and _same_validators(request, response)
        ):
            return
        super().store_response(spider, request, response)


def _revalidates(request: Request) -> bool:
    value = parse_cachecontrol(request.headers.get(b"Cache-Control") or b"").get(b"max-age")
    return value == b"0"


def _same_validators(request: Request, response: Response) -> bool:
    """Whether the response's validators are those the request was sent with (the stored ones)."""
    sent = [(response.headers.get(name), request.headers.get(header))
            for name, header in _VALIDATORS]  # fmt: skip
    return any(have for have, _ in sent) and all(have == asked for have, asked in sent)
