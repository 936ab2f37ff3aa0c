"""storage.queries: the set-based article store (dedup, idempotence, races) and reads."""

from __future__ import annotations

import hashlib
import threading
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from newswire.errors import NewswireError
from newswire.records import Article
from storage import queries, runs
from storage.connection import connect
from storage.queries import StoreResult, store_articles

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
Conn = psycopg.Connection[Any]


def make_article(
    key: str,
    *,
    source: str = "alpha",
    urls: Sequence[str] = (),
    text: str | None = None,
) -> Article:
    """An article whose canonical URL is /<key>; text defaults to one unique to the key."""
    url = f"http://127.0.0.1:8000/{source}/{key}"
    body = text if text is not None else f"Generated story {key} for {source}. " * 4
    html = f"<html><body><h1>{key}</h1><p>{body}</p></body></html>".encode()
    return Article(
        source=source,
        url=url,
        urls=[url, *(f"http://127.0.0.1:8000/{source}/{u}" for u in urls)],
        title=f"Story {key}",
        authors=["Ada Writer", "Bo Reporter"],
        published_at=NOW - timedelta(hours=1),
        language="en",
        site_name=source.title(),
        description=f"About {key}",
        categories=["news"],
        tags=["generated"],
        text=body,
        html_zlib=zlib.compress(html),
        encoding="utf-8",
        fetched_at=NOW,
        text_hash=hashlib.sha256(body.encode()).digest(),
    )


def table_counts(conn: Conn) -> tuple[int, ...]:
    row = conn.execute(
        "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM article_urls),"
        " (SELECT count(*) FROM article_html)"
    ).fetchone()
    assert row is not None
    return tuple(row)


# ---------------------------------------------------------------- runs


def test_store_then_read_back(db: Conn) -> None:
    run_id = runs.create_run(db, "alpha", "cli")
    batch = [make_article("one", urls=["one?amp=1"]), make_article("two")]
    result = store_articles(db, run_id, batch)
    assert (result.stored, result.duplicates, result.already_known) == (2, 0, 0)
    assert result.outcomes == ["stored", "stored"]

    row = queries.get_article(db, result.article_ids[0])
    assert row is not None
    source = batch[0]
    assert (row.url, row.title, row.text, row.text_hash) == (
        source.url,
        source.title,
        source.text,
        source.text_hash,
    )
    assert row.authors == source.authors and row.tags == ["generated"]
    assert row.published_at == source.published_at and row.fetched_at == NOW
    assert row.stored_at.tzinfo is not None
    assert (row.run_id, row.duplicate_of) == (run_id, None)
    assert queries.article_urls(db, row.id) == sorted(source.urls)
    assert queries.article_html(db, row.id) == zlib.decompress(source.html_zlib)
    asked = [*source.urls, "http://127.0.0.1:8000/alpha/new"]
    assert queries.gated_urls(db, asked, NOW) == queries.GatedUrls(set(source.urls), set())


def test_store_is_idempotent(db: Conn) -> None:
    batch = [make_article(k, urls=[f"{k}/amp"]) for k in ("a", "b", "c")]
    batch.append(make_article("copy", source="beta", text=batch[0].text))
    first = store_articles(db, None, batch)
    assert first.outcomes == ["stored", "stored", "stored", "duplicate"]
    counts = table_counts(db)
    again = store_articles(db, None, batch)
    assert again.outcomes == ["known"] * 4
    assert again.article_ids == first.article_ids
    assert (again.stored, again.duplicates, again.already_known) == (0, 0, 4)
    assert table_counts(db) == counts == (4, 7, 4)


# Each batch is (key, other URLs, text key); outcomes follow the same order. A key "beta/k" is
# article k of source beta, the others are of alpha.
SCENARIOS = {
    "same url twice in a batch": (
        [[("a", [], "t1"), ("a", ["a-mobile"], "t2")]],
        [["stored", "known"]],
        [[0, 0]],
    ),
    "same text twice in a batch": (
        [[("a", [], "t1"), ("beta/b", [], "t1")]],
        [["stored", "duplicate"]],
        [[0, 1]],
    ),
    "copy of an earlier batch": (
        [[("a", [], "t1")], [("beta/b", [], "t1"), ("c", [], "t2")]],
        [["stored"], ["duplicate", "stored"]],
        [[0], [1, 2]],
    ),
    "same text in the same source is another URL of it": (
        [[("a", [], "t1"), ("a-p2", [], "t1")], [("a-p6", [], "t1")]],
        [["stored", "known"], ["known"]],
        [[0, 0], [0]],
    ),
    "same text in the same source as a stored copy": (
        [[("a", [], "t1"), ("beta/b", [], "t1")], [("beta/b-p2", [], "t1")]],
        [["stored", "duplicate"], ["known"]],
        [[0, 1], [1]],
    ),
    "known through another URL": (
        [[("a", ["a-amp"], "t1")], [("a-canonical", ["a-amp", "a-print"], "t1")]],
        [["stored"], ["known"]],
        [[0], [0]],
    ),
    "chain of shared URLs in a batch": (
        [[("a", ["s"], "t1"), ("b", ["s", "t"], "t2"), ("c", ["t"], "t3"), ("d", [], "t3")]],
        [["stored", "known", "known", "stored"]],
        [[0, 0, 0, 1]],
    ),
    "known row and copy of a stored text together": (
        [[("a", [], "t1")], [("a", [], "t9"), ("beta/b", [], "t1"), ("gamma/c", [], "t1")]],
        [["stored"], ["known", "duplicate", "duplicate"]],
        [[0], [0, 1, 2]],
    ),
}


