"""Stored raw HTML -> the current extraction's metadata, written back where it changed.

``newswire reextract`` runs this over a database crawled by an older newswire: titles,
authors, credits, dates and their provenance are extracted again from the HTML the store
kept (``article_html``); the body text, and so the duplicate fingerprints, stay as stored.
Each source's title template is learned first from the titles of its latest stored pages,
the same pages every time, so a second run strips what the first stripped.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg

from newswire.records import ArticleMetadata
from pipelines.evidence import PageHints
from pipelines.extract import Extracted, ExtractOptions, extract_article
from pipelines.titles import TEMPLATE_TITLES, TitleTemplate, head_title, host_names
from storage.rewrite import (
    METADATA_FIELDS,
    StoredPage,
    count_stored_pages,
    stored_pages,
    update_metadata,
)
from storage.titles import recent_page_heads

logger = logging.getLogger(__name__)
# What the crawl knew and the stored HTML alone does not say (the feed entry's title and date,
# the source's language): a re-extraction that finds nothing keeps the stored value.
_NEVER_ERASED = {"title": "title_source", "published_at": "published_source", "language": None}


@dataclass(frozen=True)
class ReextractRequest:
    """Which stored articles to extract again, and whether to write the result."""

    source: str | None = None
    since: datetime | None = None  # fetched at or after
    dry_run: bool = False
    batch_size: int = 100


@dataclass
class ReextractReport:
    """How many articles were read, how many changed, and how many changed per field."""

    examined: int = 0
    changed: int = 0
    rejected: int = 0  # pages the current extraction no longer takes for articles (kept)
    fields: Counter[str] = field(default_factory=Counter)


def fresh_metadata(page: StoredPage, affixes: tuple[str, ...] = ()) -> ArticleMetadata | None:
    """The current extraction's metadata for a stored page; None if it is now rejected.

    ``affixes`` are its source's title template (``TitleTemplate.affixes``).
    """
    hints = PageHints(
        site_names=(page.source, *host_names(page.fetched_url)),
        fetched_at=page.fetched_at,
        title_affixes=affixes,
    )
    options = ExtractOptions(min_text_chars=0, hints=hints)
    content_type = f"text/html; charset={page.encoding}"
    result = extract_article(page.html, page.fetched_url, content_type, options)
    if not isinstance(result, Extracted):
        return None
    return ArticleMetadata(**{name: getattr(result, name) for name in METADATA_FIELDS})


def changed_fields(old: ArticleMetadata, new: ArticleMetadata) -> dict[str, Any]:
    """The fields whose new value differs; an empty title, date or language never erases."""
    changes, kept = {}, []
    for name in METADATA_FIELDS:
        value = getattr(new, name)
        if name in _NEVER_ERASED and value in (None, ""):
            kept.append(name)
        elif value != getattr(old, name):
            changes[name] = value
    for name in kept:  # a kept value keeps its provenance too
        changes.pop(_NEVER_ERASED[name] or "", None)
    return changes


def reextract(
    conn: psycopg.Connection[Any],
    request: ReextractRequest,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> ReextractReport:
    """Extract every selected article again; ``progress(done, total)`` after each batch."""
    report = ReextractReport()
    templates: dict[str, tuple[str, ...]] = {}
    total = count_stored_pages(conn, source=request.source, since=request.since)
    after_id = 0
    while True:
        pages = stored_pages(
            conn,
            source=request.source,
            since=request.since,
            after_id=after_id,
            limit=request.batch_size,
        )
        if not pages:
            break
        changes = []
        for page in pages:
            if page.source not in templates:
                heads = recent_page_heads(conn, page.source, TEMPLATE_TITLES)
                templates[page.source] = TitleTemplate(map(head_title, heads)).affixes
            new = fresh_metadata(page, templates[page.source])
            if new is None:
                report.rejected += 1
                logger.debug("article %d is no longer extracted as an article: kept", page.id)
                continue
            fields = changed_fields(page.metadata, new)
            if fields:
                changes.append((page.id, fields))
                report.fields.update(fields.keys())
        report.examined += len(pages)
        report.changed += len(changes)
        if not request.dry_run:
            update_metadata(conn, changes)
        after_id = pages[-1].id
        progress(report.examined, total)
    return report
