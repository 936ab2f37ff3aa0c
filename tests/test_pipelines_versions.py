"""pipelines.versions: each refetch outcome written in one transaction, on a real database."""

from __future__ import annotations

import zlib
from dataclasses import replace
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from newswire.records import Article, Refetch, RefetchResult
from newswire.schedule import DEFAULT_REFETCH
from pipelines.dedup import fingerprint_text
from pipelines.versions import apply_refetch, first_refetch, next_refetch
from storage import queries
from storage.queries import store_articles
from storage.versions import list_versions
from tests.test_storage_queries import NOW, make_article

Conn = psycopg.Connection[Any]
LATER = NOW + timedelta(hours=2)


@pytest.fixture
def stored(db: Conn) -> tuple[int, Article]:
    article = make_article("one")
    article.refetch_at = first_refetch(article, DEFAULT_REFETCH, NOW)
    return store_articles(db, None, [article]).article_ids[0], article


def _refetched(article: Article, article_id: int, **changes: Any) -> Article:
    text = changes.get("text", article.text)
    return replace(
        article, refetch_of=article_id, fetched_at=LATER, text_hash=fingerprint_text(text),
        html_zlib=zlib.compress(b"<html>again</html>"), **changes,
    )  # fmt: skip


def _result(article_id: int, status: int, reason: str) -> RefetchResult:
    target = Refetch(article_id=article_id, url="", published_at=None, version=1)
    return RefetchResult(target, status, LATER, reason)


def _due(db: Conn, article_id: int) -> Any:
    row = db.execute(
        "SELECT due_at, checked_at FROM article_refetch WHERE article_id = %s", [article_id]
    ).fetchone()
    assert row is not None
    return tuple(row)


def test_the_schedule_counts_from_publication() -> None:
    article = make_article("one")  # published an hour before NOW
    assert first_refetch(article, DEFAULT_REFETCH, NOW) == NOW + timedelta(hours=5)
    assert first_refetch(article, (), NOW) is None
    late = replace(article, published_at=NOW - timedelta(days=30))
    assert first_refetch(late, DEFAULT_REFETCH, NOW) is None  # every delay passed already
    assert next_refetch(NOW, DEFAULT_REFETCH, NOW + timedelta(days=2)) == NOW + timedelta(days=3)


def test_a_304_moves_only_the_schedule(db: Conn, stored: tuple[int, Article]) -> None:
    article_id, _ = stored
    outcome = apply_refetch(db, _result(article_id, 304, "not_modified"), DEFAULT_REFETCH, LATER)
    assert outcome.outcome == "not_modified"
    assert _due(db, article_id) == (NOW + timedelta(hours=5), LATER)
    assert len(list_versions(db, article_id)) == 1


def test_the_same_content_stores_nothing(db: Conn, stored: tuple[int, Article]) -> None:
    article_id, article = stored
    again = _refetched(article, article_id, text="  " + article.text.replace(" ", "  "))
    assert apply_refetch(db, again, DEFAULT_REFETCH, LATER).outcome == "unchanged"
    assert len(list_versions(db, article_id)) == 1
    row = queries.get_article(db, article_id)
    assert row is not None and row.fetched_at == NOW  # the row keeps its version's fetch


def test_a_change_is_a_version_with_its_kinds(db: Conn, stored: tuple[int, Article]) -> None:
    article_id, article = stored
    edited = _refetched(
        article, article_id, title="Story one, updated", authors=["Cy Editor"],
        text=article.text + "\nCorrection: the first version named the wrong town.",
    )  # fmt: skip
    outcome = apply_refetch(db, edited, DEFAULT_REFETCH, LATER)
    assert (outcome.outcome, outcome.version) == ("changed", 2)
    [_, second] = list_versions(db, article_id)
    assert second.kinds == ["headline", "correction", "byline"]
    assert (second.words_added, second.words_removed) == (8, 0)
    row = queries.get_article(db, article_id)
    assert row is not None
    assert (row.title, row.authors, row.version, row.fetched_at) == (
        "Story one, updated", ["Cy Editor"], 2, LATER
    )  # fmt: skip


@pytest.mark.parametrize(("status", "reason"), [(404, "gone"), (410, "gone"), (200, "not_article")])
def test_a_page_gone_marks_the_article_removed(
    db: Conn, stored: tuple[int, Article], status: int, reason: str
) -> None:
    article_id, _ = stored
    outcome = apply_refetch(db, _result(article_id, status, reason), DEFAULT_REFETCH, LATER)
    assert (outcome.outcome, outcome.version) == ("removed", 2)
    assert [(v.kinds, v.status) for v in list_versions(db, article_id)][1] == (["removed"], status)
    assert _due(db, article_id)[0] is None
    again = apply_refetch(db, _result(article_id, 304, "not_modified"), DEFAULT_REFETCH, LATER)
    assert again.outcome == "gone_already"  # two runs at once: the second changes nothing


def test_a_redirect_to_another_stored_article(db: Conn, stored: tuple[int, Article]) -> None:
    article_id, article = stored
    other = store_articles(db, None, [make_article("two")]).article_ids[0]
    target = make_article("two")
    led = _refetched(target, article_id, urls=[article.url, target.url])
    outcome = apply_refetch(db, led, DEFAULT_REFETCH, LATER)
    assert (outcome.outcome, outcome.new_article) == ("redirected", None)
    last = list_versions(db, article_id)[-1]
    assert (last.kinds, last.url) == (["redirected"], target.url)
    assert len(list_versions(db, other)) == 1


def test_a_redirect_to_a_new_text_is_a_new_article(db: Conn, stored: tuple[int, Article]) -> None:
    article_id, article = stored
    url = "http://127.0.0.1:8000/alpha/elsewhere"
    led = _refetched(article, article_id, url=url, urls=[article.url, url],
                     text="An entirely different report about something else. " * 4)  # fmt: skip
    outcome = apply_refetch(db, led, DEFAULT_REFETCH, LATER)
    assert outcome.outcome == "redirected" and outcome.new_article is not None
    assert outcome.new_article.refetch_of is None and outcome.new_article.urls == [url]
    result = store_articles(db, None, [outcome.new_article])
    assert result.outcomes == ["stored"]


def test_the_same_article_at_a_new_url_is_moved(db: Conn, stored: tuple[int, Article]) -> None:
    article_id, article = stored
    url = "http://127.0.0.1:8000/alpha/one-renamed"
    moved = _refetched(article, article_id, url=url, urls=[article.url, url])
    assert apply_refetch(db, moved, DEFAULT_REFETCH, LATER).outcome == "moved"
    assert queries.article_id_for_url(db, url) == article_id
    assert len(list_versions(db, article_id)) == 1


def test_a_moved_article_that_changed_names_its_new_url(
    db: Conn, stored: tuple[int, Article]
) -> None:
    article_id, article = stored
    url = "http://127.0.0.1:8000/alpha/one-rewritten"
    moved = _refetched(article, article_id, url=url, urls=[article.url, url], title="New title")
    assert apply_refetch(db, moved, DEFAULT_REFETCH, LATER).outcome == "changed"
    last = list_versions(db, article_id)[-1]
    assert (last.kinds, last.url) == (["headline"], url)
