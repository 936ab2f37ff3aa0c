"""storage.stories: near-copies linked into one story, whatever the order or concurrency."""

from __future__ import annotations

import random
import threading
import time
import zlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from newswire.records import Article
from newswire.samplesite.syndication import (
    COMMENT_PAGES,
    COMMENTED_KEY,
    Copy,
    discussion_line,
    traps,
    wire_copies,
)
from pipelines.dedup import fingerprint_text, sign_text
from storage import queries, stories
from storage.connection import connect
from storage.queries import store_articles

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
Conn = psycopg.Connection[Any]
PAGES = (*wire_copies(), *traps())


def make_article(page: Copy, position: int) -> Article:
    """A page of the test bed on an outlet of its own, published ``position`` hours late."""
    url = f"http://127.0.0.1:8000/outlet{position}/{page.key}"
    signature, shingles = sign_text(page.text)
    return Article(
        source=f"outlet{position}",
        url=url,
        urls=[url],
        title=page.title,
        authors=[],
        published_at=NOW + timedelta(hours=position),
        language="en",
        site_name=None,
        description=None,
        categories=[],
        tags=[],
        text=page.text,
        html_zlib=zlib.compress(page.text.encode()),
        encoding="utf-8",
        fetched_at=NOW,
        text_hash=fingerprint_text(page.text),
        signature=signature,
        shingles=shingles,
    )


ARTICLES = [make_article(page, i) for i, page in enumerate(PAGES)]


def story_originals(conn: Conn) -> dict[str, str]:
    """Each stored URL and the URL of its story's original."""
    rows = conn.execute(
        "SELECT a.url, o.url FROM articles a JOIN articles o ON o.id = a.story_id"
    ).fetchall()
    return dict(rows)


def expected_originals() -> dict[str, str]:
    wire = next(a.url for a, p in zip(ARTICLES, PAGES, strict=True) if p.key == "wire")
    return {a.url: (wire if p.story else a.url) for a, p in zip(ARTICLES, PAGES, strict=True)}


def empty(conn: Conn) -> None:
    conn.execute("TRUNCATE articles, article_urls, crawl_runs RESTART IDENTITY CASCADE")


@pytest.mark.parametrize("batch_size", [1, 4, len(ARTICLES)])
def test_copies_are_one_story_and_traps_stand_alone(db: Conn, batch_size: int) -> None:
    for start in range(0, len(ARTICLES), batch_size):
        store_articles(db, None, ARTICLES[start : start + batch_size])
    assert story_originals(db) == expected_originals()
    assert stories.count_stories(db) == (1 + len(traps()), len(PAGES))


def test_clusters_do_not_depend_on_arrival_order(db: Conn) -> None:
    results = []
    for seed in range(3):
        order = ARTICLES[:]
        random.Random(seed).shuffle(order)
        for start in range(0, len(order), 3):
            store_articles(db, None, order[start : start + 3])
        results.append(story_originals(db))
        empty(db)
    reversed_order = ARTICLES[::-1]
    for article in reversed_order:
        store_articles(db, None, [article])
    results.append(story_originals(db))
    assert all(result == expected_originals() for result in results)


def test_an_earlier_copy_becomes_the_original_of_a_stored_story(db: Conn) -> None:
    late = [a for a, p in zip(ARTICLES, PAGES, strict=True) if p.story and p.key != "wire"]
    store_articles(db, None, late)
    first_late = min(late, key=lambda a: a.published_at or NOW)
    assert set(story_originals(db).values()) == {first_late.url}
    store_articles(db, None, [ARTICLES[0]])  # the wire story, published before them all
    assert set(story_originals(db).values()) == {ARTICLES[0].url}


def story_halves() -> tuple[list[Article], list[Article]]:
    """The wire story's copies in two halves, its exact copies with the original: the second
    half holds near copies only, which no unique index makes wait for the first half."""
    copies = [a for a, p in zip(ARTICLES, PAGES, strict=True) if p.story]
    exact = [a for a in copies if a.text_hash == ARTICLES[0].text_hash]
    near = [a for a in copies if a not in exact]
    assert len(exact) == 3 and len(near) == 6
    return exact + near[0::2], near[1::2]


def test_concurrent_stores_of_one_story_end_in_one_cluster(database_url: str, db: Conn) -> None:
    halves = list(story_halves())
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def run(batch: list[Article]) -> None:
        try:
            with connect(database_url) as conn:
                barrier.wait(timeout=10)
                store_articles(conn, None, batch)
        except (psycopg.Error, threading.BrokenBarrierError) as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(half,)) for half in halves]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert set(story_originals(db).values()) == {ARTICLES[0].url}


def waiting_on_a_lock(conn: Conn) -> bool:
    row = conn.execute(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    ).fetchone()
    return row is not None and row[0] > 0


def test_a_store_waiting_for_another_links_into_its_uncommitted_story(
    database_url: str, db: Conn
) -> None:
    # The interleaving the barrier above may miss: the second store starts while the first
    # has written its copies but not committed; it must wait for them, not miss them.
    first_half, second_half = story_halves()
    errors: list[Exception] = []

    def second() -> None:
        try:
            with connect(database_url) as conn:
                store_articles(conn, None, second_half)
        except psycopg.Error as exc:
            errors.append(exc)

    thread = threading.Thread(target=second)
    with connect(database_url) as first, first.transaction():
        store_articles(first, None, first_half)
        thread.start()
        deadline = time.monotonic() + 10
        while not waiting_on_a_lock(db) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert waiting_on_a_lock(db), "the second store should wait for the first's lock"
    thread.join(timeout=60)
    assert errors == []
    assert set(story_originals(db).values()) == {ARTICLES[0].url}


