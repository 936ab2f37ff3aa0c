"""Machine-readable entry points: RSS 2.0, Atom, sitemap index, sitemaps, news sitemap, robots.

Each document comes back with the newest date it lists, which the server sends as
Last-Modified and uses for conditional requests.
"""

from __future__ import annotations

import gzip
from datetime import datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape, quoteattr

from newswire.samplesite.outlets import Outlet
from newswire.samplesite.site import (
    ARCHIVE_AFTER,
    NEWS_SITEMAP_WINDOW,
    SITEMAP_CHUNK,
    Article,
    SampleSite,
)
from newswire.samplesite.truth import absolute

_XML = '<?xml version="1.0" encoding="UTF-8"?>\n'
_SITEMAP_NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
_NEWS_NS = 'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"'


def _newest(articles: list[Article], fallback: datetime) -> datetime:
    return max((a.modified or a.published for a in articles), default=fallback)


def render_rss(site: SampleSite, outlet: Outlet, base: str) -> tuple[str, datetime]:
    """RSS 2.0 with the latest articles, dc:creator bylines and RFC 822 dates."""
    articles = site.latest(outlet.name)
    newest = _newest(articles, site.now)
    items = "".join(
        f"<item><title>{escape(a.story.title)}</title>"
        f"<link>{escape(absolute(base, a.link_path))}</link>"
        f'<guid isPermaLink="false">{outlet.name}-{a.number}</guid>'
        f"<pubDate>{format_datetime(a.published)}</pubDate>"
        f"<dc:creator>{escape(', '.join(a.story.authors))}</dc:creator>"
        f"<category>{escape(a.section.label)}</category>"
        f"<description>{escape(a.story.dek)}</description></item>\n"
        for a in articles
    )
    body = (
        f'{_XML}<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>'
        f"<title>{escape(outlet.title)}</title><link>{escape(base)}</link>"
        f"<description>Latest stories from {escape(outlet.title)}</description>"
        f"<language>{outlet.language}</language>"
        f"<lastBuildDate>{format_datetime(newest)}</lastBuildDate>"
        f'<atom:link href={quoteattr(absolute(base, outlet.rss_path))} rel="self" '
        'type="application/rss+xml"/>\n'
        f"{items}</channel>\n</rss>\n"
    )
    return body, newest


def render_atom(site: SampleSite, outlet: Outlet, base: str) -> tuple[str, datetime]:
    """Atom 1.0 with the same articles as the RSS feed and RFC 3339 dates."""
    articles = site.latest(outlet.name)
    newest = _newest(articles, site.now)
    entries = []
    for a in articles:
        authors = "".join(f"<author><name>{escape(n)}</name></author>" for n in a.story.authors)
        entries.append(
            f"<entry><title>{escape(a.story.title)}</title>"
            f"<id>tag:{outlet.name}.example,{a.published:%Y-%m-%d}:{a.number}</id>"
            f'<link rel="alternate" type="text/html" '
            f"href={quoteattr(absolute(base, a.link_path))}/>"
            f"<published>{a.published.isoformat()}</published>"
            f"<updated>{(a.modified or a.published).isoformat()}</updated>{authors}"
            f"<summary>{escape(a.story.dek)}</summary></entry>\n"
        )
    body = (
        f'{_XML}<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{outlet.language}">'
        f"<title>{escape(outlet.title)}</title><id>{escape(base)}</id>"
        f'<link rel="self" href={quoteattr(absolute(base, outlet.atom_path))}/>'
        f'<link rel="alternate" href={quoteattr(base)}/><updated>{newest.isoformat()}</updated>\n'
        f"{''.join(entries)}</feed>\n"
    )
    return body, newest


