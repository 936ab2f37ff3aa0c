"""Fetching adjustments: compressed bodies typed once, and 304s that count for AutoThrottle.

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
"""

from __future__ import annotations

from scrapy import Request
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
