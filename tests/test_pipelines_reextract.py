"""pipelines.reextract over a database stored "before the metadata layer": sample-site pages
stored, their records put back as trafilatura alone made them, then extracted again."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from newswire.records import Article, ArticleMetadata, field_names
from newswire.samplesite.pages import PageContext, render_article
from newswire.samplesite.site import build_site
from newswire.samplesite.styles import TEMPLATE
from pipelines.extract import Extracted, ExtractOptions, extract_article
from pipelines.reextract import ReextractRequest, changed_fields, reextract
from storage.queries import store_articles
from tests.conftest import run_newswire

NOW = datetime(2025, 3, 14, 15, 30, tzinfo=UTC)
Conn = psycopg.Connection[Any]
# What the old pipeline stored: trafilatura's title with the site's affix, agencies among the
# authors, no modified date, no provenance.
_BEFORE = """
UPDATE articles SET title = title || ' | ' || site_name, authors = authors || credits,
    credits = '{}', modified_at = NULL,
    title_source = NULL, authors_source = NULL, published_source = NULL
"""


def _store_sample(conn: Conn, bulk: int = 6) -> dict[str, dict[str, Any]]:
    """Every regular sample-site article and ``bulk`` more, extracted with no title template
    (as a first crawl of each outlet would) and stored; their truth by URL."""
    site = build_site(now=NOW, bulk_articles=bulk)
    base_urls = {name: f"http://127.0.0.1:{9100 + i}/" for i, name in enumerate(site.outlets)}
    articles, truth = [], {}
    chosen = [a for a in site.articles if not a.disallowed and a.duplicate_of is None]
    for page in [*chosen, *(site.bulk_article(i) for i in range(bulk))]:
        html = render_article(PageContext(site, site.outlets[page.outlet], base_urls), page)
        body = html.encode(page.legacy_encoding or "utf-8")
        url = base_urls[page.outlet].rstrip("/") + page.path
        result = extract_article(body, url, "text/html", ExtractOptions())
        assert isinstance(result, Extracted), result
        metadata = {name: getattr(result, name) for name in field_names(ArticleMetadata)}
        articles.append(
            Article(
                **metadata,
                source=page.outlet,
                url=url,
                urls=[url],
                text=result.text,
                html_zlib=result.html_zlib,
                encoding=result.encoding,
                fetched_at=NOW,
                text_hash=hashlib.sha256(result.text.encode()).digest(),
            )
        )
        truth[url] = {"title": page.story.title, "authors": list(page.story.authors)}
        truth[url]["credits"] = list(page.credits)
        truth[url]["style"] = page.meta_style
    store_articles(conn, None, articles)
    return truth


def _records(conn: Conn) -> dict[str, tuple[Any, ...]]:
    rows = conn.execute(
        "SELECT url, title, authors, credits, title_source, authors_source, published_source,"
        " search = newswire_search_vector(search_config, title, description, text)"
        " FROM articles"
    ).fetchall()
    return {row[0]: row[1:] for row in rows}


def test_reextract_repairs_an_old_database_and_then_changes_nothing(db: Conn) -> None:
    truth = _store_sample(db, bulk=72)
    # Style 7 names its site only by a tagline: stored with it, learned from stored titles.
    tagged = [url for url, t in truth.items() if t["style"] == TEMPLATE]
    assert len(tagged) == 9
    assert all(_records(db)[url][0] != truth[url]["title"] for url in tagged)
    db.execute(_BEFORE)
    # as migration 0007 leaves an old database: first versions copied from the stale rows
    db.execute(
        "UPDATE article_versions v SET title = a.title, authors = a.authors,"
        " credits = a.credits FROM articles a WHERE a.id = v.article_id"
    )
    stale = _records(db)
    assert all(title.endswith(")") or " | " in title for title, *_ in stale.values())

    dry = reextract(db, ReextractRequest(dry_run=True, batch_size=7))
    assert _records(db) == stale  # a dry run writes nothing
    assert dry.examined == len(truth) and dry.changed == len(truth)
    assert dry.fields["title"] == len(truth) and dry.fields["title_source"] == len(truth)
    with_credits = sum(1 for t in truth.values() if t["credits"])
    assert with_credits and dry.fields["credits"] == with_credits
    assert dry.fields["authors"] == with_credits

    report = reextract(db, ReextractRequest(batch_size=7))
    assert (report.examined, report.changed, report.fields) == (
        dry.examined,
        dry.changed,
        dry.fields,
    )
    for url, (title, authors, credits, *sources, vector_current) in _records(db).items():
        expected = truth[url]
        assert (title, authors, credits) == (
            expected["title"],
            expected["authors"],
            expected["credits"],
        )
        assert None not in sources and vector_current, url
    # the latest version reads as the row now does: a refetch compares like with like
    mismatched = db.execute(
        "SELECT count(*) FROM articles a JOIN article_versions v ON v.article_id = a.id"
        " AND v.version = a.version WHERE (v.title, v.authors, v.credits)"
        " IS DISTINCT FROM (a.title, a.authors, a.credits)"
    ).fetchone()
    assert mismatched == (0,)

    again = reextract(db, ReextractRequest())
    assert (again.examined, again.changed, dict(again.fields)) == (len(truth), 0, {})


def test_reextract_selects_by_source_and_fetch_time(db: Conn) -> None:
    truth = _store_sample(db)
    db.execute(_BEFORE)
    planet = sum(1 for url in truth if ":9100/" in url)
    assert reextract(db, ReextractRequest(source="planet", dry_run=True)).examined == planet
    later = ReextractRequest(since=datetime(2025, 3, 15, tzinfo=UTC), dry_run=True)
    assert reextract(db, later).examined == 0


def test_an_empty_reextraction_never_erases_what_the_crawl_knew() -> None:
    old = ArticleMetadata(
        title="Feed title", authors=[], published_at=NOW, language="en", site_name=None,
        description=None, categories=[], tags=[], title_source="feed", published_source="feed",
    )  # fmt: skip
    new = ArticleMetadata(
        title="", authors=["Ada Writer"], published_at=None, language=None, site_name=None,
        description=None, categories=[], tags=[], authors_source="byline",
    )  # fmt: skip
    assert changed_fields(old, new) == {"authors": ["Ada Writer"], "authors_source": "byline"}


def test_reextract_command_prints_the_table(db: Conn, database_url: str, tmp_path: Path) -> None:
    _store_sample(db)
    db.execute(_BEFORE)
    dry = run_newswire("reextract", "--dry-run", database_url=database_url, data_dir=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert "would change" in dry.stdout and "title" in dry.stdout
    done = run_newswire(
        "reextract", "--since", "2025-03-14", database_url=database_url, data_dir=tmp_path
    )
    assert done.returncode == 0, done.stderr
    shown = run_newswire(
        "show", "1", "--format", "json", database_url=database_url, data_dir=tmp_path
    )
    (record,) = json.loads(shown.stdout)
    assert record["title_source"] and "modified_at" in record and "credits" in record
