"""The three sample outlets and the plan of their regular articles, traps included, and the
generated outlets of a larger world (``--outlets N``).

Each outlet has its own URL style, feed paths and sitemap layout, as real sites do, so a
crawler cannot guess one from another. A generated outlet copies one of the three (its
``template``) under its own name, with that plan's articles less the traps that only make
sense once (a copy of another outlet's story, a held-back story, a page that answers slowly).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta, timezone

LOGIN_PATH = "/account/login"
PDF_PATH = "/media/annual-report.pdf"
IMAGE_PATH = "/media/front-page.png"
SUBSCRIBE_PATH = "/account/login?next=subscribe"
STATIC_PATHS = (LOGIN_PATH, SUBSCRIBE_PATH, PDF_PATH, IMAGE_PATH)


def _offset(hours: int) -> timezone:
    return timezone(timedelta(hours=hours))


@dataclass(frozen=True)
class Section:
    """A section page and the language and time zone of the articles in it."""

    slug: str
    label: str
    language: str
    topics: tuple[str, ...]
    tz: timezone
    disallowed: bool = False  # listed under robots.txt Disallow

    @property
    def path(self) -> str:
        """The section page's path."""
        return f"/{self.slug}/"


@dataclass(frozen=True)
class Outlet:
    """One news site, served on its own port."""

    name: str
    title: str
    short: str  # agency name in datelines
    language: str
    sections: tuple[Section, ...]
    url_style: str  # "dated", "id" or "html"
    rss_path: str
    atom_path: str
    sitemap_index_path: str
    sitemap_pattern: str  # child sitemap path, "{}" is the kind: news, articles, bulk-2 ...
    missing_path: str  # linked from the home page, answers 404
    list_feeds: bool = True  # sources.toml names the feeds
    list_sitemaps: bool = True  # sources.toml names the sitemap index
    template: str | None = None  # a generated outlet: the name of the outlet it copies

    @property
    def style(self) -> str:
        """The hand-made outlet whose page markup and plan this one follows."""
        return self.template or self.name

    def sitemap_path(self, kind: str, *, compressed: bool = False) -> str:
        """Path of one child sitemap; the archive is served gzip-compressed as ``.xml.gz``."""
        return self.sitemap_pattern.format(kind) + (".gz" if compressed else "")

    def section(self, slug: str) -> Section:
        """The section with ``slug``."""
        return next(s for s in self.sections if s.slug == slug)

    @property
    def disallowed_prefixes(self) -> tuple[str, ...]:
        """Paths robots.txt forbids, besides the search page."""
        return tuple(s.path for s in self.sections if s.disallowed)


@dataclass(frozen=True)
class PlanEntry:
    """One regular article to generate and the trap it carries, if any."""

    section: str
    topic: str
    age: timedelta
    authors: int | None = None
    tracking: bool = False
    short_url: bool = False
    copy_of: tuple[str, int] | None = None
    old: bool = False
    held_back: bool = False
    retry_500: bool = False
    slow: bool = False
    legacy_encoding: str | None = None


def _h(hours: float) -> timedelta:
    return timedelta(hours=hours)


_EST, _UTC, _CET, _CEST = _offset(-5), _offset(0), _offset(1), _offset(2)

OUTLETS = (
    Outlet(
        name="planet",
        title="The Planet Herald",
        short="Planet Herald",
        language="en",
        sections=(
            Section("world", "World", "en", ("defence", "diplomacy"), _EST),
            Section("business", "Business", "en", ("markets",), _EST),
            Section("sport", "Sport", "en", ("sport",), _EST),
            Section("members", "Members", "en", ("markets",), _EST, disallowed=True),
        ),
        url_style="dated",
        rss_path="/rss.xml",
        atom_path="/atom.xml",
        sitemap_index_path="/sitemap_index.xml",
        sitemap_pattern="/sitemap-{}.xml",
        missing_path="/world/2019/05/06/story-removed-by-editors/",
    ),
    Outlet(
        name="meridian",
        title="Meridian Wire",
        short="Meridian",
        language="en",
        sections=(
            Section("world", "World", "en", ("defence", "diplomacy"), _UTC),
            Section("markets", "Markets", "en", ("markets",), _UTC),
            Section("sport", "Sport", "en", ("sport",), _UTC),
        ),
        url_style="id",
        rss_path="/feeds/latest.rss",
        atom_path="/feeds/latest.atom",
        sitemap_index_path="/sitemap.xml",
        sitemap_pattern="/sitemaps/{}.xml",
        missing_path="/news/withdrawn-correction-notice-999",
        list_feeds=False,
    ),
    Outlet(
        name="europa",
        title="Europa Express",
        short="Europa Express",
        language="fr",
        sections=(
            Section("fr/monde", "Monde", "fr", ("diplomacy",), _CET),
            Section("fr/economie", "Économie", "fr", ("markets",), _CET),
            Section("de/welt", "Welt", "de", ("diplomacy",), _CEST),
            Section("de/wirtschaft", "Wirtschaft", "de", ("markets",), _CEST),
            Section("es/mundo", "Mundo", "es", ("diplomacy",), _CET),
            Section("es/deportes", "Deportes", "es", ("sport",), _CET),
        ),
        url_style="html",
        rss_path="/feed/",
        atom_path="/feed/atom/",
        sitemap_index_path="/sitemaps/sitemap-index.xml",
        sitemap_pattern="/sitemaps/{}.xml",
        missing_path="/fr/monde/article-supprime.html",
        list_sitemaps=False,
    ),
)

