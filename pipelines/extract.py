"""Page -> Article: trafilatura in a process pool, so extraction never stalls the downloader.

``extract_article`` is pure and runs in a worker process: bytes in, a picklable ``Extracted`` or
a ``Rejection`` with a reason code out; what the page says of itself (JSON-LD, meta tags) is
read by ``pipelines.metadata``. ``ExtractPipeline`` owns the pool and builds Articles.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import time
import zlib
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from datetime import UTC
from typing import TYPE_CHECKING, Any, TypeVar

from lxml.etree import LxmlError
from lxml.html import HtmlElement
from scrapy import signals
from scrapy.exceptions import DropItem

from crawler.encoding import decode_html
from crawler.urls import canonicalize_url, resolve_canonical
from newswire.errors import ConfigError
from newswire.records import Article, ArticleMetadata, Page, RefetchResult, field_names
from pipelines.compression import BodyError, inflate_gzip
from pipelines.evidence import PageHints, choose_metadata
from pipelines.metadata import (
    canonical_href,
    is_not_article,
    json_ld_objects,
    meta_tags,
    page_language,
    primary_subtag,
)
from pipelines.templates import TitleTemplates
from pipelines.titles import host_names

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)
_T = TypeVar("_T")

_HTML_MIME_HINTS = ("html", "xml", "text/plain")
_DATE_PARAMS = {"original_date": True, "extensive_search": False}
# Rejections that say a refetched page is no longer an article (not that parsing it failed).
_NO_LONGER_AN_ARTICLE = ("no_text", "too_short", "not_article", "not_html")
_PARSE_ERRORS = (ValueError, TypeError, LookupError, AttributeError, RecursionError, LxmlError)
_WARM_TIMEOUT = 60.0  # seconds a starting pool waits for every worker to answer once
# trafilatura is imported where it runs: in the workers, whose forkserver loads it once for
# all of them, not in the crawl process, whose start-up it would slow by 0.15 s (a tenth of a
# re-crawl that finds nothing new).
_WORKER_PRELOAD = [__name__, "trafilatura", "pipelines.libmeta"]
_UNLIMITED = 2**62  # DOWNLOAD_MAXSIZE = 0: no limit (zlib needs a number)
PENDING_PER_WORKER = 2  # pages handed to the pool per worker: one running, one queued
# Loggers of the extraction libraries: per-page chatter that the rejection stats already count.
_QUIET_LOGGERS = ("trafilatura", "htmldate", "courlan", "justext", "charset_normalizer")


@dataclass(frozen=True)
class ExtractOptions:
    """What the worker needs besides the page; frozen so it pickles and cannot drift."""

    min_text_chars: int = 250
    fast: bool = False  # trafilatura fast mode (no fallback extractors)
    language_hint: str | None = None
    max_html_bytes: int = 16 * 1024 * 1024  # DOWNLOAD_MAXSIZE, for a body inflated here
    hints: PageHints = field(
        default_factory=PageHints
    )  # the page's feed entry and source names, set per page


@dataclass(frozen=True)
class Rejection:
    """A page that is not an article; ``reason`` is the code counted in stats."""

    reason: str  # "no_text", "too_short", "not_article", "parse_error", "not_html", "bad_body"
    detail: str = ""


@dataclass(kw_only=True)
class Extracted(ArticleMetadata):
    """What a worker sends back: the page's metadata (published_at in UTC) and its text."""

    text: str = field(repr=False)
    canonical_href: str | None  # absolute, as declared; not yet checked against the site
    encoding: str
    html_zlib: bytes = field(repr=False)
    page_title: str | None = None  # the raw <title>, from which a crawl learns the template


