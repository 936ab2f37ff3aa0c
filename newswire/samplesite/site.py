"""The sample site's model: outlets, articles, what is listed where, and the ground truth.

Regular articles (about thirty) are built eagerly; bulk articles are described by their index
alone and built on request, so a 20,000-article site costs nothing until a page is asked for.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from newswire.errors import ConfigError
from newswire.samplesite import outlets as outlet_table
from newswire.samplesite import syndication
from newswire.samplesite.content import Story, slugify, write_story
from newswire.samplesite.edits import Edit, apply_edit, plan_edits
from newswire.samplesite.hostile import hostile_story
from newswire.samplesite.outlets import Outlet, Section

PAGE_SIZE = 3  # articles per listing page: small, so the default site paginates
FEED_SIZE = 50
SITEMAP_CHUNK = 1000
NEWS_SITEMAP_WINDOW = timedelta(days=2)
ARCHIVE_AFTER = timedelta(days=7)  # older articles move to the gzip-compressed archive sitemap
BULK_SPAN = timedelta(days=20)
# Agencies credited on the pages of metadata style 4, by language (see Article.meta_style).
AGENCIES = {"en": "The Associated Press", "fr": "AFP", "de": "dpa", "es": "EFE"}
META_STYLES = 8
# Regular articles show the styles a first crawl reads whole; style 7's tagline is learned
# from many of an outlet's titles, so only the bulk world (hundreds of pages) shows it.
REGULAR_STYLES = 7
SYNDICATED_NUMBER = 3000  # the first syndication test-bed article's number
_BULK_PATH = re.compile(r"-b(\d+)(?:/|\.html)?$")
TRACKING_QUERIES = (
    "utm_source=newsletter&utm_medium=email&utm_campaign=morning-briefing",
    "fbclid=IwAR2sampleSite0x7Yz",
    "gclid=Cj0KCQiAsampleSiteBwE",
)


@dataclass(frozen=True)
class Article:
    """One article page; paths are relative to its outlet's base URL."""

    outlet: str
    path: str
    section: Section
    published: datetime
    story: Story
    number: int
    modified: datetime | None = None
    tracking: tuple[str, ...] = ()  # same page reached with tracking parameters
    short_path: str | None = None  # /a/<n>: linked on the site, canonical is ``path``
    # ?p=N comment pages that serve this article too (syndication.COMMENT_PAGES); a page
    # with them names no canonical URL, so only its text says they are one article
    comment_pages: tuple[int, ...] = ()
    duplicate_of: tuple[str, str] | None = None  # (outlet, path) of the original
    story_of: tuple[str, str] | None = None  # (outlet, path) of its story's original, if not it
    old: bool = False
    held_back: bool = False
    retry_500: bool = False
    slow: bool = False
    legacy_encoding: str | None = None
    disallowed: bool = False
    bulk_index: int | None = None

    @property
    def language(self) -> str:
        """Each section has one language; the article inherits it."""
        return self.section.language

    @property
    def meta_style(self) -> int:
        """Which real-world metadata pattern the page shows (pages.py renders each): 0 plain,
        1 "- SITE" suffix and a role word in the byline, 2 an SEO title unlike the <h1>, a
        byline only in visible text and a date without offset, 3 a site prefix and JSON-LD
        in @graph, 4 a "：site" suffix and an agency credit, 5 a "-sectionㅣsite" suffix and
        a related box with dates, 6 microdata only, 7 a tagline only (see styles.py)."""
        if self.bulk_index is None:
            style = self.number % REGULAR_STYLES
        else:
            style = self.bulk_index * 7 // 3 % META_STYLES
        # A legacy charset cannot carry the full-width colon or the Korean bar.
        return style - 3 if self.legacy_encoding and style in (4, 5) else style

    @property
    def credits(self) -> tuple[str, ...]:
        """The agencies the page credits beside its authors."""
        return (AGENCIES[self.language],) if self.meta_style == 4 else ()

    @property
    def syndicated(self) -> bool:
        """Part of the syndication test bed (its wire copies and traps, numbered from 3000)."""
        return SYNDICATED_NUMBER <= self.number < SYNDICATED_NUMBER + len(_SYNDICATED)

    @property
    def honours_conditional(self) -> bool:
        """Whether its page answers a matching conditional request with 304: one in four
        ignores them (200 every time, validators sent anyway), as some CMSs and caches do."""
        return self.number % 4 != 0

    @property
    def link_path(self) -> str:
        """The URL the site's own pages and feeds link to."""
        return self.short_path or self.path

    @property
    def alternates(self) -> tuple[str, ...]:
        """Other URLs that serve this same page."""
        comment_pages = tuple(f"{self.path}?p={n}" for n in self.comment_pages)
        return ((self.short_path,) if self.short_path else ()) + self.tracking + comment_pages


