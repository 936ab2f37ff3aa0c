"""The records every stage passes on: each field of an article is declared here, once.

This module is the ground of the tree: the crawler, the pipelines, storage, the CLI and the
API all import it, and it imports none of them. Everything that lists an article's fields
(the store's staging table, search hits, export columns, the Parquet schema, the API's JSON
bodies) derives them from these dataclasses with :func:`dataclasses.fields`, so a new field is
the dataclass, the migration, and the code that fills it.

How the article records share their fields::

    ArticleMetadata            what a page says about itself (title, authors, dates, ...)
    ├── Article                one extracted page on its way to the store
    ├── Extracted              (pipelines.extract) what an extraction worker sends back
    └── StoredArticle          + where it is stored: id, source, url, duplicate_of, story_id
        ├── SearchHit          + rank and snippet: one search result
        └── ArticleRow         + text, fingerprint and bookkeeping: one articles row

``ArticleKey`` comes last among the bases so that id, source and url lead every stored
record's fields (dataclasses collect the fields of the last base first). None is frozen: the
pipelines fill in an Article as it passes (DedupPipeline sets its ``text_hash``), and a
frozen record cannot share a base with a mutable one.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Any

from newswire.schedule import Schedule


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
    hint_authors: tuple[str, ...] = ()  # a feed entry's dc:creator / Atom author names
    language_hint: str | None = None
    # "gzip" when the body is still as the server compressed it: the extraction worker inflates
    # it and the store keeps that compressed copy (see pipelines.compression).
    content_encoding: str | None = None


@dataclass(kw_only=True)
class ArticleMetadata:
    """What a page says about itself, as extraction found it and as it is stored and shown."""

    title: str  # "" when neither the page nor the feed that led to it has one
    authors: list[str]
    published_at: datetime | None  # tz-aware
    language: str | None
    site_name: str | None
    description: str | None
    categories: list[str]
    tags: list[str]
    # The defaults below are what a page without the signal gets (and what rows stored before
    # the metadata layer had); pipelines.evidence fills them.
    modified_at: datetime | None = None  # tz-aware; kept apart from published_at
    credits: list[str] = field(default_factory=list)  # agencies and publishers, not people
    # Which signal each field came from: "jsonld", "og", "meta", "h1", "time", "byline",
    # "feed" or "trafilatura"; None when the field is empty.
    title_source: str | None = None
    authors_source: str | None = None
    published_source: str | None = None


@dataclass(kw_only=True)
class Article(ArticleMetadata):
    """One extracted article, ready for deduplication and storage."""

    source: str
    url: str  # canonical URL: rel=canonical/og:url inside the site, else the requested one
    urls: list[str]  # every URL that led to this article, canonical one included
    text: str = field(repr=False)
    # The raw HTML as fetched, zlib-compressed, so it can be extracted again later.
    html_zlib: bytes = field(repr=False)
    encoding: str
    fetched_at: datetime
    text_hash: bytes = b""  # set by DedupPipeline: sha256 of the normalised text
    # Set by DedupPipeline: the MinHash signature of the text's word shingles and how many
    # distinct shingles it has; the store links near-copies into one story with them.
    signature: list[int] = field(default_factory=list, repr=False)
    shingles: int = 0


@dataclass(kw_only=True)
class ArticleKey:
    """Where a stored article is: its id, and the source and canonical URL it was stored under."""

    id: int
    source: str
    url: str


@dataclass(kw_only=True)
class StoredArticle(ArticleMetadata, ArticleKey):
    """What every listing of a stored article shows: duplicate_of names the original of the
    same text, story_id the original of its story (itself when it has no near-copy)."""

    duplicate_of: int | None
    story_id: int | None


@dataclass(kw_only=True)
class SearchHit(StoredArticle):
    """One search result; snippet marks matches with storage.search's HIGHLIGHT_START/STOP,
    rank is set only in relevance order."""

    rank: float | None
    snippet: str | None


@dataclass(kw_only=True)
class ArticleRow(StoredArticle):
    """One articles row; duplicate_of points at the original when the text was seen before."""

    text: str = field(repr=False)
    text_hash: bytes
    run_id: int | None
    fetched_at: datetime
    stored_at: datetime


# ---------------------------------------------------------------- sources
# Read from sources.toml and checked by crawler.sources, which fills in the defaults.


@dataclass(frozen=True)
class Limits:
    """Bounds on one crawl of a source, so a run always ends."""

    max_pages: int
    max_age: timedelta | None
    max_depth: int
    min_text_chars: int
    timeout: timedelta


@dataclass(frozen=True)
class Source:
    """One news site as configured in sources.toml, checked and with defaults filled in."""

    name: str
    home: str
    start_urls: tuple[str, ...]
    feeds: tuple[str, ...] | None  # None: discover from the home page
    sitemaps: tuple[str, ...] | None  # None: read robots.txt
    allowed_domains: tuple[str, ...]
    article_allow: tuple[re.Pattern[str], ...]
    article_deny: tuple[re.Pattern[str], ...]
    language: str | None
    schedule: Schedule | None
    limits: Limits
    settings: Mapping[str, object] = field(hash=False)  # read-only Scrapy overrides
    enabled: bool = True


# ---------------------------------------------------------------- runs
# A run is queued (waiting for a process), running, then final: succeeded, failed, interrupted
# (stopped by a shutdown) or cancelled. Only final runs have a finished_at and never change.


class RunStatus(StrEnum):
    """A crawl_runs.status value; members compare equal to the stored text."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    CANCELLED = "cancelled"

    @property
    def final(self) -> bool:
        """Whether a run in this state has ended for good (nothing moves it on)."""
        return self not in (RunStatus.QUEUED, RunStatus.RUNNING)

    @classmethod
    def finals(cls) -> tuple[RunStatus, ...]:
        """The states a run can end in, in declaration order."""
        return tuple(status for status in cls if status.final)

    @classmethod
    def is_final(cls, text: str) -> bool:
        """Whether stored status text names a final state (unknown text is not final)."""
        return text in cls.finals()


@dataclass(frozen=True)
class Run:
    """One crawl_runs row: a crawl of one source, from queued to finished."""

    id: int
    source: str
    trigger: str
    status: str  # a RunStatus value, as stored
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    pid: int | None
    hostname: str | None
    stats: dict[str, Any]
    error: str | None


def field_names(record: type) -> tuple[str, ...]:
    """A record's field names in declaration order (bases first)."""
    return tuple(f.name for f in fields(record))


@cache
def field_types(record: type) -> dict[str, Any]:
    """A record's fields with their annotations resolved to types, for schemas built from it
    (this module's annotations are strings: ``from __future__ import annotations``)."""
    hints = typing.get_type_hints(record)
    return {name: hints[name] for name in field_names(record)}


def column_type(annotation: Any) -> tuple[type, bool]:
    """A field's value type for a column schema, and whether the column is a list of it:
    ``datetime | None`` is ``(datetime, False)``, ``list[str]`` is ``(str, True)``."""
    is_list = typing.get_origin(annotation) is list
    if is_list:
        annotation = typing.get_args(annotation)[0]
    args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
    return (args[0] if args else annotation), is_list