@pytest.mark.parametrize(("batches", "outcomes", "ids"), SCENARIOS.values(), ids=SCENARIOS.keys())
def test_store_outcomes(
    db: Conn,
    batches: list[list[tuple[str, list[str], str]]],
    outcomes: list[list[str]],
    ids: list[list[int]],
) -> None:
    """ids: the nth distinct article created, so tests need not know identity values."""
    created: list[int] = []
    for batch, expected_outcomes, expected_ids in zip(batches, outcomes, ids, strict=True):
        articles = [
            make_article(
                k.split("/")[-1],
                source=k.split("/")[0] if "/" in k else "alpha",
                urls=u,
                text=f"text {t} " * 20,
            )
            for k, u, t in batch
        ]
        result = store_articles(db, None, articles)
        assert result.outcomes == expected_outcomes
        for article_id, outcome in zip(result.article_ids, result.outcomes, strict=True):
            if outcome != "known":
                created.append(article_id)
        assert [created.index(i) for i in result.article_ids] == expected_ids
        for article, outcome in zip(articles, result.outcomes, strict=True):
            assert queries.gated_urls(db, article.urls, NOW).stored == set(article.urls)
            if outcome != "known":
                owner = db.execute(
                    "SELECT article_id FROM article_urls WHERE url = %s", [article.url]
                )
                assert owner.fetchone() == (result.article_ids[articles.index(article)],)
    for article_id in created:
        row = queries.get_article(db, article_id)
        assert row is not None
        if row.duplicate_of is not None:
            original = queries.get_article(db, row.duplicate_of)
            assert original is not None and original.duplicate_of is None
            assert original.text_hash == row.text_hash
        assert queries.article_html(db, article_id) is not None


def test_known_article_gains_its_other_urls(db: Conn) -> None:
    first = store_articles(db, None, [make_article("a", urls=["a-amp"])])
    later = make_article("a-canonical", urls=["a-amp", "a-print"], text="changed text " * 9)
    result = store_articles(db, None, [later])
    assert result.outcomes == ["known"]
    assert set(queries.article_urls(db, first.article_ids[0])) == {
        "http://127.0.0.1:8000/alpha/a",
        *later.urls,
    }
    row = queries.get_article(db, first.article_ids[0])
    assert row is not None and row.text != later.text  # the stored article is left alone


def test_duplicates_are_counted_apart(db: Conn) -> None:
    text = "shared wire copy " * 10
    store_articles(db, None, [make_article("a", source="alpha", text=text)])
    result = store_articles(db, None, [make_article("b", source="beta", text=text)])
    assert result.outcomes == ["duplicate"]
    assert queries.count_articles(db) == 1
    assert queries.count_articles(db, include_duplicates=True) == 2
    assert queries.count_articles(db, source="beta") == 0
    assert queries.count_articles(db, source="beta", include_duplicates=True) == 1


@pytest.mark.parametrize("together", [False, True], ids=["separate batches", "one batch"])
def test_the_earliest_published_copy_is_the_original(db: Conn, together: bool) -> None:
    text = "wire story carried word for word " * 10
    later = make_article("later", source="alpha", text=text)
    earlier = make_article("earlier", source="beta", text=text)
    earliest = make_article("earliest", source="gamma", text=text)
    earlier.published_at = later.published_at - timedelta(hours=3)
    earliest.published_at = later.published_at - timedelta(hours=5)
    if together:
        store_articles(db, None, [later, earlier, earliest])
    else:
        for article in (later, earlier, earliest):
            store_articles(db, None, [article])
    rows = dict(
        db.execute(
            "SELECT a.url, o.url FROM articles a LEFT JOIN articles o ON o.id = a.duplicate_of"
        ).fetchall()
    )
    assert rows == {earliest.url: None, earlier.url: earliest.url, later.url: earliest.url}


def test_store_inside_an_open_transaction_twice(database_url: str, db: Conn) -> None:
    with connect(database_url, autocommit=False) as conn:
        conn.execute("SELECT 1")  # now in a transaction: each store becomes a savepoint
        one = store_articles(conn, None, [make_article("a")])
        two = store_articles(conn, None, [make_article("b"), make_article("a")])
        conn.commit()
    assert one.outcomes == ["stored"] and two.outcomes == ["stored", "known"]
    assert queries.count_articles(db) == 2


def test_store_refuses_an_article_without_text_hash(db: Conn) -> None:
    article = make_article("a")
    article.text_hash = b""
    with pytest.raises(NewswireError, match=r"alpha: article .*/alpha/a has no text_hash"):
        store_articles(db, None, [make_article("b"), article])
    assert table_counts(db) == (0, 0, 0)


