"""Title, authors and dates chosen by weighing every signal a page has, with their provenance.

For each field the page's signals each propose a candidate: JSON-LD (``@graph`` included),
Open Graph and ``article:*`` meta, Dublin Core/parsely/sailthru meta, the ``<h1>``, ``<time>``,
the visible byline, the feed or sitemap entry that led to the page, and trafilatura's own
result. Candidates that agree (after folding) add up their signals' weights; the heaviest
wins, and the most reliable member of the winning group names the value and its source.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from lxml.etree import XPath
from lxml.html import HtmlElement

from crawler.dates import as_utc, parse_timestamp
from pipelines.bylines import clean_name, merge_names, sort_names, split_byline
from pipelines.metadata import (
    Microdata,
    article_objects,
    byline_texts,
    meta_tags,
    microdata_article,
    page_headline,
    page_title,
)
from pipelines.titles import fold, host_names, strip_site_affix

# Weight of each signal's vote; the order breaks ties (most reliable first).
TITLE_WEIGHTS = {
    "jsonld": 4,
    "h1": 4,
    "microdata": 3,
    "og": 2,
    "feed": 2,
    "meta": 1,
    "title": 1,
    "trafilatura": 0.5,
}
AUTHOR_WEIGHTS = {
    "jsonld": 4, "microdata": 4, "byline": 3, "meta": 2, "feed": 2, "trafilatura": 1,
}  # fmt: skip
DATE_WEIGHTS = {
    "jsonld": 4, "microdata": 3, "og": 3, "meta": 2, "time": 2, "feed": 2, "trafilatura": 1,
}  # fmt: skip
_FUTURE_SLACK = timedelta(minutes=10)  # clock skew between a site and the crawler
_FEED_DISTANCE = timedelta(days=2)  # a page date this far from its feed entry's is distrusted
_DATETIMES = XPath("//time[@datetime]")
_TITLE_META = ("twitter:title", "dc.title", "DC.title", "parsely-title", "sailthru.title")
_AUTHOR_META = ("author", "article:author", "dc.creator", "DC.creator", "parsely-author",
                "sailthru.author", "byl")  # fmt: skip
_PUBLISHED_META = ("datePublished", "dc.date", "DC.date", "dc.date.issued", "parsely-pub-date",
                   "sailthru.date", "pubdate", "publishdate")  # fmt: skip
_MODIFIED_META = ("og:updated_time", "dateModified", "last-modified", "dc.date.modified")


@dataclass(frozen=True)
class PageHints:
    """What the crawl knows of a page besides its HTML: the feed or sitemap entry that led to
    it, the source's own names for itself, and when it was fetched."""

    title: str | None = None
    published: datetime | None = None
    authors: tuple[str, ...] = ()
    site_names: tuple[str, ...] = ()  # the source's configured name, its home URL's host labels
    fetched_at: datetime | None = None
    title_affixes: tuple[str, ...] = ()  # the source's title template (titles.TitleTemplate)


@dataclass(frozen=True)
class Chosen:
    """The layer's answer for the fields it weighs, each with the signal it came from."""

    title: str
    title_source: str | None
    authors: list[str]
    credits: list[str]
    authors_source: str | None
    published_at: datetime | None  # UTC
    published_source: str | None
    modified_at: datetime | None  # UTC
    site_name: str | None
    page_title: str | None  # the raw <title>, for learning the source's title template


@dataclass
class _Votes:
    """Candidates grouped by a key, with their summed weight and members in vote order."""

    weights: dict[str, float]
    groups: dict[Any, list[tuple[str, Any]]] = field(default_factory=dict)

    def add(self, key: Any, signal: str, value: Any) -> None:
        if key and all(signal != s for s, _ in self.groups.get(key, [])):
            self.groups.setdefault(key, []).append((signal, value))

    def best(self) -> tuple[str, Any] | None:
        """(signal, value) of the most reliable member of the heaviest group."""
        order = list(self.weights)

        def score(item: tuple[Any, list[tuple[str, Any]]]) -> tuple[float, int]:
            members = item[1]
            total = sum(self.weights[s] for s, _ in members)
            return total, -min(order.index(s) for s, _ in members)

        if not self.groups:
            return None
        members = max(self.groups.items(), key=score)[1]
        return min(members, key=lambda m: order.index(m[0]))


def _meta(metas: dict[str, str], *keys: str) -> str | None:
    return next((metas[key] for key in keys if key in metas), None)


def site_names(
    tree: HtmlElement,
    metas: dict[str, str],
    ld_objects: list[dict[str, Any]],
    hints: PageHints,
    url: str,
) -> list[str]:
    """Every name the site goes by: og:site_name, the JSON-LD publisher, the source's names."""
    names = [_meta(metas, "og:site_name", "application-name", "publisher")]
    for obj in ld_objects:
        publisher = obj.get("publisher")
        if isinstance(publisher, dict) and isinstance(publisher.get("name"), str):
            names.append(publisher["name"])
    names += [*hints.site_names, *host_names(url)]
    return list(dict.fromkeys(name.strip() for name in names if name and name.strip()))


