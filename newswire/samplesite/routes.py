"""Which page answers which path, as a transport-neutral Reply the HTTP server sends.

The server adds what depends on the connection: the first-request 500, the delay, gzip,
ETag/Last-Modified and the request log.
"""

from __future__ import annotations

import gzip
import re
import struct
import zlib
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs

from newswire.samplesite import feeds, pages, syndication
from newswire.samplesite.outlets import IMAGE_PATH, LOGIN_PATH, PDF_PATH
from newswire.samplesite.pages import PageContext
from newswire.samplesite.site import Article


@dataclass(frozen=True)
class Reply:
    """A response before transport concerns; ``conditional`` turns on ETag and 304s."""

    status: int
    body: bytes
    content_type: str
    charset: str | None = "utf-8"
    last_modified: datetime | None = None
    conditional: bool = False
    compressible: bool = True
    fail_first: bool = False  # answer 500 to the first request for this path
    delay: float = 0.0
    location: str | None = None
    gzipped: bool = False  # body is gzip-encoded already (pre-rendered static pages)
    cached: bool = True  # a conditional reply the server may keep (listings, feeds, sitemaps)
    honours_conditional: bool = True  # False: sends validators but never answers 304


def gzip_body(body: bytes) -> bytes:
    """Content-Encoding: gzip, the same bytes every time (a fixed mtime) for stable ETags."""
    return gzip.compress(body, compresslevel=5, mtime=0)


_TAXONOMY_PATH = re.compile(r"/(tag|author)/([a-z0-9]+(?:-[a-z0-9]+)*)/")


def _html(
    status: int, text: str, *, last_modified: datetime | None = None, conditional: bool = False
) -> Reply:
    return Reply(
        status,
        text.encode("utf-8"),
        "text/html",
        last_modified=last_modified,
        conditional=conditional,
    )


def not_found(ctx: PageContext) -> Reply:
    """The outlet's branded 404 page."""
    return _html(404, pages.render_error(ctx, 404, "Page not found"))


def server_error(ctx: PageContext) -> Reply:
    """The outlet's branded 500 page."""
    return _html(500, pages.render_error(ctx, 500, "Internal Server Error"))


def pdf_bytes(title: str) -> bytes:
    """A small, valid one-page PDF (correct xref offsets), generated, not copied."""
    stream = f"BT /F1 18 Tf 72 720 Td ({title}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def png_bytes(width: int = 16, height: int = 9) -> bytes:
    """A small, valid PNG: a navy banner."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    row = b"\x00" + b"\x0b\x25\x45" * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def _comment_page(query: str, article: Article) -> int:
    """Which page of its comments an article page shows: ``?p=N``, on an article that has them."""
    value = parse_qs(query).get("p", ["1"])[0]
    if article.comment_pages and value.isdigit():
        return min(max(int(value), 1), syndication.COMMENT_PAGE_COUNT)
    return 1


def _page_number(query: str) -> int | None:
    values = parse_qs(query).get("page", ["1"])
    return int(values[0]) if values[0].isdigit() and int(values[0]) >= 1 else None


def _listing(ctx: PageContext, title: str, articles: list[Article], query: str) -> Reply:
    page = _page_number(query)
    if page is None or page > ctx.site.page_count(len(articles)):
        return not_found(ctx)
    text = pages.render_listing(ctx, title, articles, page)
    newest = max((a.published for a in articles), default=ctx.site.now)
    return _html(200, text, last_modified=newest, conditional=True)


def _xml(text: str, newest: datetime, content_type: str = "application/xml") -> Reply:
    return Reply(200, text.encode("utf-8"), content_type, last_modified=newest, conditional=True)


def _machine_readable(ctx: PageContext, path: str) -> Reply | None:
    """robots.txt, feeds and sitemaps; None when ``path`` is none of them."""
    site, outlet, base = ctx.site, ctx.outlet, ctx.base
    if path == "/robots.txt":  # a static file, with the validators a web server gives one
        text = feeds.render_robots(outlet, base).encode()
        return Reply(200, text, "text/plain", last_modified=site.now, conditional=True)
    if path == outlet.rss_path:
        return _xml(*feeds.render_rss(site, outlet, base), content_type="application/rss+xml")
    if path == outlet.atom_path:
        return _xml(*feeds.render_atom(site, outlet, base), content_type="application/atom+xml")
    if path == outlet.sitemap_index_path:
        return _xml(*feeds.render_sitemap_index(site, outlet, base))
    for kind, compressed in feeds.sitemap_kinds(site, outlet):
        if path != outlet.sitemap_path(kind, compressed=compressed):
            continue
        rendered = feeds.render_sitemap(site, outlet, base, kind)
        if rendered is None:
            return None
        if not compressed:
            return _xml(*rendered)
        body = feeds.gzip_bytes(rendered[0])
        return Reply(
            200,
            body,
            "application/x-gzip",
            charset=None,
            last_modified=rendered[1],
            conditional=True,
            compressible=False,
        )
    return None


def _listing_page(ctx: PageContext, path: str, query: str) -> Reply | None:
    """Home, section, tag and author pages; None when ``path`` is none of them."""
    site, name = ctx.site, ctx.outlet.name
    if path == "/":
        newest = max((a.published for a in site.latest(name, 12)), default=site.now)
        return _html(200, pages.render_home(ctx), last_modified=newest, conditional=True)
    for section in ctx.outlet.sections:
        if path == section.path:
            return _listing(ctx, section.label, site.in_section(name, section.slug), query)
        if path == section.path.rstrip("/"):
            return Reply(301, b"", "text/html", location=section.path)
    # Any well-formed tag or author slug has a page, as on real sites: bulk articles link to
    # many; truth.json lists those of the regular articles.
    match = _TAXONOMY_PATH.fullmatch(path)
    if match and match[1] == "tag":
        label = site.tags(name).get(match[2], match[2])
        return _listing(ctx, label, site.with_tag(name, match[2]), query)
    if match:
        label = site.authors(name).get(match[2], match[2])
        return _listing(ctx, label, site.by_author(name, match[2]), query)
    return None


def resolve(ctx: PageContext, path: str, query: str) -> Reply:
    """The reply for a GET of ``path`` (percent-decoded, no query) on ``ctx.outlet``."""
    reply = _machine_readable(ctx, path) or _listing_page(ctx, path, query)
    if reply is not None:
        return reply
    if path == LOGIN_PATH:
        return _html(200, pages.render_login(ctx))
    if path == PDF_PATH:
        return Reply(
            200, pdf_bytes(ctx.outlet.title), "application/pdf", charset=None, compressible=False
        )
    if path == IMAGE_PATH:
        return Reply(200, png_bytes(), "image/png", charset=None, compressible=False)
    redirect = ctx.site.redirects.get((ctx.outlet.name, path))
    if redirect is not None:
        return Reply(301, b"", "text/html", location=redirect)
    article = ctx.site.find_article(ctx.outlet.name, path)
    if article is None:
        return not_found(ctx)
    charset = article.legacy_encoding or "utf-8"
    # Article pages carry ETag and Last-Modified; some ignore conditional requests.
    return Reply(
        200,
        pages.render_article(ctx, article, _comment_page(query, article)).encode(charset),
        "text/html",
        charset=charset,
        fail_first=article.retry_500,
        delay=ctx.site.slow_seconds if article.slow else 0.0,
        last_modified=article.modified or article.published,
        conditional=True,
        cached=False,
        honours_conditional=article.honours_conditional,
    )