def test_store_drops_nul_characters_postgresql_cannot_hold(db: Conn) -> None:
    article = make_article("nul", text="before\x00after " * 9)
    article.title, article.tags = "Ti\x00tle", ["t\x00ag"]
    result = store_articles(db, None, [article])
    row = queries.get_article(db, result.article_ids[0])
    assert row is not None
    assert (row.title, row.tags, row.text) == ("Title", ["tag"], "beforeafter " * 9)


def test_store_nothing(db: Conn) -> None:
    assert store_articles(db, None, []) == StoreResult(0, 0, 0, [], [])
    assert queries.gated_urls(db, [], NOW) == queries.GatedUrls(set(), set())


def _store_concurrently(url: str, batches: list[list[Article]]) -> list[StoreResult]:
    barrier = threading.Barrier(len(batches))
    results: list[StoreResult | None] = [None] * len(batches)
    errors: list[Exception] = []

    def run(index: int) -> None:
        try:
            with connect(url) as conn:
                barrier.wait(timeout=10)
                results[index] = store_articles(conn, None, batches[index])
        except Exception as exc:  # reported below: a thread cannot fail the test itself
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(batches))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return [result for result in results if result is not None]


def test_concurrent_stores_of_the_same_batch_store_it_once(database_url: str, db: Conn) -> None:
    batch = [make_article(f"s{i}", urls=[f"s{i}/amp"]) for i in range(25)]
    first, second = _store_concurrently(database_url, [batch, batch])
    assert sorted([first.stored, second.stored]) == [0, 25]
    assert sorted([first.already_known, second.already_known]) == [0, 25]
    assert first.article_ids == second.article_ids
    assert table_counts(db) == (25, 50, 25)


def test_concurrent_overlapping_stores_do_not_deadlock(database_url: str, db: Conn) -> None:
    """Crossed URLs and texts in opposite orders: the pattern that deadlocks unordered inserts."""
    for round_ in range(4):
        left = [make_article(f"r{round_}-{i}", text=f"wire {round_} {i} " * 9) for i in range(12)]
        right = [
            make_article(f"r{round_}-{i}-other", source="beta", text=f"wire {round_} {i} " * 9)
            for i in range(12)
        ][::-1] + left[::2]
        first, second = _store_concurrently(database_url, [left, right])
        assert first.stored + second.stored == 12
        assert first.duplicates + second.duplicates == 12
        assert first.already_known + second.already_known == 6
    originals = db.execute(
        "SELECT count(*), count(DISTINCT text_hash) FROM articles WHERE duplicate_of IS NULL"
    ).fetchone()
    assert originals == (48, 48)
    assert queries.count_articles(db, include_duplicates=True) == 96


# ---------------------------------------------------------------- reading


def test_source_summaries(db: Conn) -> None:
    old_run = runs.create_run(db, "alpha", "cli")
    runs.finish_run(db, old_run, "failed", {}, "timeout")
    run = runs.create_run(db, "alpha", "schedule")
    text = "one wire story " * 8
    store_articles(db, run, [make_article("a", text=text), make_article("b")])
    store_articles(db, None, [make_article("c", source="beta", text=text)])
    runs.finish_run(db, run, "succeeded", {}, None)
    only_runs = runs.create_run(db, "gamma", "api", status="queued")

    summaries = queries.source_summaries(db)
    assert sorted(summaries) == ["alpha", "beta", "gamma"]
    alpha = summaries["alpha"]
    assert (alpha.articles, alpha.duplicates, alpha.last_run_id) == (2, 0, run)
    assert alpha.last_run_status == "succeeded"
    assert alpha.last_run_finished_at is not None and alpha.last_run_finished_at.tzinfo
    beta = summaries["beta"]
    assert (beta.articles, beta.duplicates, beta.last_run_id) == (0, 1, None)
    gamma = summaries["gamma"]
    assert (gamma.articles, gamma.last_run_id, gamma.last_run_status) == (0, only_runs, "queued")
    assert gamma.last_run_finished_at is None


def test_recent_articles_newest_first_and_by_run(db: Conn) -> None:
    run_a = runs.create_run(db, "alpha", "cli")
    run_b = runs.create_run(db, "alpha", "cli")
    first = store_articles(db, run_a, [make_article("a1"), make_article("a2")])
    second = store_articles(db, run_b, [make_article("b1")])
    newest = [r.id for r in queries.recent_articles(db)]
    assert newest == [second.article_ids[0], *first.article_ids[::-1]]
    assert [r.id for r in queries.recent_articles(db, limit=1)] == newest[:1]
    by_run = queries.recent_articles(db, run_ids=[run_a])
    assert [r.id for r in by_run] == first.article_ids[::-1]
    assert queries.recent_articles(db, run_ids=[]) == []


def test_missing_rows_read_as_none(db: Conn) -> None:
    assert runs.get_run(db, 1) is None
    assert queries.get_article(db, 1) is None
    assert queries.article_html(db, 1) is None
    assert queries.article_urls(db, 1) == []
    assert queries.source_summaries(db) == {}
    assert queries.count_articles(db) == 0
