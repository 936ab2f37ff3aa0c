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
    # The response's validators, kept with the version so its refetch can be conditional.
    etag: str | None = None
    last_modified: str | None = None
    refetch: Refetch | None = None  # set when the page is a stored article fetched again


@dataclass(frozen=True)
class Refetch:
    """A stored article due to be fetched again, with what the request needs to be conditional.

    ``step`` is how many of its source's refetch intervals had passed when it was picked
    (``newswire.schedule.refetch_step``); ``version`` is its latest version's number.
    """

    article_id: int
    url: str
    published_at: datetime | None
    version: int
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class RefetchResult:
    """A refetch that gave no article to compare: ``reason`` is "not_modified" (a 304),
    "gone" (404/410, or a redirect loop) or "not_article" (the page is no longer one)."""

    refetch: Refetch
    status: int
    fetched_at: datetime
    reason: str


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
    # Which signal each field came from: "jsonld", "og", "meta", "h1", "microdata", "time",
    # "byline", "feed" or "trafilatura"; None when the field is empty.
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
    etag: str | None = None  # the response's validators, stored with the version
    last_modified: str | None = None
    # Set by the store stage from its source's refetch delays: when to fetch it again.
    refetch_at: datetime | None = None
    refetch_of: int | None = None  # a stored article fetched again: compared, not inserted


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
    fetched_at: datetime  # of the latest version
    stored_at: datetime
    version: int = 1  # the latest version's number (see Version)
    removed_at: datetime | None = None  # when a refetch found it gone; never deleted


# ---------------------------------------------------------------- versions
# Every article has versions: the first is what it was stored with, and each later one is a
# refetch whose content differed (pipelines.changes says how) or that found it gone.


class ChangeKind(StrEnum):
    """What changed from one version of an article to the next; members equal the stored text."""

    FIRST = "first"  # the version the article was first stored with
    HEADLINE = "headline"  # the title was rewritten
    TEXT_EDIT = "text_edit"  # words added or removed in the body
    CORRECTION = "correction"  # a correction or update note appended
    BYLINE = "byline"  # authors or credits changed
    DATE = "date"  # the publication date (or only the modified date) changed
    REMOVED = "removed"  # 404/410, or the page is no longer an article
    REDIRECTED = "redirected"  # the URL now redirects to another article


@dataclass(kw_only=True)
class VersionContent:
    """What two versions of an article are compared on (pipelines.changes)."""

    title: str
    authors: list[str]
    credits: list[str]
    published_at: datetime | None
    modified_at: datetime | None
    text: str = field(repr=False)


@dataclass(kw_only=True)
class Version(VersionContent):
    """One article_versions row: a version of an article and how it differs from the one
    before. ``kinds`` holds ChangeKind values, the main one first; a removal repeats the
    content it removed. The latest content version's raw HTML is the article's article_html
    row; a superseded one keeps its own (``has_html``)."""

    article_id: int
    version: int  # 1 for the first
    fetched_at: datetime
    kinds: list[str]
    status: int  # the HTTP status that produced it (200; 404/410 for a removal)
    words_added: int
    words_removed: int
    url: str | None  # where a redirect led; None otherwise
    etag: str | None
    last_modified: str | None
    has_html: bool


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
    # Fetch stored articles again this long after publication; () never (refetch = false).
    refetch: tuple[timedelta, ...] = ()


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
    # The run's checks (crawler.monitors): {"passed": bool, "checks": [{"name", "passed",
    # "message"}, ...]}; None for runs that ended before they were checked, or never opened.
    checks: dict[str, Any] | None = None


# ---------------------------------------------------------------- source health
# Computed by storage.health from a source's runs and articles; shown by `newswire health`, the
# API, /metrics and the web pages. Worst first: failing, silent, never run, ok.


class HealthState(StrEnum):
    """How a source is doing; members compare equal to the text stored in source_health."""

    FAILING = "failing"  # its latest N completed runs failed (NEWSWIRE_HEALTH_FAILING_AFTER)
    SILENT = "silent"  # runs succeed, but no new article for k x its usual gap
    NEVER_RUN = "never_run"  # no run of it has completed yet
    OK = "ok"

    @property
    def alarming(self) -> bool:
        """Whether `newswire health` exits 1 for a source in this state."""
        return self in (HealthState.FAILING, HealthState.SILENT)

    @property
    def rank(self) -> int:
        """Sort key, worst first: the declaration order."""
        return list(HealthState).index(self)


@dataclass(frozen=True)
class SourceHealth:
    """One source's health at a moment (``now``), with the figures that explain its state."""

    source: str
    state: HealthState
    last_success_at: datetime | None  # when its latest successful run finished
    last_article_at: datetime | None  # when its latest new article was stored
    articles_per_day: list[int]  # new articles stored per UTC day, oldest first, today last
    failures_in_row: int  # failed runs since its latest successful one
    median_run_seconds: float | None  # of its latest 20 completed runs
    not_modified_share: float | None  # 304 responses / responses, latest 20 runs; None: unknown
    usual_gap_seconds: float | None  # the median gap between its new articles; None: unknown
    silent_after_seconds: float  # silent once its latest new article is older than this
    runs: int  # completed runs (succeeded or failed) among its latest 20


@dataclass(frozen=True)
class RunPoint:
    """One run of a source over time, for its chart: new articles stored and duration."""

    run_id: int
    status: str
    started_at: datetime | None
    finished_at: datetime | None
    new_articles: int  # articles rows this run stored (copies of other texts included)
    duration_seconds: float | None
    checks_passed: bool | None  # None: the run was not checked


@dataclass(frozen=True)
class RunError:
    """A failed run of a source and why it failed (the run's error, its failed checks)."""

    run_id: int
    finished_at: datetime | None
    error: str | None
    failed_checks: list[str]  # "name: message" of each failed check


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
