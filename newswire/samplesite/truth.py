"""The ground truth a crawl of the sample site is scored against, with absolute URLs.

Only a running site knows its ports, so truth is built from the model plus the base URLs.
"""

from __future__ import annotations

from typing import Any

from newswire.samplesite.edits import Edit
from newswire.samplesite.outlets import STATIC_PATHS
from newswire.samplesite.site import Article, SampleSite


def absolute(base_url: str, path: str) -> str:
    """Join an outlet base URL ("http://host:port/") and a site path ("/x/")."""
    return base_url.rstrip("/") + path


def article_entry(article: Article, base_urls: dict[str, str]) -> dict[str, Any]:
    """One article's truth record: what an extractor should find on its page."""
    base = base_urls[article.outlet]
    original = story = None
    if article.duplicate_of is not None:
        original = absolute(base_urls[article.duplicate_of[0]], article.duplicate_of[1])
    if article.story_of is not None:
        story = absolute(base_urls[article.story_of[0]], article.story_of[1])
    return {
        "outlet": article.outlet,
        "url": absolute(base, article.path),
        "title": article.story.title,
        "authors": list(article.story.authors),
        "credits": list(article.credits),
        "published": article.published.isoformat(),
        "modified": article.modified.isoformat() if article.modified else None,
        "language": article.language,
        "alternate_urls": [absolute(base, p) for p in article.alternates],
        "duplicate_of": original,  # an exact copy (same normalised text) of this page
        "story_of": story,  # a copy, exact or edited, of this page: the story's original
        "old": article.old,
        "held_back": article.held_back,
        "retry_500": article.retry_500,
        "slow": article.slow,
        "legacy_encoding": article.legacy_encoding,
        "text_start": article.story.paragraphs[0][:80],
        "honours_conditional": article.honours_conditional,  # 304 to a matching refetch
    }


def edit_entry(edit: Edit, base_urls: dict[str, str]) -> dict[str, Any]:
    """One planned change's truth record: the article, the change kind, a redirect's target."""
    base = base_urls[edit.outlet]
    return {
        "url": absolute(base, edit.path),
        "kind": edit.kind,
        "target": absolute(base, edit.target) if edit.target else None,
    }


def disallowed_paths(site: SampleSite, outlet: str) -> list[str]:
    """The robots-disallowed section pages and the articles in them."""
    paths: list[str] = []
    for section in site.outlets[outlet].sections:
        if not section.disallowed:
            continue
        articles = site.in_section(outlet, section.slug)
        paths.append(section.path)
        paths += [f"{section.path}?page={n}" for n in range(2, site.page_count(len(articles)) + 1)]
        paths += [a.path for a in articles]
    return paths


def not_article_paths(site: SampleSite, outlet: str) -> list[str]:
    """Pages a crawler meets that must not become articles: listings, login, files, a 404."""
    return [*site.listing_paths(outlet), *STATIC_PATHS, site.outlets[outlet].missing_path]


def build_truth(site: SampleSite, base_urls: dict[str, str]) -> dict[str, Any]:
    """The whole truth document served at /__sample/truth.json."""
    regular = [a for a in site.articles if not a.disallowed]
    bulk = (site.bulk_article(i) for i in range(site.bulk_articles))
    return {
        "now": site.now.isoformat(),
        "outlets": {
            name: {"base_url": base_urls[name], "language": outlet.language}
            for name, outlet in site.outlets.items()
        },
        "articles": [article_entry(a, base_urls) for a in (*regular, *bulk)],
        "not_articles": [
            absolute(base_urls[name], path)
            for name in site.outlets
            for path in not_article_paths(site, name)
        ],
        "disallowed": [
            absolute(base_urls[name], path)
            for name in site.outlets
            for path in disallowed_paths(site, name)
        ],
        "bulk_articles": site.bulk_articles,
        # The planned changes (samplesite.edits) and when they were applied (None: not yet).
        "edits": [edit_entry(edit, base_urls) for edit in site.edits],
        "revised_at": site.revised_at.isoformat() if site.revised_at else None,
    }
