"""pipelines.metadata: what a page says of itself; here its schema.org microdata."""

from __future__ import annotations

import pytest
from lxml.html import fromstring

from pipelines.metadata import Microdata, meta_tags, microdata_article, page_language

ARTICLE = (
    '<article itemscope itemtype="https://schema.org/NewsArticle">'
    '<h1 itemprop="headline"> Council approves\n the tide barrier </h1>'
    '<p><span itemprop="author" itemscope itemtype="https://schema.org/Person">'
    '<a itemprop="url" href="/a/"><span itemprop="name">Ada Quill</span></a></span> and '
    '<span itemprop="author" itemscope itemtype="http://schema.org/Person/">'
    '<span itemprop="name">Ben Okafor</span></span>, '
    '<span itemprop="author" itemscope itemtype="https://schema.org/Organization">'
    '<span itemprop="name">dpa</span></span></p>'
    '<time itemprop="datePublished" datetime="2024-03-05T20:40:00+01:00">5 March</time>'
    '<meta itemprop="dateModified" content="2024-03-06T08:00:00+01:00">'
    '<div itemprop="publisher" itemscope itemtype="https://schema.org/Organization">'
    '<span itemprop="name">Harbour Times</span>'
    '<span itemprop="headline">Not the story</span></div>'
    "<p>Body.</p></article>"
)


def test_microdata_article_reads_visible_properties() -> None:
    assert microdata_article(fromstring(f"<html><body>{ARTICLE}</body></html>")) == Microdata(
        headline="Council approves the tide barrier",
        people=["Ada Quill", "Ben Okafor"],
        organizations=["dpa"],
        published="2024-03-05T20:40:00+01:00",
        modified="2024-03-06T08:00:00+01:00",
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # A plain-text author; the first headline wins; a nested item keeps its own.
        (
            '<div itemscope itemtype="http://schema.org/BlogPosting">'
            '<b itemprop="author">By Ada Quill</b><h2 itemprop="headline">One</h2>'
            '<h3 itemprop="headline">Two</h3></div>',
            Microdata(headline="One", people=["By Ada Quill"]),
        ),
        # A Person item without a name property: its text.
        (
            '<div itemscope itemtype="https://schema.org/Article">'
            '<span itemprop="author" itemscope itemtype="https://schema.org/Person">Ada Quill'
            "</span></div>",
            Microdata(people=["Ada Quill"]),
        ),
        # Listings, breadcrumbs and itemtype without itemscope are not the story.
        ('<ul itemscope itemtype="https://schema.org/ItemList"><li itemprop="name">x</li></ul>',
         None),
        ('<div itemtype="https://schema.org/NewsArticle"><h1 itemprop="headline">x</h1></div>',
         None),
        ("<p>No microdata at all.</p>", None),
    ],
)  # fmt: skip
def test_microdata_article_cases(body: str, expected: Microdata | None) -> None:
    assert microdata_article(fromstring(f"<html><body>{body}</body></html>")) == expected


def test_meta_tags_keep_http_equiv_headers_for_the_language() -> None:
    tree = fromstring(
        '<html><head><meta http-equiv="Content-Language" content="de-AT">'
        '<meta name="author" content="Ada"><meta name="author" content="Ben"></head></html>'
    )
    metas = meta_tags(tree)
    assert metas["http-equiv:content-language"] == "de-AT" and metas["author"] == "Ada"
    assert page_language(tree, metas, []) == "de"
