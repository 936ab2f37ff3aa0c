"""pipelines.evidence: each field chosen by agreement and reliability, with its provenance."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from lxml.html import fromstring

from pipelines.evidence import Chosen, PageHints, choose_metadata
from pipelines.metadata import json_ld_objects

URL = "https://www.harbour-times.test/2024/03/05/tide-barrier"
HEADLINE = "Council approves the tide barrier"
FETCHED = datetime(2024, 3, 6, 12, 0, tzinfo=UTC)


def choose(head: str = "", body: str = "", hints: PageHints | None = None, **doc: object) -> Chosen:
    tree = fromstring(f"<html><head>{head}</head><body>{body}</body></html>")
    trafilatura = {"title": None, "author": None, "date": None, "sitename": None, **doc}
    hints = hints or PageHints(site_names=("harbour",), fetched_at=FETCHED)
    return choose_metadata(
        tree, list(json_ld_objects(tree)), URL, hints, SimpleNamespace(**trafilatura)
    )


def ld(**fields: object) -> str:
    data = {"@context": "https://schema.org", "@type": "NewsArticle", **fields}
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def test_h1_and_json_ld_outweigh_the_seo_title() -> None:
    head = (
        f"<title>{HEADLINE}: what we know | Harbour Times</title>"
        f'<meta property="og:title" content="{HEADLINE}: what we know">'
        '<meta property="og:site_name" content="Harbour Times">'
    )
    chosen = choose(
        head, f"<article><h1>{HEADLINE}</h1></article>", title=f"{HEADLINE}: what we know"
    )
    assert (chosen.title, chosen.title_source) == (HEADLINE, "h1")
    chosen = choose(head + ld(headline=HEADLINE), f"<article><h1>{HEADLINE}</h1></article>")
    assert (chosen.title, chosen.title_source) == (HEADLINE, "jsonld")


def test_a_title_with_the_sites_suffix_loses_it() -> None:
    chosen = choose(f"<title>{HEADLINE} - HARBOUR TIMES</title>"
                    '<meta property="og:site_name" content="Harbour Times">')  # fmt: skip
    assert (chosen.title, chosen.title_source) == (HEADLINE, "title")


def test_hostile_text_is_text() -> None:
    body = (
        "<article><h1>&lt;script&gt;alert(1)&lt;/script&gt;<script>evil()</script></h1></article>"
    )
    chosen = choose(body=body)
    assert chosen.title == "<script>alert(1)</script>"


def test_json_ld_organization_authors_are_credits() -> None:
    author = [
        {"@type": "Person", "name": "By Mara Quill"},
        {"@type": "Organization", "name": "dpa"},
    ]
    chosen = choose(ld(author=author), author="Mara Quill; dpa")
    assert (chosen.authors, chosen.credits, chosen.authors_source) == (
        ["Mara Quill"],
        ["dpa"],
        "jsonld",
    )


def test_a_byline_only_in_visible_text() -> None:
    body = "<article><h1>x</h1><p>Von Anna Berg und Jonas Weber</p><p>Text.</p></article>"
    chosen = choose(body=body)
    assert (chosen.authors, chosen.authors_source) == (["Anna Berg", "Jonas Weber"], "byline")


def test_no_author_anywhere() -> None:
    chosen = choose(body="<article><p>Text.</p></article>")
    assert (chosen.authors, chosen.credits, chosen.authors_source) == ([], [], None)


PLUS_TWO = timezone(timedelta(hours=2))


@pytest.mark.parametrize(
    ("head", "body", "hints", "expected", "source"),
    [
        # Modified is not published; the page's offset is kept in the instant.
        (
            ld(datePublished="2024-03-05T10:00:00+02:00", dateModified="2024-03-05T18:00:00+02:00"),
            "",
            None,
            datetime(2024, 3, 5, 10, 0, tzinfo=PLUS_TWO),
            "jsonld",
        ),
        # A time without offset takes the offset of an agreeing <time>.
        (
            ld(datePublished="2024-03-05T10:00:00"),
            '<article><time datetime="2024-03-05T10:00:00+02:00">5.3.</time></article>',
            None,
            datetime(2024, 3, 5, 8, 0, tzinfo=UTC),
            "jsonld",
        ),
        # A date after the fetch is distrusted; the related box's date is not the story's.
        (
            ld(datePublished="2024-03-09T10:00:00Z"),
            '<aside class="related"><li><time datetime="2024-02-01T10:00:00Z">x</time></li></aside>'
            '<article><header><time datetime="2024-03-04T09:00:00Z">x</time></header></article>',
            None,
            datetime(2024, 3, 4, 9, 0, tzinfo=UTC),
            "time",
        ),
        # A page date far from the feed entry's is distrusted: the feed's stands.
        (
            '<meta property="article:published_time" content="2021-01-01T00:00:00Z">',
            "",
            PageHints(published=datetime(2024, 3, 5, 7, 0, tzinfo=UTC), fetched_at=FETCHED),
            datetime(2024, 3, 5, 7, 0, tzinfo=UTC),
            "feed",
        ),
    ],
)
def test_published_at(
    head: str, body: str, hints: PageHints | None, expected: datetime, source: str
) -> None:
    chosen = choose(head, body, hints)
    assert (chosen.published_at, chosen.published_source) == (expected, source)
    assert chosen.published_at is not None and chosen.published_at.tzinfo == UTC


def test_modified_at_is_kept_apart() -> None:
    chosen = choose(ld(datePublished="2024-03-05T10:00:00Z", dateModified="2024-03-05T18:30:00Z"))
    assert chosen.modified_at == datetime(2024, 3, 5, 18, 30, tzinfo=UTC)
    same = choose(ld(datePublished="2024-03-05T10:00:00Z", dateModified="2024-03-05T10:00:00Z"))
    assert same.modified_at is None


def test_microdata_names_the_story_when_nothing_else_does() -> None:
    body = (
        '<article itemscope itemtype="https://schema.org/NewsArticle">'
        f'<div itemprop="headline">{HEADLINE}</div>'
        '<p class="contributors"><span itemprop="author" itemscope '
        'itemtype="https://schema.org/Person"><span itemprop="name">Ada Quill</span></span>, '
        '<span itemprop="author" itemscope itemtype="https://schema.org/Organization">'
        '<span itemprop="name">Reuters</span></span></p>'
        '<time itemprop="datePublished" datetime="2024-03-05T20:40:00+01:00">5 March</time>'
        '<time itemprop="dateModified" datetime="2024-03-06T08:00:00+01:00">6 March</time>'
        "</article>"
    )
    chosen = choose(f"<title>{HEADLINE} | Harbour</title>", body)
    assert (chosen.title, chosen.title_source) == (HEADLINE, "microdata")
    assert (chosen.authors, chosen.credits, chosen.authors_source) == (
        ["Ada Quill"],
        ["Reuters"],
        "microdata",
    )
    assert (chosen.published_at, chosen.published_source) == (
        datetime(2024, 3, 5, 19, 40, tzinfo=UTC),
        "microdata",
    )
    assert chosen.modified_at == datetime(2024, 3, 6, 7, 0, tzinfo=UTC)


def test_the_template_hint_strips_what_no_declared_name_spells() -> None:
    head = (
        f"<title>{HEADLINE} — Independent news since 1921</title>"
        f'<meta property="og:title" content="{HEADLINE} — Independent news since 1921">'
    )
    plain = choose(head, "<p>Text.</p>")
    assert plain.title == f"{HEADLINE} — Independent news since 1921"
    assert plain.page_title == plain.title  # the raw <title>, for learning the template
    hints = PageHints(
        site_names=("harbour",), fetched_at=FETCHED, title_affixes=("independentnewssince1921",)
    )
    assert (choose(head, "<p>Text.</p>", hints).title, plain.title_source) == (HEADLINE, "og")


def test_the_costly_author_search_runs_only_when_no_signal_names_anyone() -> None:
    tree = fromstring("<html><body><p>Text.</p></body></html>")
    asked = []

    def search(page: object) -> list[str]:
        asked.append(page)
        return ["Ada Quill"]

    doc = SimpleNamespace(title=None, author=None, date=None, sitename=None)
    hints = PageHints(fetched_at=FETCHED)
    chosen = choose_metadata(tree, [], URL, hints, doc, author_search=search)
    assert (chosen.authors, chosen.authors_source, asked) == (["Ada Quill"], "trafilatura", [tree])
    named = fromstring('<html><body><p class="byline">By Ben Okafor</p></body></html>')
    chosen = choose_metadata(named, [], URL, hints, doc, author_search=search)
    assert (chosen.authors, len(asked)) == (["Ben Okafor"], 1)