def _clamp_to_today(published: datetime, now: datetime) -> datetime:
    """Keep the local calendar date from running ahead of UTC's, which extractors reject."""
    limit = now.astimezone(UTC).date()
    while published.date() > limit:
        published -= timedelta(hours=1)
    return published


def _article_path(outlet: Outlet, section: Section, published: datetime, slug: str) -> str:
    if outlet.url_style == "dated":
        return f"/{section.slug}/{published:%Y/%m/%d}/{slug}/"
    if outlet.url_style == "id":
        return f"/news/{slug}"
    return f"/{section.slug}/{slug}.html"


def _plan_article(
    outlet: Outlet, position: int, number: int, original: Article | None, seed: int, now: datetime
) -> Article:
    """One regular article from its plan entry; a copy reuses its original's story."""
    spec = outlet_table.plan_of(outlet)[position]
    section = outlet.section(spec.section)
    if original is not None:
        story = original.story
        published = original.published + timedelta(minutes=25)
    else:
        story = write_story(
            f"{seed}:{outlet.name}:{position}",
            topic=spec.topic,
            language=section.language,
            wire=outlet.short,
            authors=spec.authors,
        )
        published = now - spec.age - timedelta(minutes=(number * 37) % 50)
    published = _clamp_to_today(published.astimezone(section.tz), now)
    slug = slugify(story.title)
    path = _article_path(outlet, section, published, f"{slug}-{number}")
    if outlet.url_style != "id":  # ids keep the number; the others only when slugs collide
        path = _article_path(outlet, section, published, slug)
    modified = published + timedelta(minutes=90) if position % 3 == 1 else None
    return Article(
        outlet=outlet.name,
        path=path,
        section=section,
        published=published,
        story=story,
        number=number,
        modified=modified if modified and modified <= now else None,
        tracking=tuple(f"{path}?{q}" for q in TRACKING_QUERIES) if spec.tracking else (),
        short_path=f"/a/{number}" if spec.short_url else None,
        duplicate_of=(original.outlet, original.path) if original else None,
        story_of=(original.outlet, original.path) if original else None,
        old=spec.old,
        held_back=spec.held_back,
        retry_500=spec.retry_500,
        slow=spec.slow,
        legacy_encoding=spec.legacy_encoding,
        disallowed=section.disallowed,
    )


def _plan_articles(seed: int, now: datetime, outlets: dict[str, Outlet]) -> list[Article]:
    """Every outlet's planned articles; originals are planned before their copies."""
    articles: list[Article] = []
    by_plan: dict[tuple[str, int], Article] = {}
    taken: set[tuple[str, str]] = set()
    order = [*(n for n in outlet_table.PLANS if n in outlets), *outlets]  # originals first
    names = list(dict.fromkeys(order))
    # The syndication test bed follows the hand-made outlets, so a generated world begins with
    # the default site article for article.
    first_generated = next((n for n in names if n not in outlet_table.PLANS), None)
    for name in names:
        if name == first_generated:
            articles.extend(_syndicated_articles(outlets, now))
        for position, spec in enumerate(outlet_table.plan_of(outlets[name])):
            number = 1041 + len(articles)
            original = by_plan[spec.copy_of] if spec.copy_of else None
            article = _plan_article(outlets[name], position, number, original, seed, now)
            if (name, article.path) in taken:
                slug = f"{slugify(article.story.title)}-{number}"
                path = _article_path(outlets[name], article.section, article.published, slug)
                tracking = (
                    tuple(f"{path}?{q}" for q in TRACKING_QUERIES) if article.tracking else ()
                )
                article = replace(article, path=path, tracking=tracking)
            by_plan[(name, position)] = article
            taken.add((name, article.path))
            articles.append(article)
    if first_generated is None:
        articles.extend(_syndicated_articles(outlets, now))
    return articles