PLANS: dict[str, tuple[PlanEntry, ...]] = {
    # The wire original is meridian's first story; planet's third entry is its copy.
    "meridian": (
        PlanEntry("world", "defence", _h(2.5), authors=2),
        PlanEntry("markets", "markets", _h(9), retry_500=True),
        PlanEntry("world", "diplomacy", _h(21), slow=True),
        PlanEntry("sport", "sport", _h(33)),
        PlanEntry("world", "defence", _h(50)),
        PlanEntry("markets", "markets", _h(70)),
        PlanEntry("world", "diplomacy", _h(95)),
        PlanEntry("markets", "markets", _h(130)),
        PlanEntry("sport", "sport", _h(190)),
    ),
    "planet": (
        PlanEntry("world", "defence", _h(3), tracking=True),
        PlanEntry("world", "diplomacy", _h(14), short_url=True),
        PlanEntry("world", "defence", _h(0), copy_of=("meridian", 0)),
        PlanEntry("business", "markets", _h(26), authors=2),
        PlanEntry("sport", "sport", _h(40)),
        PlanEntry("business", "markets", _h(60)),
        PlanEntry("world", "diplomacy", _h(85)),
        PlanEntry("sport", "sport", _h(110)),
        PlanEntry("business", "markets", _h(150)),
        PlanEntry("sport", "sport", _h(200)),
        PlanEntry("world", "diplomacy", _h(0), held_back=True),
        PlanEntry("business", "markets", timedelta(days=400), old=True),
        PlanEntry("members", "markets", _h(5)),
        PlanEntry("members", "markets", _h(30)),
    ),
    "europa": (
        PlanEntry("fr/monde", "diplomacy", _h(4)),
        PlanEntry("fr/economie", "markets", _h(12)),
        PlanEntry("de/welt", "diplomacy", _h(22), legacy_encoding="windows-1252"),
        PlanEntry("es/mundo", "diplomacy", _h(31)),
        PlanEntry("es/deportes", "sport", _h(45), authors=2),
        PlanEntry("fr/monde", "diplomacy", _h(64)),
        PlanEntry("de/wirtschaft", "markets", _h(80)),
        PlanEntry("es/deportes", "sport", _h(100)),
        PlanEntry("fr/economie", "markets", _h(125)),
        PlanEntry("fr/monde", "diplomacy", _h(160)),
    ),
}


def _generated_plan(plan: tuple[PlanEntry, ...]) -> tuple[PlanEntry, ...]:
    return tuple(e for e in plan if e.copy_of is None and not e.held_back and not e.slow)


def generate_outlets(count: int) -> tuple[Outlet, ...]:
    """The three outlets, then count - 3 generated ones named ``<template>-<n>`` (n from 4)."""
    generated = []
    for number in range(len(OUTLETS) + 1, count + 1):
        template = OUTLETS[number % len(OUTLETS)]
        generated.append(
            replace(
                template,
                name=f"{template.name}-{number}",
                title=f"{template.title} {number}",
                short=f"{template.short} {number}",
                template=template.name,
            )
        )
    return (*OUTLETS[:count], *generated)


def plan_of(outlet: Outlet) -> tuple[PlanEntry, ...]:
    """The regular articles an outlet publishes."""
    plan = PLANS[outlet.style]
    return plan if outlet.template is None else _generated_plan(plan)
