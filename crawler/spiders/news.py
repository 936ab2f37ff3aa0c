"""The one config-driven spider: feeds, sitemaps and listing pages of one source, newest first."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urljoin

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Request, Response

from crawler import discovery
from crawler.dates import as_utc
from crawler.fetching import KEPT_ENCODING_META
from crawler.parsed import ParsedPages
from crawler.runtime import crawl_context
from crawler.urls import (
    canonicalize_url,
    host_key,
    is_allowed,
    is_dead_end,
    is_file_link,
    looks_like_article,
    resolve_canonical,
)
from newswire.records import Page, Refetch, RefetchResult, Source

logger = logging.getLogger(__name__)

# Structure (robots, feeds, sitemaps, listings) is fetched before articles; articles go newest
# first: their priority is minus their age in days, undated ones after every dated one. Within
# a day they keep the order they were found in, newest first. (Days, not hours: Scrapy's queue
# sums its per-priority queues on every length check, and a month of hours is 720 of them.)
STRUCTURE_PRIORITY = 1_000_000
UNDATED_PRIORITY = -1_000_000
# A run always asks whether a cached feed, sitemap or listing changed (a conditional request),
# whatever max-age the site gave it: a crawl exists to see what is new.
_REVALIDATE = {"Cache-Control": "max-age=0"}
# A refetch handles these itself: 304 (unchanged), 404/410 (removed), and redirects, whose next
# hop it requests without the validators (they belong to the stored URL, not the target).
_REDIRECTS = (301, 302, 303, 307, 308)
_REFETCH_STATUSES = [304, 404, 410, *_REDIRECTS]
_R = TypeVar("_R")


class NewsSpider(scrapy.Spider):
    """Crawls one source from sources.toml: ``scrapy crawl news -a source=NAME``."""

    name = "news"

    def __init__(
        self,
        source: Source,
        *,
        run_id: int | None = None,
        now: datetime | None = None,
        since: datetime | None = None,
        max_pages: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=self.name, **kwargs)
        self.source = source
        self.run_id = run_id
        self.max_pages = max_pages or source.limits.max_pages
        self.now = now or datetime.now(UTC)
        cutoff = _cutoff(self.now, source.limits.max_age, since)
        self.max_age = self.now - cutoff if cutoff else None
        self.slot = host_key(source.home)
        self.parsed = ParsedPages(None)  # from_crawler keeps readings beside the HTTP cache

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        """Resolve the named source and apply its Scrapy overrides before settings freeze."""
        context = crawl_context(crawler.settings, kwargs.pop("source", None))
        run_id = kwargs.pop("run_id", None)
        since = kwargs.pop("since", None)
        now = kwargs.pop("now", None)
        max_pages = kwargs.pop("max_pages", None)
        spider = cls(
            context.source,
            run_id=int(run_id) if run_id else None,
            now=as_utc(datetime.fromisoformat(now)) if isinstance(now, str) else now,
            since=datetime.fromisoformat(since) if isinstance(since, str) else since,
            max_pages=int(max_pages) if max_pages else None,
            **kwargs,
        )
        spider._set_crawler(crawler)
        spider.parsed = ParsedPages.from_crawler(crawler)
        return spider

    async def start(self) -> AsyncIterator[Request]:
        """Seed the crawl with the source's sitemaps, feeds and home/section pages."""
        source = self.source
        if source.sitemaps is None:
            yield self._structure(urljoin(source.home, "/robots.txt"), self.parse_robots)
        else:
            for url in source.sitemaps:
                yield self._structure(url, self.parse_sitemap)
        for url in source.feeds or ():
            yield self._structure(url, self.parse_feed)
        for url in dict.fromkeys((source.home, *source.start_urls)):
            yield self._structure(url, self.parse_listing, depth=0)

    def parse_robots(self, response: Response) -> Iterator[Request]:
        """Sitemaps listed in robots.txt; the conventional /sitemap.xml when none is."""
        urls = self._read(response, "robots", discovery.sitemaps_from_robots) or [
            urljoin(response.url, "/sitemap.xml")
        ]
        for url in urls:
            yield self._structure(url, self.parse_sitemap)

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        """Sub-sitemaps of an index, or the article URLs of a urlset, after the age cutoff."""
        doc = self._read(response, "sitemap", discovery.parse_sitemap)
        if doc is None:
            self.crawler.stats.inc_value("newswire/discovery/bad_sitemap")
            logger.warning("%s: not a sitemap: %s", self.source.name, response.url)
            return
        links = self._fresh(doc.entries)
        if doc.kind == "index":
            for link in links:
                yield self._structure(link.url, self.parse_sitemap)
        else:
            yield from self._articles(links, via="sitemap")

    def parse_feed(self, response: Response) -> Iterator[Request]:
        """Article URLs of an RSS or Atom feed, after the age cutoff."""
        links = self._read(response, "feed", discovery.parse_feed)
        if not links:
            self.crawler.stats.inc_value("newswire/discovery/empty_feed")
        yield from self._articles(self._fresh(links), via="feed")

    def parse_listing(self, response: Response) -> Iterator[Request | Page]:
        """Home and section pages: feeds to discover, articles to fetch, listings to follow."""
        allowed = self.source.allowed_domains
        content_type = _header(response, b"Content-Type")
        listing = self.parsed.read(
            "listing",
            response.url,
            response.body,
            lambda: discovery.parse_listing(
                response.body, response.url, content_type, keep=lambda u: is_allowed(u, allowed)
            ),
            (content_type or "", *allowed),  # the links kept depend on the source's domains
        )
        depth = response.meta.get("listing_depth", 0)
        if depth and self._is_alias(response.url, listing.canonical):
            # A short or legacy URL of an article (its rel=canonical says so): keep it as one,
            # so the URL is recorded and not fetched again as a "listing" next run.
            yield from self.parse_article(response)
            return
        if self.source.feeds is None and depth == 0:
            for url in listing.feeds:
                if is_allowed(url, self.source.allowed_domains):
                    yield self._structure(url, self.parse_feed)
        articles: list[discovery.Link] = []
        for link in listing.links:
            if not is_allowed(link.url, self.source.allowed_domains) or is_file_link(link.url):
                continue
            if looks_like_article(
                link.url, allow=self.source.article_allow, deny=self.source.article_deny
            ):
                articles.append(link)
            elif depth < self.source.limits.max_depth and not is_dead_end(link.url):
                yield self._structure(link.url, self.parse_listing, depth=depth + 1, gate=True)
        yield from self._articles(articles, via="link")

    def refetch_request(self, target: Refetch) -> Request:
        """A conditional request for a stored article (``crawler.refetch`` calls this), with
        the validators its latest version was stored with."""
        headers = {}
        if target.etag:
            headers["If-None-Match"] = target.etag
        if target.last_modified:
            headers["If-Modified-Since"] = target.last_modified
        return Request(
            target.url,
            callback=self.parse_refetch,
            priority=self._priority(target.published_at),
            headers=headers,
            meta={
                "download_slot": self.slot,
                "dont_cache": True,
                "dont_redirect": True,
                "handle_httpstatus_list": _REFETCH_STATUSES,
                "newswire_article": True,
                "newswire_refetch": target,
                "article_url": target.url,
                "via": "refetch",
            },
        )

    def parse_refetch(self, response: Response) -> Iterator[Request | Page | RefetchResult]:
        """A stored article fetched again: unchanged (304), gone (404/410), redirected (its
        next hop, without validators), or a page for the pipeline to compare."""
        target: Refetch = response.meta["newswire_refetch"]
        location = response.headers.get(b"Location")
        if response.status in _REDIRECTS and location and not response.meta.get("refetch_hop"):
            meta = {k: v for k, v in response.meta.items() if k not in ("dont_redirect",)}
            meta.update(refetch_hop=True, handle_httpstatus_list=[404, 410])
            url = urljoin(response.url, location.decode("latin-1"))
            # dont_filter: the target may be a stored article refetched in this run too
            yield Request(url, callback=self.parse_refetch, priority=response.request.priority,
                          meta=meta, dont_filter=True)  # fmt: skip
        elif response.status in (304, 404, 410) or response.status in _REDIRECTS:
            self.crawler.stats.inc_value(f"newswire/refetch/status/{response.status}")
            yield RefetchResult(
                refetch=target,
                status=response.status,
                fetched_at=datetime.now(UTC),
                reason="not_modified" if response.status == 304 else "gone",
            )
        else:
            yield from self.parse_article(response)

    def parse_article(self, response: Response) -> Iterator[Page]:
        """Hand the raw page on; extraction happens in the pipeline's worker processes."""
        meta = response.meta
        self.crawler.stats.inc_value("newswire/pages/article")
        yield Page(
            source=self.source.name,
            url=meta.get("article_url") or canonicalize_url(response.request.url),
            response_url=response.url,
            body=response.body,
            content_type=_header(response, b"Content-Type"),
            status=response.status,
            fetched_at=datetime.now(UTC),
            via=meta.get("via", "link"),
            hint_title=meta.get("hint_title"),
            hint_published=meta.get("hint_published"),
            hint_authors=meta.get("hint_authors", ()),
            language_hint=self.source.language,
            content_encoding=meta.get(KEPT_ENCODING_META),
            etag=_header(response, b"ETag"),
            last_modified=_header(response, b"Last-Modified"),
            refetch=meta.get("newswire_refetch"),
        )

    def _read(self, response: Response, kind: str, parse: Callable[[bytes, str], _R]) -> _R:
        """``parse(body, url)``, or its stored result when the page is unchanged."""
        return self.parsed.read(
            kind, response.url, response.body, lambda: parse(response.body, response.url)
        )

    def _fresh(self, links: Iterable[discovery.Link]) -> list[discovery.Link]:
        return discovery.newest_first(links, now=self.now, max_age=self.max_age)

    def _articles(self, links: Iterable[discovery.Link], *, via: str) -> Iterator[Request]:
        source = self.source
        for link in links:
            if not is_allowed(link.url, source.allowed_domains) or is_file_link(link.url):
                continue
            if any(p.search(link.url) for p in source.article_deny):
                continue
            url = canonicalize_url(link.url)
            yield Request(
                url,
                callback=self.parse_article,
                priority=self._priority(link.published),
                meta={
                    "download_slot": self.slot,
                    "dont_cache": True,  # only structure pages go through the HTTP cache
                    "newswire_article": True,
                    "article_url": url,
                    "via": via,
                    "hint_title": link.title,
                    "hint_published": link.published,
                    "hint_authors": link.authors,
                    "hint_modified": link.modified,
                },
            )

    def _structure(
        self, url: str, callback: Any, *, depth: int | None = None, gate: bool = False
    ) -> Request:
        meta: dict[str, Any] = {"download_slot": self.slot}
        if depth is not None:
            meta["listing_depth"] = depth
        if gate:  # a linked page that may turn out to be a stored article's other URL
            meta["article_url"] = canonicalize_url(url)
        return Request(
            url,
            callback=callback,
            priority=STRUCTURE_PRIORITY,
            meta=meta,
            headers=_REVALIDATE,
        )

    def _is_alias(self, url: str, canonical: str | None) -> bool:
        if not canonical:
            return False
        target = resolve_canonical(url, canonical, self.source.allowed_domains)
        return target != canonicalize_url(url) and looks_like_article(
            target, allow=self.source.article_allow, deny=self.source.article_deny
        )

    def _priority(self, published: datetime | None) -> int:
        if published is None:
            return UNDATED_PRIORITY
        age_days = (self.now - published).days
        return max(UNDATED_PRIORITY + 1, -max(age_days, 0))


def _cutoff(now: datetime, max_age: timedelta | None, since: datetime | None) -> datetime | None:
    """The oldest publication time still worth fetching: the later of max-age and --since."""
    since = as_utc(since) if since is not None else None
    bounds = [b for b in (now - max_age if max_age else None, since) if b is not None]
    return max(bounds) if bounds else None


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