# The syndication test bed (samplesite.syndication) on the two English outlets: the wire story
# on meridian, each copy on the outlet named here, published 20 minutes apart after it. The
# copy with other quotes and spacing normalises to the original's text: an exact copy, so on
# the other outlet (on the same one it would be another URL of the original). Traps: None.
_SYNDICATED = {
    "wire": "meridian", "wire-quotes-spacing": "planet", "wire-dropped-last": "planet",
    "wire-dateline": "meridian", "wire-local-intro": "planet", "wire-editors-note": "meridian",
    "wire-related": "planet", "wire-combined": "meridian",
    "event-a": "planet", "event-b": "meridian", "column-1": "planet", "column-2": "planet",
    "brief-1": "meridian", "brief-2": "planet",
}  # fmt: skip
_EXACT_COPIES = {"wire-quotes-spacing"}
_SYNDICATION_AGE = timedelta(hours=6)
_TRAP_BYLINES = ("Owen Hartley", "Priya Natarajan", "Tomas Berg")


def _syndicated_articles(outlets: dict[str, Outlet], now: datetime) -> list[Article]:
    pages = {p.key: p for p in (*syndication.wire_copies(), *syndication.traps())}
    articles: list[Article] = []
    wire: Article | None = None
    for position, (key, name) in enumerate(_SYNDICATED.items()):
        page, outlet = pages[key], outlets[name]
        section = outlet.section("world")
        published = now - _SYNDICATION_AGE + timedelta(minutes=20 * position)
        published = _clamp_to_today(published.astimezone(section.tz), now)
        byline = ("Laura Chen",) if page.story else (_TRAP_BYLINES[position % 3],)
        story = Story(page.title, page.paragraphs[0][:120], page.paragraphs, ("Korea",), byline)
        slug = f"{slugify(page.title, 50)}-{key}"
        path = _article_path(outlet, section, published, slug)
        original = (wire.outlet, wire.path) if wire is not None and page.story else None
        article = Article(
            outlet=name,
            path=path,
            section=section,
            published=published,
            story=story,
            number=SYNDICATED_NUMBER + position,
            duplicate_of=original if key in _EXACT_COPIES else None,
            story_of=original,
            comment_pages=syndication.COMMENT_PAGES if key == syndication.COMMENTED_KEY else (),
        )
        wire = article if key == syndication.WIRE_KEY else wire
        articles.append(article)
    return articles


def _hostile_article(outlet: Outlet, now: datetime, number: int) -> Article:
    """The article whose text carries script payloads (samplesite.hostile), on planet."""
    section = outlet.section("world")
    published = _clamp_to_today((now - timedelta(hours=3)).astimezone(section.tz), now)
    story = hostile_story()
    path = _article_path(outlet, section, published, f"harbour-council-delays-vote-{number}")
    return Article(outlet.name, path, section, published, story, number)


