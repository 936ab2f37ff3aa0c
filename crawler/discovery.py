"""Feed, sitemap, robots.txt and listing-page bytes -> dated links; the spider does the fetching.

Everything here is pure and forgiving: junk input gives an empty result, never an exception,
because one broken feed must not stop a crawl. XML is parsed without entities or network.
"""

from __future__ import annotations

import logging
import re
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache
from urllib.parse import urldefrag, urljoin, urlsplit, urlunsplit

import lxml.html
from lxml import etree
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import sitemap_urls_from_robots
from w3lib.html import get_base_url, remove_tags, replace_entities

from crawler.dates import parse_date
from crawler.encoding import decode_html
from crawler.urls import URL_CACHE, is_http_url

logger = logging.getLogger(__name__)

# The sitemap protocol caps an uncompressed sitemap at 50 MB; anything bigger is hostile.
MAX_SITEMAP_BYTES = 50 * 1024 * 1024

_FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml"})
# Child elements that date a feed entry, best first: publication before modification.
_PUBLISHED_TAGS = ("published", "pubDate", "issued", "date", "created")
_UPDATED_TAGS = ("updated", "modified")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Link:
    """A URL found by discovery, with whatever date and title came with it."""

    url: str  # absolute, NOT canonicalized (the caller does it)
    published: datetime | None  # tz-aware UTC
    title: str | None = None
    authors: tuple[str, ...] = ()  # a feed entry's dc:creator or Atom author names, as written
    # When the entry says the page last changed (a sitemap's lastmod, a feed's <updated>): a
    # stored article modified after its last fetch is fetched again sooner.
    modified: datetime | None = None


@dataclass(frozen=True)
class SitemapDoc:
    """A parsed sitemap: an index lists more sitemaps, a urlset lists pages."""

    kind: str  # "index" or "urlset"
    entries: list[Link]


@dataclass(frozen=True)
class Listing:
    """What a home or section page offers: links to follow, feeds to read, its canonical URL."""

    links: list[Link]
    feeds: list[str]
    canonical: str | None


def _absolute(base: str, href: str | None) -> str | None:
    """href resolved against base, without fragment; None unless it is a usable http(s) URL."""
    if not href or not (href := href.strip()):
        return None
    if href.startswith("//") or _HAS_AUTHORITY.match(href):
        # A URL with its own host takes only the base's scheme: one resolution for every page
        # that links it (a footer of a thousand partner sites, on every page of every site).
        base = _origin(base)[0]
    elif href.startswith("/"):
        # An absolute path takes only the base's scheme and host: once per site.
        base = _origin(base)[1]
    return _resolved(base, href)


_HAS_AUTHORITY = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


@lru_cache(maxsize=1024)
def _origin(base: str) -> tuple[str, str]:
    """What of a base URL a link with a host, and one with an absolute path, depend on."""
    parts = urlsplit(base)
    return f"{parts.scheme}://", urlunsplit((parts.scheme, parts.netloc, "/", "", ""))


@lru_cache(maxsize=URL_CACHE)  # a site's navigation repeats on every page (crawler.urls)
def _resolved(base: str, href: str) -> str | None:
    try:
        url = urldefrag(urljoin(base, href))[0]
    except ValueError:
        return None
    return url if is_http_url(url) else None


def _clean_text(text: str | None) -> str | None:
    if text is None:
        return None
    cleaned = _SPACE.sub(" ", text).strip()
    return cleaned or None


def _localname(element: etree._Element) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def _parse_xml(body: bytes, base_url: str) -> etree._Element | None:
    parser = etree.XMLParser(
        recover=True,
        resolve_entities=False,
        no_network=True,
        remove_comments=True,
        remove_pis=True,
        huge_tree=False,
    )
    try:
        return etree.fromstring(body, parser, base_url=base_url)
    except (etree.XMLSyntaxError, ValueError):
        return None


def _children(element: etree._Element) -> dict[str, etree._Element]:
    """First child per local name: feeds and sitemaps mix namespaces freely."""
    found: dict[str, etree._Element] = {}
    for child in element:
        found.setdefault(_localname(child), child)
    return found