def extract_article(
    body: bytes,
    url: str,
    content_type: str | None,
    options: ExtractOptions,
    content_encoding: str | None = None,
) -> Extracted | Rejection:
    """Decode, parse once, extract text and metadata; bad input is a Rejection, never raised.

    A ``gzip`` body is inflated here, and its compressed bytes become the stored copy.
    """
    body_zlib = None
    if content_encoding == "gzip":
        try:
            body, body_zlib = inflate_gzip(body, options.max_html_bytes)
        except BodyError as exc:
            return Rejection("bad_body", str(exc))
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if mime and not any(hint in mime for hint in _HTML_MIME_HINTS):
        return Rejection("not_html", mime)
    if b"\x00" in body[:1024] or body[:5] == b"%PDF-":
        return Rejection("not_html", "binary body")
    from trafilatura.utils import load_html  # in the worker: see _WORKER_PRELOAD

    try:
        text, encoding = decode_html(body, content_type)
        tree = load_html(text)
        if tree is None or len(tree) == 0:
            return Rejection("not_html", "no HTML tree")
        return _extract_from_tree(tree, url, encoding, options, body, body_zlib)
    except _PARSE_ERRORS as exc:  # trafilatura and lxml on hostile markup: a page, not a crash
        return Rejection("parse_error", f"{type(exc).__name__}: {exc}"[:300])


def _extract_from_tree(
    tree: HtmlElement,
    url: str,
    encoding: str,
    options: ExtractOptions,
    body: bytes,
    body_zlib: bytes | None,
) -> Extracted | Rejection:
    from trafilatura import bare_extraction  # in the worker: see _WORKER_PRELOAD

    from pipelines.libmeta import library_metadata, searched_authors

    # The text alone: trafilatura's metadata sweep is run in parts by pipelines.libmeta.
    doc = bare_extraction(tree, url=url, fast=options.fast, include_comments=False)
    if doc is None or not (doc.text or "").strip():
        return Rejection("no_text")
    metas = meta_tags(tree)
    ld_objects = list(json_ld_objects(tree))
    library = library_metadata(tree, url, dict(_DATE_PARAMS))
    if is_not_article(metas, ld_objects, library.pagetype):
        return Rejection("not_article", library.pagetype or "")
    text = doc.text.strip()
    if len(text) < options.min_text_chars:
        return Rejection("too_short", f"{len(text)} < {options.min_text_chars} chars")
    chosen = choose_metadata(
        tree, ld_objects, url, options.hints, library, metas=metas, author_search=searched_authors
    )
    return Extracted(
        title=chosen.title,
        title_source=chosen.title_source,
        authors=chosen.authors,
        credits=chosen.credits,
        authors_source=chosen.authors_source,
        published_at=chosen.published_at,
        published_source=chosen.published_source,
        modified_at=chosen.modified_at,
        language=page_language(tree, metas, ld_objects) or primary_subtag(options.language_hint),
        site_name=chosen.site_name,
        description=library.description or None,
        categories=list(library.categories or []),
        tags=list(library.tags or []),
        text=text,
        page_title=chosen.page_title,
        canonical_href=canonical_href(tree, metas, url),
        encoding=encoding,
        html_zlib=body_zlib or zlib.compress(body, 1),
    )


_WARM_HTML = (
    b"<html lang='en'><head><title>Warm-up</title></head><body><article><p>"
    + b"Worker warm-up text so imports and caches are ready. " * 8
    + b"</p></article></body></html>"
)


def _init_worker(log_level: int) -> None:
    """Process entry point: log like the crawl does, quiet library chatter, prime the imports."""
    logging.basicConfig(level=log_level, format="%(asctime)s [%(name)s] %(levelname)s: %(message)s")
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(log_level, logging.ERROR))
    extract_article(_WARM_HTML, "http://127.0.0.1/warm-up", "text/html", ExtractOptions())


def extract_workers(raw: object) -> int:
    """NEWSWIRE_EXTRACT_WORKERS as a count: None means one per core, 0 extraction inline."""
    try:
        workers = (os.cpu_count() or 1) if raw in (None, "") else int(str(raw))
    except (TypeError, ValueError):
        workers = -1
    if workers < 0:
        raise ConfigError(f"NEWSWIRE_EXTRACT_WORKERS={raw!r} is invalid: use 0 (inline) or a count")
    return workers