def choose_title(
    tree: HtmlElement,
    metas: dict[str, str],
    articles: list[dict[str, Any]],
    sites: list[str],
    hints: PageHints,
    extracted: tuple[str | None, str | None, Microdata | None],
) -> tuple[str, str | None]:
    """The headline a reader sees, without the site's affixes, and the signal it came from.

    ``extracted`` is (the raw <title>, trafilatura's title, the page's microdata).
    """
    h1 = page_headline(tree)
    title, library, micro = extracted
    raw: list[tuple[str, str | None]] = [
        (
            "jsonld",
            next((o["headline"] for o in articles if isinstance(o.get("headline"), str)), None),
        ),
        ("h1", h1),
        ("microdata", micro.headline if micro else None),
        ("og", _meta(metas, "og:title")),
        ("feed", hints.title),
        ("meta", _meta(metas, *_TITLE_META)),
        ("title", title),
        ("trafilatura", library),
    ]
    site_keys = {fold(name) for name in (*sites, *hints.title_affixes)}
    votes = _Votes(TITLE_WEIGHTS)
    for signal, value in raw:
        text = " ".join((value or "").split())
        text = strip_site_affix(text, sites, h1, affixes=hints.title_affixes)
        if text and fold(text) not in site_keys:
            votes.add(fold(text), signal, text)
    best = votes.best()
    return (best[1], best[0]) if best else ("", None)


def _ld_names(value: Any) -> Iterator[tuple[str, bool]]:
    """(name, is an organization) of a JSON-LD author value: object, list or string."""
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, str):
            yield from ((name, False) for name in split_byline(item))
        elif isinstance(item, dict) and isinstance(item.get("name"), str):
            kinds = (
                item.get("@type") if isinstance(item.get("@type"), list) else [item.get("@type")]
            )
            organization = any(
                k in ("Organization", "NewsMediaOrganization", "Corporation") for k in kinds
            )
            name = clean_name(item["name"])
            if name:
                yield name, organization


def choose_authors(
    tree: HtmlElement,
    metas: dict[str, str],
    articles: list[dict[str, Any]],
    sites: list[str],
    hints: PageHints,
    extracted: list[str],
    micro: Microdata | None = None,
) -> tuple[list[str], list[str], str | None]:
    """(people, credits, signal): people by agreement, credits from every signal."""
    signals: list[tuple[str, list[str]]] = []
    credits: list[str] = []
    for obj in articles:
        if "author" in obj:
            names = list(_ld_names(obj["author"]))
            credits += [name for name, organization in names if organization]
            signals.append(("jsonld", [name for name, organization in names if not organization]))
            break
    if micro is not None:
        credits += [n for name in micro.organizations if (n := clean_name(name))]
        signals.append(("microdata", [n for raw in micro.people for n in split_byline(raw)]))
    signals.append(("byline", [n for text in byline_texts(tree) for n in split_byline(text)]))
    meta = _meta(metas, *_AUTHOR_META)
    if meta and not meta.startswith(("http://", "https://")):
        signals.append(("meta", split_byline(meta)))
    signals.append(("feed", [n for raw in hints.authors for n in split_byline(raw)]))
    signals.append(("trafilatura", [n for raw in extracted for n in split_byline(raw)]))
    votes = _Votes(AUTHOR_WEIGHTS)
    for signal, names in signals:
        people, found_credits = sort_names(names, sites)
        credits += found_credits
        if people:
            votes.add(frozenset(map(fold, people)), signal, people)
    best = votes.best()
    credits = merge_names(credits)
    if best is None:
        return [], credits, ("jsonld" if credits else None)
    return best[1], credits, best[0]


def _date_candidates(
    metas: dict[str, str],
    articles: list[dict[str, Any]],
    micro: str | None,
    keys: tuple[str, ...],
    meta: tuple[str, ...],
) -> Iterator[tuple[str, str]]:
    for obj in articles:
        if isinstance(obj.get(keys[0]), str):
            yield "jsonld", obj[keys[0]]
            break
    if micro:
        yield "microdata", micro
    og = _meta(metas, keys[1])
    if og:
        yield "og", og
    other = _meta(metas, *meta)
    if other:
        yield "meta", other


def _trusted(stamp: datetime, hints: PageHints) -> bool:
    moment = as_utc(stamp)
    if moment is None:
        return False
    if hints.fetched_at is not None and moment > hints.fetched_at + _FUTURE_SLACK:
        return False
    feed = hints.published
    return feed is None or abs(moment - feed) <= _FEED_DISTANCE