def _entry_title(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    text = "".join(element.itertext())
    if element.get("type") == "html":
        text = replace_entities(remove_tags(text))
    return _clean_text(text)


def _entry_url(entry: etree._Element, children: dict[str, etree._Element]) -> str | None:
    """Atom alternate link, else RSS <link>, else a permalink guid, else RSS 1.0 rdf:about."""
    base = entry.base or ""
    atom_links = [
        child
        for child in entry
        if _localname(child) == "link" and child.get("href") and child.get("rel", "alternate")
    ]
    alternates = [link for link in atom_links if link.get("rel", "alternate") == "alternate"]
    for link in sorted(alternates, key=lambda link: link.get("type", "text/html") != "text/html"):
        if url := _absolute(link.base or base, link.get("href")):
            return url
    for child in entry:
        is_text_link = _localname(child) == "link" and not child.get("href")
        if is_text_link and (url := _absolute(base, child.text)):
            return url
    guid = children.get("guid")
    permalink = guid is not None and guid.get("isPermaLink", "true").lower() != "false"
    if permalink and (url := _absolute(base, guid.text)):
        return url
    return _absolute(base, entry.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about"))


def _modified(children: dict[str, etree._Element]) -> datetime | None:
    for name in _UPDATED_TAGS:
        element = children.get(name)
        if element is not None and (date := parse_date(element.text)):
            return date
    return None


def _entry_date(children: dict[str, etree._Element]) -> datetime | None:
    for name in (*_PUBLISHED_TAGS, *_UPDATED_TAGS):
        element = children.get(name)
        if element is not None and (date := parse_date(element.text)):
            return date
    return None


def _entry_authors(entry: etree._Element) -> tuple[str, ...]:
    """dc:creator and Atom <author><name> texts (RSS <author> is an e-mail address: skipped)."""
    names = []
    for child in entry:
        name = _localname(child)
        if name == "creator":
            names.append(_clean_text("".join(child.itertext())))
        elif name == "author" and len(child):
            names += [_clean_text(n.text or "") for n in child if _localname(n) == "name"]
    return tuple(n for n in names if n)


def parse_feed(body: bytes, base_url: str) -> list[Link]:
    """Entries of an RSS 0.9x/1.0/2.0 or Atom feed, in feed order; [] for anything else."""
    root = _parse_xml(body, base_url)
    if root is None:
        return []
    links = []
    for entry in root.iter(etree.Element):
        if _localname(entry) not in {"item", "entry"}:
            continue
        children = _children(entry)
        url = _entry_url(entry, children)
        if url is None:
            continue
        title = _entry_title(children.get("title"))
        links.append(
            Link(url, _entry_date(children), title, _entry_authors(entry), _modified(children))
        )
    logger.debug("feed %s: %d entries", base_url, len(links))
    return links


def _sitemap_entry(element: etree._Element, base_url: str) -> Link | None:
    children = _children(element)
    loc = children.get("loc")
    url = _absolute(base_url, loc.text if loc is not None else None)
    if url is None:
        return None
    lastmod = children.get("lastmod")
    modified = published = parse_date(lastmod.text if lastmod is not None else None)
    title = None
    news = children.get("news")
    if news is not None:
        news_children = _children(news)
        news_date = news_children.get("publication_date")
        published = parse_date(news_date.text if news_date is not None else None) or published
        title = _entry_title(news_children.get("title"))
    return Link(url, published, title, modified=modified)


def _text_sitemap(body: bytes, base_url: str) -> SitemapDoc | None:
    """The protocol's plain-text form: one absolute URL a line, nothing else."""
    try:
        lines = [line.strip() for line in body.decode("utf-8-sig").splitlines() if line.strip()]
    except UnicodeDecodeError:
        return None
    urls = [_absolute(base_url, line) if "://" in line else None for line in lines]
    if not urls or None in urls:
        return None
    return SitemapDoc("urlset", [Link(url, None) for url in urls if url])


def parse_sitemap(body: bytes, base_url: str) -> SitemapDoc | None:
    """A sitemap index or urlset (XML, plain text, gzipped or not); None if it is neither."""
    if body[:2] == b"\x1f\x8b":
        try:
            body = gunzip(body, max_size=MAX_SITEMAP_BYTES)
        except (OSError, EOFError, ValueError, struct.error) as exc:
            logger.debug("sitemap %s: cannot gunzip: %s", base_url, exc)
            return None
    root = _parse_xml(body, base_url)
    kind = {"sitemapindex": "index", "urlset": "urlset"}.get(
        _localname(root) if root is not None else ""
    )
    if root is None or kind is None:
        return _text_sitemap(body, base_url)
    child_name = "sitemap" if kind == "index" else "url"
    entries = [
        link
        for element in root
        if _localname(element) == child_name and (link := _sitemap_entry(element, base_url))
    ]
    logger.debug("sitemap %s: %s with %d entries", base_url, kind, len(entries))
    return SitemapDoc(kind, entries)


def sitemaps_from_robots(body: bytes, base_url: str) -> list[str]:
    """Sitemap URLs declared in robots.txt, absolute, de-duplicated, in file order."""
    found = (_absolute(base_url, url) for url in sitemap_urls_from_robots(body, base_url))
    return list(dict.fromkeys(url for url in found if url))


def _rel_tokens(element: etree._Element) -> set[str]:
    return set((element.get("rel") or "").lower().split())


def parse_listing(
    body: bytes,
    base_url: str,
    content_type: str | None = None,
    keep: Callable[[str], bool] | None = None,
) -> Listing:
    """Links, feeds and canonical URL of a home or section page, honouring <base href>.

    ``keep``, when given, says which links are worth listing (the source's own): the others
    are left out before their text is read, as a page may link hundreds of other sites."""
    text, _ = decode_html(body, content_type)
    if not text.strip():
        return Listing([], [], None)
    try:
        document = lxml.html.document_fromstring(
            text.encode("utf-8"), parser=lxml.html.HTMLParser(encoding="utf-8")
        )
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return Listing([], [], None)
    base = get_base_url(text, base_url)
    links: dict[str, Link] = {}
    for anchor in document.iter("a"):
        url = _absolute(base, anchor.get("href"))
        if url is None or (keep is not None and not keep(url)):
            continue
        title = _clean_text(anchor.text_content()) or _clean_text(anchor.get("title"))
        known = links.get(url)
        if known is None:
            links[url] = Link(url, None, title)
        elif known.title is None and title:
            links[url] = replace(known, title=title)
    feeds: list[str] = []
    canonical: str | None = None
    for element in document.iter("link"):
        rel = _rel_tokens(element)
        if "alternate" in rel and (element.get("type") or "").strip().lower() in _FEED_TYPES:
            if (feed := _absolute(base, element.get("href"))) and feed not in feeds:
                feeds.append(feed)
        elif "canonical" in rel and canonical is None:
            canonical = _absolute(base, element.get("href"))
    if canonical is None:
        for meta in document.iter("meta"):
            if (meta.get("property") or "").strip().lower() == "og:url":
                canonical = _absolute(base, meta.get("content"))
                break
    return Listing(list(links.values()), feeds, canonical)


def newest_first(links: Iterable[Link], *, now: datetime, max_age: timedelta | None) -> list[Link]:
    """Crawl order: newest dated links first, then undated ones in input order; links older
    than now - max_age (now tz-aware) are dropped and repeated URLs keep their newest date."""
    merged: dict[str, Link] = {}
    for link in links:
        known = merged.get(link.url)
        if known is None:
            merged[link.url] = link
            continue
        newer = link if _is_newer(link, known) else known
        merged[link.url] = replace(newer, title=newer.title or known.title or link.title)
    cutoff = now - max_age if max_age is not None else None
    dated = [
        link
        for link in merged.values()
        if link.published is not None and (cutoff is None or link.published >= cutoff)
    ]
    undated = [link for link in merged.values() if link.published is None]
    dated.sort(key=lambda link: link.published or now, reverse=True)
    return dated + undated


def _is_newer(candidate: Link, known: Link) -> bool:
    if candidate.published is None:
        return False
    return known.published is None or candidate.published > known.published