def _worker_context() -> multiprocessing.context.BaseContext:
    """forkserver (or spawn): workers start from a clean interpreter, never a fork of the reactor;
    the forkserver imports this module once, so each worker starts with trafilatura loaded."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_WORKER_PRELOAD)
    return context


def _worker_ready() -> int:
    time.sleep(0.02)  # long enough that one fast worker cannot answer every ping of a round
    return os.getpid()


class ExtractionPool:
    """Extraction processes for every crawler of one process, with a cap on pages in flight.

    Workers start from a thread, so the reactor never waits on process creation, as soon as
    the gate lets the first article request through: they warm up while it downloads. A
    re-crawl that finds nothing new starts none. At most ``max_pending`` pages are handed to
    the workers at once: the rest wait in Scrapy's scraper, which then stops downloading.
    """

    def __init__(self, workers: int, *, log_level: int = logging.INFO, max_pending: int = 0):
        self.workers = workers
        self.log_level = log_level
        self.max_pending = max_pending or workers * PENDING_PER_WORKER
        self._starting: asyncio.Future[ProcessPoolExecutor] | None = None
        self._slots: asyncio.Semaphore | None = None
        self.pending = 0  # calls handed to the workers and not answered yet

    def __deepcopy__(self, memo: dict[int, Any]) -> ExtractionPool:
        return self  # Scrapy copies settings per crawler: the copies must share one pool

    @property
    def started(self) -> bool:
        """Whether the workers were ever asked for: a run with nothing new starts none."""
        return self._starting is not None

    def start_soon(self) -> None:
        """Begin starting the workers in the background, if that has not begun yet."""
        if self._starting is None:
            self._starting = asyncio.ensure_future(asyncio.to_thread(self._start))

    async def extract(self, *args: Any) -> Extracted | Rejection:
        """``extract_article(*args)`` in a worker; a worker that dies costs this page only."""
        try:
            return await self.call(extract_article, *args)
        except BrokenProcessPool:
            return Rejection("worker_crash", "the worker process died")

    async def call(self, function: Callable[..., _T], *args: Any) -> _T:
        """Run ``function(*args)`` in a worker, waiting for a slot and for the pool to start."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.max_pending)
        async with self._slots:
            self.start_soon()
            starting = self._starting
            assert starting is not None
            executor = await asyncio.shield(starting)
            self.pending += 1
            try:
                return await asyncio.wrap_future(executor.submit(function, *args))
            except BrokenProcessPool:
                # Out of memory, a crash in C code: the next page starts a new pool.
                if self._starting is starting:
                    logger.error("an extraction worker died; restarting the pool")
                    executor.shutdown(wait=False, cancel_futures=True)
                    self._starting = None
                raise
            finally:
                self.pending -= 1

    def close(self) -> None:
        """Stop the workers; pages still queued are cancelled, the crawl is over."""
        starting, self._starting = self._starting, None
        if starting is not None and starting.done() and not starting.exception():
            starting.result().shutdown(wait=True, cancel_futures=True)

    def _start(self) -> ProcessPoolExecutor:
        executor = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=_worker_context(),
            initializer=_init_worker,
            initargs=(self.log_level,),
        )
        deadline = time.monotonic() + _WARM_TIMEOUT
        pids: set[int] = set()
        while len(pids) < self.workers and time.monotonic() < deadline:
            pings = [executor.submit(_worker_ready) for _ in range(self.workers)]
            pids.update(ping.result() for ping in pings)
        logger.info("extraction pool: %d of %d worker(s) warm", len(pids), self.workers)
        return executor