def test_story_copies_list_the_other_members_with_similarity(db: Conn) -> None:
    result = store_articles(db, None, ARTICLES)
    wire = queries.get_article(db, result.article_ids[0])
    assert wire is not None
    copies = queries.article_copies(db, wire)
    members = [a for a, p in zip(ARTICLES, PAGES, strict=True) if p.story and p.key != "wire"]
    assert [c.url for c in copies] == [a.url for a in members]
    assert all(c.similarity is not None and 0.8 <= c.similarity <= 1.0 for c in copies)
    trap = queries.get_article(db, result.article_ids[len(wire_copies())])
    assert trap is not None and queries.article_copies(db, trap) == []


def test_unsigned_exact_copies_still_share_a_story(db: Conn) -> None:
    first, second = (make_article(PAGES[0], i) for i in (1, 2))
    for article in (first, second):
        article.signature, article.shingles = [], 0
    result = store_articles(db, None, [second, first])
    assert result.outcomes == ["stored", "duplicate"]
    assert set(story_originals(db).values()) == {first.url}


@pytest.mark.parametrize(
    ("links", "groups"),
    [
        ([], {1: 1, 2: 2}),
        ([(1, 2)], {1: 1, 2: 1}),
        ([(3, 2), (2, 1), (5, 4)], {1: 1, 2: 1, 3: 1, 4: 4, 5: 4}),
    ],
)
def test_groups_are_connected_components(
    links: list[tuple[int, int]], groups: dict[int, int]
) -> None:
    assert stories._groups([1, 2], links) == groups


# ---------------------------------------------------------------- same-page aliases

COLUMN = next(p for p in PAGES if p.key == COMMENTED_KEY)
PLAIN = "http://127.0.0.1:8000/planet/notebook/"


def comment_page(page: int, url: str = PLAIN, source: str = "planet") -> Article:
    """The commented column as its comment page ``page`` serves it: the discussion line's
    comment count and page number differ from every other page's."""
    text = replace(COLUMN, paragraphs=(*COLUMN.paragraphs, discussion_line(page)))
    url = url if page == 1 else f"{url}?p={page}"
    return replace(make_article(text, 0), source=source, url=url, urls=[url], published_at=NOW)


def url_leads(conn: Conn) -> dict[str, str]:
    """Each stored URL and the URL of the article it leads to."""
    rows = conn.execute(
        "SELECT u.url, a.url FROM article_urls u JOIN articles a ON a.id = u.article_id"
    ).fetchall()
    return dict(rows)


VARIANTS = [comment_page(n) for n in (1, *COMMENT_PAGES)]


@pytest.mark.parametrize(
    "order",
    [[0, 1, 2, 3], [1, 2, 3, 0], [3, 0, 2, 1]],
    ids=["plain first", "plain last", "mixed"],
)
@pytest.mark.parametrize("batch_size", [1, 4])
def test_comment_pages_are_one_article_with_every_url(
    db: Conn, order: list[int], batch_size: int
) -> None:
    articles = [VARIANTS[i] for i in order]
    assert len({a.text_hash for a in articles}) == 4, "each page's text differs a little"
    for start in range(0, len(articles), batch_size):
        store_articles(db, None, articles[start : start + batch_size])
    assert url_leads(db) == {a.url: PLAIN for a in VARIANTS}
    assert stories.count_stories(db) == (1, 1)


def test_another_query_with_another_text_is_another_article(db: Conn) -> None:
    other = make_article(next(p for p in PAGES if p.key == "column-1"), 0)
    post = replace(other, source="planet", url=f"{PLAIN}?p=9", urls=[f"{PLAIN}?p=9"])
    store_articles(db, None, [VARIANTS[0], post])  # index.php?p=N: one page, many articles
    assert url_leads(db) == {PLAIN: PLAIN, post.url: post.url}


def test_a_near_copy_on_another_source_is_a_copy_not_an_alias(db: Conn) -> None:
    elsewhere = comment_page(2, "http://127.0.0.1:8001/meridian/notebook/", "meridian")
    store_articles(db, None, [VARIANTS[0], elsewhere])
    assert set(url_leads(db)) == {PLAIN, elsewhere.url}
    assert story_originals(db) == {PLAIN: PLAIN, elsewhere.url: PLAIN}


def test_unsigned_variants_stay_apart(db: Conn) -> None:
    unsigned = [replace(a, signature=[], shingles=0) for a in VARIANTS[:2]]
    store_articles(db, None, unsigned)  # NEWSWIRE_DEDUP_NEAR off: exact texts only
    assert url_leads(db) == {a.url: a.url for a in unsigned}


def test_the_lookup_reads_and_verifies_within_its_bounds(db: Conn) -> None:
    copies = [a for a, p in zip(ARTICLES, PAGES, strict=True) if p.story]
    ids = store_articles(db, None, copies).article_ids

    def linked_from_wire(bounds: stories.LookupBounds) -> set[int]:
        return {b for a, b in stories.find_links(db, [ids[0]], bounds) if a == ids[0]}

    assert linked_from_wire(stories.BOUNDS) == set(ids[1:])  # every copy, from the wire's side
    assert len(linked_from_wire(stories.LookupBounds(verified=2))) == 2
    one_posting = linked_from_wire(stories.LookupBounds(postings=1))
    assert one_posting and len(one_posting) < len(ids) - 1