def _bulk_chunks(site: SampleSite, outlet: Outlet) -> int:
    return -(-site.bulk_count(outlet.name) // SITEMAP_CHUNK)


def sitemap_kinds(site: SampleSite, outlet: Outlet) -> list[tuple[str, bool]]:
    """The child sitemaps of the index as (kind, gzip-compressed)."""
    kinds = [("news", False), ("articles", False), ("archive", True), ("pages", False)]
    return kinds + [(f"bulk-{n}", False) for n in range(1, _bulk_chunks(site, outlet) + 1)]


def _sitemap_articles(site: SampleSite, outlet: Outlet, kind: str) -> list[Article] | None:
    listed = site.listed(outlet.name)
    if kind == "news":
        recent = site.latest(outlet.name, SITEMAP_CHUNK)
        return [a for a in recent if site.now - a.published <= NEWS_SITEMAP_WINDOW]
    if kind == "articles":
        blocked = [a for a in site.articles if a.outlet == outlet.name and a.disallowed]
        return [a for a in listed if site.now - a.published <= ARCHIVE_AFTER] + blocked
    if kind == "archive":
        old = [a for a in site.articles if a.outlet == outlet.name and a.old]
        return [a for a in listed if site.now - a.published > ARCHIVE_AFTER] + old
    if kind.startswith("bulk-") and kind[5:].isdigit():
        number = int(kind[5:])
        if 1 <= number <= _bulk_chunks(site, outlet):
            start = (number - 1) * SITEMAP_CHUNK
            return site.bulk_slice(outlet.name, start, start + SITEMAP_CHUNK)
    return None


def _url_entry(base: str, outlet: Outlet, article: Article, news: bool) -> str:
    entry = (
        f"<url><loc>{escape(absolute(base, article.path))}</loc>"
        f"<lastmod>{(article.modified or article.published).isoformat()}</lastmod>"
    )
    if news:
        entry += (
            "<news:news><news:publication>"
            f"<news:name>{escape(outlet.title)}</news:name>"
            f"<news:language>{article.language}</news:language></news:publication>"
            f"<news:publication_date>{article.published.isoformat()}</news:publication_date>"
            f"<news:title>{escape(article.story.title)}</news:title></news:news>"
        )
    return entry + "</url>\n"


def render_sitemap(
    site: SampleSite, outlet: Outlet, base: str, kind: str
) -> tuple[str, datetime] | None:
    """One child sitemap by kind; None for a kind the outlet does not have."""
    if kind == "pages":
        paths = ["/", *(s.path for s in outlet.sections if not s.disallowed)]
        urls = "".join(f"<url><loc>{escape(absolute(base, p))}</loc></url>\n" for p in paths)
        newest = _newest(site.listed(outlet.name), site.now)
        return f"{_XML}<urlset {_SITEMAP_NS}>\n{urls}</urlset>\n", newest
    articles = _sitemap_articles(site, outlet, kind)
    if articles is None:
        return None
    news = kind == "news"
    urls = "".join(_url_entry(base, outlet, a, news) for a in articles)
    namespaces = f"{_SITEMAP_NS} {_NEWS_NS}" if news else _SITEMAP_NS
    return f"{_XML}<urlset {namespaces}>\n{urls}</urlset>\n", _newest(articles, site.now)


def render_sitemap_index(site: SampleSite, outlet: Outlet, base: str) -> tuple[str, datetime]:
    """The sitemap index; lastmod of each child is the newest date it lists."""
    entries = []
    overall = site.now.replace(year=1990)
    for kind, compressed in sitemap_kinds(site, outlet):
        if kind.startswith("bulk-"):  # bulk chunks run newest first: read one, not a thousand
            start = (int(kind[5:]) - 1) * SITEMAP_CHUNK
            newest = site.bulk_slice(outlet.name, start, start + 1)[0].published
        else:
            articles = _sitemap_articles(site, outlet, kind) or site.listed(outlet.name)
            newest = _newest(articles, site.now)
        overall = max(overall, newest)
        loc = absolute(base, outlet.sitemap_path(kind, compressed=compressed))
        entries.append(
            f"<sitemap><loc>{escape(loc)}</loc><lastmod>{newest.isoformat()}</lastmod></sitemap>\n"
        )
    return f"{_XML}<sitemapindex {_SITEMAP_NS}>\n{''.join(entries)}</sitemapindex>\n", overall


def gzip_bytes(text: str) -> bytes:
    """Gzip with a fixed mtime, so the same sitemap always has the same bytes and ETag."""
    return gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0)


def render_robots(outlet: Outlet, base: str) -> str:
    """robots.txt: a bot-specific group, the disallowed section, and Sitemap lines."""
    disallow = "".join(f"Disallow: {p}\n" for p in outlet.disallowed_prefixes)
    return (
        f"# robots.txt for {outlet.title}\n"
        "User-agent: GreedyScraperBot\nDisallow: /\n\n"
        f"User-agent: *\n{disallow}Disallow: /search\nAllow: /\n\n"
        f"Sitemap: {absolute(base, outlet.sitemap_index_path)}\n"
        f"Sitemap: {absolute(base, outlet.sitemap_path('news'))}\n"
    )