class ExtractPipeline:
    """Scrapy stage: Page -> Article through a pool of extraction processes; other items pass.

    The pool is the one the entry point put in NEWSWIRE_EXTRACT_POOL, shared with the other
    crawlers of the process, or else one of the pipeline's own. Each page goes to the workers
    with its source's title template: learned, at the source's first page, from the titles
    of its latest stored pages, then from every page this run extracts.
    """

    def __init__(
        self,
        crawler: Crawler,
        workers: int,
        options: ExtractOptions,
        pool: ExtractionPool | None = None,
    ) -> None:
        self.crawler = crawler
        self.workers = workers
        self.options = options
        self.owns_pool = pool is None and workers > 0
        self.pool = pool
        if self.owns_pool:
            level = logging.getLevelName(crawler.settings.get("LOG_LEVEL", "INFO"))
            self.pool = ExtractionPool(workers, log_level=level if isinstance(level, int) else 20)
        if self.pool is not None:
            crawler.signals.connect(self._request_scheduled, signal=signals.request_scheduled)
        self.templates = TitleTemplates.from_settings(crawler.settings)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        """Read NEWSWIRE_EXTRACT_* settings; workers 0 runs extraction inline (for debugging)."""
        settings = crawler.settings
        options = ExtractOptions(
            min_text_chars=settings.getint("NEWSWIRE_EXTRACT_MIN_TEXT_CHARS", 250),
            fast=settings.getbool("NEWSWIRE_EXTRACT_FAST", False),
            max_html_bytes=settings.getint("DOWNLOAD_MAXSIZE") or _UNLIMITED,
        )
        pool = settings.get("NEWSWIRE_EXTRACT_POOL")
        if isinstance(pool, ExtractionPool):
            return cls(crawler, pool.workers, options, pool)
        return cls(crawler, extract_workers(settings.get("NEWSWIRE_EXTRACT_WORKERS")), options)

    def _request_scheduled(self, request: Any, **_: Any) -> None:
        # The gate let an article request through: fork the workers now, so they are warm when
        # its page arrives. (A dead link may start them for nothing; a re-crawl that finds
        # nothing new schedules no article and starts none.)
        if self.pool is not None and request.meta.get("newswire_article"):
            self.pool.start_soon()

    async def close_spider(self) -> None:
        """Stop the pool if it is this pipeline's own."""
        if self.owns_pool and self.pool is not None:
            self.pool.close()

    async def process_item(self, item: Any) -> Any:
        """Extract a Page into an Article, or drop it with a counted reason code."""
        if not isinstance(item, Page):
            return item
        stats = self.crawler.stats
        template = await self.templates.template(item.source)
        hints = self._hints(item, template.affixes)
        options = replace(self.options, language_hint=item.language_hint, hints=hints)
        args = (item.body, item.response_url, item.content_type, options, item.content_encoding)
        if self.pool is None:
            result = extract_article(*args)
        else:
            result = await self.pool.extract(*args)
        if isinstance(result, Extracted):
            template.add(result.page_title)
        if isinstance(result, Rejection):
            if item.refetch is not None and result.reason in _NO_LONGER_AN_ARTICLE:
                # A stored article that now answers with a page that is not one: removed.
                return RefetchResult(item.refetch, item.status, item.fetched_at, "not_article")
            stats.inc_value(f"newswire/rejected/{result.reason}")
            logger.debug("rejected %s: %s %s", item.url, result.reason, result.detail)
            raise DropItem(f"{result.reason}: {item.url} {result.detail}".rstrip(), "DEBUG")
        stats.inc_value("newswire/extracted")
        return self._build_article(item, result)

    def _hints(self, page: Page, affixes: tuple[str, ...]) -> PageHints:
        """The feed entry that led to the page and the names its source goes by."""
        source = getattr(self.crawler.spider, "source", None)
        names = (source.name, *host_names(source.home)) if source is not None else ()
        return PageHints(
            title=page.hint_title,
            published=page.hint_published,
            authors=page.hint_authors,
            site_names=names,
            fetched_at=page.fetched_at,
            title_affixes=affixes,
        )

    def _build_article(self, page: Page, extracted: Extracted) -> Article:
        spider = self.crawler.spider
        source = getattr(spider, "source", None)
        if source is not None:
            allowed = source.allowed_domains
        else:
            allowed = getattr(spider, "allowed_domains", None) or ()
        url = resolve_canonical(page.response_url, extracted.canonical_href, allowed)
        metadata = {name: getattr(extracted, name) for name in field_names(ArticleMetadata)}
        # The feed or sitemap entry that led here stands in for what the page does not say
        # (the worker weighed it already when it had it; this covers a page with no signal).
        if extracted.published_at is None and page.hint_published is not None:
            published = page.hint_published
            if published.tzinfo is None:
                published = published.replace(tzinfo=UTC)
            metadata.update(published_at=published, published_source="feed")
        if not extracted.title and page.hint_title:
            metadata.update(title=page.hint_title, title_source="feed")
        return Article(
            **metadata,
            source=page.source,
            url=url,
            urls=sorted({page.url, canonicalize_url(page.response_url), url}),
            text=extracted.text,
            html_zlib=extracted.html_zlib,
            encoding=extracted.encoding,
            fetched_at=page.fetched_at,
            etag=page.etag,
            last_modified=page.last_modified,
            refetch_of=page.refetch.article_id if page.refetch is not None else None,
        )