def choose_published(
    tree: HtmlElement,
    metas: dict[str, str],
    articles: list[dict[str, Any]],
    hints: PageHints,
    day: str | None,
    micro: Microdata | None = None,
) -> tuple[datetime | None, str | None]:
    """(published_at in UTC, signal): the heaviest day, at the best time the page gives it."""
    keys = ("datePublished", "article:published_time")
    published = micro.published if micro else None
    raw = list(_date_candidates(metas, articles, published, keys, _PUBLISHED_META))
    for node in _DATETIMES(tree):
        if node.get("itemprop") == "datePublished" or "pubdate" in node.attrib or _in_story(node):
            raw.append(("time", node.get("datetime", "")))
            break
    if hints.published is not None:
        raw.append(("feed", hints.published.isoformat()))
    if day:
        raw.append(("trafilatura", day))
    votes = _Votes(DATE_WEIGHTS)
    stamps: list[tuple[str, datetime]] = []
    for signal, value in raw:
        stamp = parse_timestamp(value)
        if stamp is None or not _trusted(stamp, hints):
            continue
        stamps.append((signal, stamp))
        votes.add(stamp.date(), signal, stamp)
    best = votes.best()
    if best is None:
        return None, None
    signal, stamp = best
    same_day = [s for sig, s in stamps if s.date() == stamp.date()]
    return as_utc(_best_time(stamp, same_day)), signal


def _best_time(stamp: datetime, same_day: list[datetime]) -> datetime:
    """A bare date or a time without offset, completed by an agreeing candidate that has them."""
    if stamp.tzinfo is None:  # the same local time with its offset, midnight included
        same = (s for s in same_day if s.tzinfo is not None and s.replace(tzinfo=None) == stamp)
        stamp = next(same, stamp)
    aware = [
        s for s in same_day if s.tzinfo is not None and (s.hour, s.minute, s.second) != (0, 0, 0)
    ]
    if stamp.tzinfo is None:
        for other in aware:
            if other.replace(tzinfo=None) == stamp or (stamp.hour, stamp.minute) == (0, 0):
                return other
    elif (stamp.hour, stamp.minute, stamp.second) == (0, 0, 0) and aware:
        return aware[0]
    return stamp


def _in_story(node: HtmlElement) -> bool:
    """A <time> of the story itself, not one in a related box, a list or a teaser."""
    for parent in node.iterancestors():
        tag = parent.tag if isinstance(parent.tag, str) else ""
        classes = (parent.get("class") or "").lower()
        if tag in ("aside", "nav", "footer", "li") or "related" in classes or "teaser" in classes:
            return False
    return True


def choose_modified(
    metas: dict[str, str],
    articles: list[dict[str, Any]],
    hints: PageHints,
    micro: Microdata | None = None,
) -> datetime | None:
    """When the page says it was last changed, if it says so apart from the publication."""
    keys = ("dateModified", "article:modified_time")
    modified = micro.modified if micro else None
    for _, value in _date_candidates(metas, articles, modified, keys, _MODIFIED_META):
        stamp = parse_timestamp(value)
        if stamp is not None and (
            hints.fetched_at is None or as_utc(stamp) <= hints.fetched_at + _FUTURE_SLACK
        ):
            return as_utc(stamp)
    return None


def choose_metadata(
    tree: HtmlElement,
    ld_objects: list[dict[str, Any]],
    url: str,
    hints: PageHints,
    doc: Any,
    *,
    metas: dict[str, str] | None = None,
    author_search: Callable[[HtmlElement], list[str]] | None = None,
) -> Chosen:
    """Weigh every signal for title, authors and dates; ``doc`` is trafilatura's metadata.

    ``author_search`` is trafilatura's costly search of the whole page for a byline, run
    only when no other signal named a person or credit; ``metas`` the page's meta tags, if
    the caller has read them already.
    """
    articles = article_objects(ld_objects)
    metas = meta_tags(tree) if metas is None else metas
    micro = microdata_article(tree)
    sites = site_names(tree, metas, ld_objects, hints, url)
    raw_title = page_title(tree)
    title, title_source = choose_title(
        tree, metas, articles, sites, hints, (raw_title, doc.title, micro)
    )
    authors, credits, authors_source = choose_authors(
        tree, metas, articles, sites, hints, _names(doc.author), micro
    )
    if not authors and not credits and not doc.author and author_search is not None:
        authors, credits, authors_source = choose_authors(
            tree, metas, articles, sites, hints, author_search(tree), micro
        )
    published, published_source = choose_published(tree, metas, articles, hints, doc.date, micro)
    modified = choose_modified(metas, articles, hints, micro)
    if modified is not None and published is not None and modified <= published:
        modified = None  # the same moment again says nothing about a change
    declared_site = next(iter(sites), None) if sites and sites[0] not in hints.site_names else None
    return Chosen(
        title=title,
        title_source=title_source,
        authors=authors,
        credits=credits,
        authors_source=authors_source if authors or credits else None,
        published_at=published,
        published_source=published_source,
        modified_at=modified,
        site_name=doc.sitename or declared_site,
        page_title=raw_title,
    )


def _names(authors: str | None) -> list[str]:
    return [name for name in (authors or "").split(";") if name.strip()]