class SampleSite:
    """All outlets of one generated site; thread-safe, the only mutable state is publishing."""

    def __init__(
        self,
        *,
        seed: int,
        now: datetime,
        bulk_articles: int,
        slow_seconds: float,
        outlets: tuple[Outlet, ...] = outlet_table.OUTLETS,
        hostile: bool = False,
    ) -> None:
        self.seed = seed
        self.now = now
        self.bulk_articles = bulk_articles
        self.slow_seconds = slow_seconds
        self.outlets: dict[str, Outlet] = {o.name: o for o in outlets}
        planned = _plan_articles(seed, now, self.outlets)
        if hostile:
            planned.append(_hostile_article(self.outlets["planet"], now, 1041 + len(planned)))
        self.articles: tuple[Article, ...] = tuple(planned)
        self._index()
        self.edits: tuple[Edit, ...] = plan_edits(self.articles, next(iter(self.outlets)))
        self.revised_at: datetime | None = None  # when the edits were applied (see revise)
        self.redirects: dict[tuple[str, str], str] = {}  # (outlet, path) -> path it leads to
        self._lock = threading.Lock()
        self._released: set[tuple[str, str]] = set()
        self.generation = 0  # bumped on every publish, so cached listings are rebuilt
        self._bulk_step = BULK_SPAN / max(bulk_articles, 1)
        self.bulk_article = lru_cache(maxsize=256)(self._make_bulk_article)

    def _index(self) -> None:
        self._by_path: dict[tuple[str, str], Article] = {}
        self._own: dict[str, list[Article]] = {name: [] for name in self.outlets}
        for article in self.articles:
            self._own[article.outlet].append(article)
            for path in (article.path, *((article.short_path,) if article.short_path else ())):
                self._by_path[(article.outlet, path)] = article

    # -- publishing -------------------------------------------------------------------------
    def is_live(self, article: Article) -> bool:
        """Held-back articles exist only after they have been published."""
        return not article.held_back or (article.outlet, article.path) in self._released

    def publish_next(self) -> Article | None:
        """Release the next held-back article; None once all of them are out."""
        with self._lock:
            for article in self.articles:
                if article.held_back and (article.outlet, article.path) not in self._released:
                    self._released.add((article.outlet, article.path))
                    self.generation += 1
                    return article
        return None

    def revise(self, when: datetime) -> tuple[Edit, ...]:
        """Apply the planned edits (samplesite.edits), all at once, modified at ``when``;
        () when they were applied already."""
        with self._lock:
            if self.revised_at is not None:
                return ()
            planned = {(e.outlet, e.path): e for e in self.edits}
            kept: list[Article] = []
            for article in self.articles:
                edit = planned.get((article.outlet, article.path))
                revised = article if edit is None else apply_edit(article, edit, when)
                if revised is not None:
                    kept.append(revised)
                elif edit is not None and edit.target is not None:
                    self.redirects[(edit.outlet, edit.path)] = edit.target
            self.articles = tuple(kept)
            self._index()
            self.revised_at = when
            self.generation += 1
            return self.edits

    # -- lookup -----------------------------------------------------------------------------
    def find_article(self, outlet: str, path: str) -> Article | None:
        """The article served at ``path`` (query already removed), regular or bulk."""
        article = self._by_path.get((outlet, path))
        if article is not None:
            return article if self.is_live(article) else None
        match = _BULK_PATH.search(path)
        if match and int(match[1]) < self.bulk_articles:
            bulk = self.bulk_article(int(match[1]))
            if bulk.outlet == outlet and bulk.path == path:
                return bulk
        return None

    def _make_bulk_article(self, index: int) -> Article:
        outlets = tuple(self.outlets.values())
        outlet = outlets[index % len(outlets)]
        sections = [s for s in outlet.sections if not s.disallowed]
        section = sections[(index // len(outlets)) % len(sections)]
        topic = section.topics[index % len(section.topics)]
        story = write_story(
            f"{self.seed}:bulk:{index}",
            topic=topic,
            language=section.language,
            wire=outlet.short,
            min_words=320,
        )
        published = self.now - timedelta(minutes=30) - self._bulk_step * index
        published = _clamp_to_today(published.astimezone(section.tz), self.now)
        slug = f"{slugify(story.title, 60)}-b{index}"
        path = _article_path(outlet, section, published, slug)
        return Article(
            outlet.name, path, section, published, story, 100_000 + index, bulk_index=index
        )

    def bulk_count(self, outlet: str) -> int:
        """How many bulk articles belong to ``outlet`` (they are dealt round-robin)."""
        position = list(self.outlets).index(outlet)
        return len(range(position, self.bulk_articles, len(self.outlets)))

    def bulk_slice(self, outlet: str, start: int, stop: int) -> list[Article]:
        """The outlet's bulk articles from position ``start`` to ``stop``, newest first."""
        position = list(self.outlets).index(outlet)
        stop = min(stop, self.bulk_count(outlet))
        step = len(self.outlets)
        return [self._make_bulk_article(position + i * step) for i in range(start, stop)]

    # -- listings ---------------------------------------------------------------------------
    def listed(self, outlet: str) -> list[Article]:
        """Regular articles a reader can reach from the outlet's pages, newest first."""
        found = [a for a in self._own[outlet] if self.is_live(a) and not a.old and not a.disallowed]
        return sorted(found, key=lambda a: a.published, reverse=True)

    def latest(self, outlet: str, limit: int = FEED_SIZE) -> list[Article]:
        """Newest articles for feeds and the home page, bulk ones included."""
        merged = self.listed(outlet) + self.bulk_slice(outlet, 0, limit)
        return sorted(merged, key=lambda a: a.published, reverse=True)[:limit]

    def in_section(self, outlet: str, section_slug: str) -> list[Article]:
        """Articles of one section (the disallowed one too: its page lists them)."""
        pool = [a for a in self._own[outlet] if a.disallowed]
        pool = self.listed(outlet) + sorted(pool, key=lambda a: a.published, reverse=True)
        return [a for a in pool if a.section.slug == section_slug]

    def _reachable(self, outlet: str) -> list[Article]:
        """Regular articles a crawler may fetch: live and allowed (old ones included)."""
        return [a for a in self._own[outlet] if self.is_live(a) and not a.disallowed]

    def tags(self, outlet: str) -> dict[str, str]:
        """Tag slug -> label for the tags that fetchable regular articles link to."""
        return {slugify(t): t for a in self._reachable(outlet) for t in a.story.tags}

    def authors(self, outlet: str) -> dict[str, str]:
        """Author slug -> name for the bylines of fetchable regular articles."""
        return {slugify(n): n for a in self._reachable(outlet) for n in a.story.authors}

    def with_tag(self, outlet: str, slug: str) -> list[Article]:
        """Articles listed on a tag page (old ones drop out of listings, as on real sites)."""
        return [a for a in self.listed(outlet) if slug in {slugify(t) for t in a.story.tags}]

    def by_author(self, outlet: str, slug: str) -> list[Article]:
        """Articles listed on an author page."""
        return [a for a in self.listed(outlet) if slug in {slugify(n) for n in a.story.authors}]

    def page_count(self, count: int) -> int:
        """Listing pages needed for ``count`` articles (at least one)."""
        return max(1, -(-count // PAGE_SIZE))

    def listing_paths(self, outlet: str) -> list[str]:
        """Every allowed listing page: home, sections, tags, authors, with pagination."""
        paths = ["/"]
        o = self.outlets[outlet]
        groups = [
            (s.path, len(self.in_section(outlet, s.slug))) for s in o.sections if not s.disallowed
        ]
        groups += [(f"/tag/{t}/", len(self.with_tag(outlet, t))) for t in self.tags(outlet)]
        groups += [(f"/author/{n}/", len(self.by_author(outlet, n))) for n in self.authors(outlet)]
        for base, count in groups:
            for page in range(1, self.page_count(count) + 1):
                paths.append(base if page == 1 else f"{base}?page={page}")
        return paths


def build_site(
    *,
    seed: int = 7,
    now: datetime | None = None,
    bulk_articles: int = 0,
    slow_seconds: float = 1.5,
    outlets: int = len(outlet_table.OUTLETS),
    hostile: bool = False,
) -> SampleSite:
    """Generate the sample site of ``outlets`` outlets (the three hand-made ones first, then
    generated copies); ``now`` anchors every date (default: the current UTC time);
    ``hostile`` adds the article of samplesite.hostile."""
    if now is None:
        now = datetime.now(UTC)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    now = now.replace(microsecond=0)
    if bulk_articles < 0 or slow_seconds < 0:
        raise ConfigError("sample site: --bulk and --slow must not be negative")
    if outlets < len(outlet_table.OUTLETS):
        raise ConfigError("sample site: --outlets must be at least 3 (the hand-made outlets)")
    return SampleSite(
        seed=seed,
        now=now,
        bulk_articles=bulk_articles,
        slow_seconds=slow_seconds,
        outlets=outlet_table.generate_outlets(outlets),
        hostile=hostile,
    )
