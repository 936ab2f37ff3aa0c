"""The records that travel between stages: the spider yields a Page, extraction makes an Article."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class Page:
    """A fetched candidate article page, before anything has parsed its HTML."""

    source: str
    url: str  # canonical form of the URL that was requested
    response_url: str  # where the response came from, after redirects
    body: bytes = field(repr=False)
    content_type: str | None  # the Content-Type header, for its charset
    status: int
    fetched_at: datetime
    via: str  # how the URL was found: "feed", "sitemap" or "link"
    hint_title: str | None = None  # from a feed or news sitemap
    hint_published: datetime | None = None
    language_hint: str | None = None
    # "gzip" when the body is still as the server compressed it: the extraction worker inflates
    # it and the store keeps that compressed copy (see pipelines.compression).
    content_encoding: str | None = None


@dataclass
class Article:
    """One extracted article, ready for deduplication and storage."""

    source: str
    url: str  # canonical URL: rel=canonical/og:url inside the site, else the requested one
    urls: list[str]  # every URL that led to this article, canonical one included
    title: str
    authors: list[str]
    published_at: datetime | None
    language: str | None
    site_name: str | None
    description: str | None
    categories: list[str]
    tags: list[str]
    text: str = field(repr=False)
    # The raw HTML as fetched, zlib-compressed, so it can be extracted again later.
    html_zlib: bytes = field(repr=False)
    encoding: str
    fetched_at: datetime
    text_hash: bytes = b""  # set by DedupPipeline: sha256 of the normalised text
