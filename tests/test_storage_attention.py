"""Attention over time (storage/attention.py) on the crawled sample site: the counts are the
search's own matches, per day and outlet, undated ones apart."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import psycopg
import pytest

from storage.attention import Attention, count_attention, story_sizes
from storage.connection import connect
from storage.search import Filters, SearchRequest, parse_when, search_articles
from tests.conftest import Corpus


def _all_matches(conn: psycopg.Connection[Any], query: str | None, filters: Filters) -> list[int]:
    ids, after = [], None
    while True:
        page = search_articles(conn, SearchRequest(query, filters, "date", 100, after))
        ids += [hit.id for hit in page.hits]
        if page.next_key is None:
            return ids
        after = page.next_key


@pytest.mark.parametrize(
    ("query", "filters"),
    [
        (None, Filters()),
        (None, Filters(copies=True)),
        ("korea", Filters()),
        ("officials OR minister", Filters(sources=("planet", "meridian"), language="en")),
        (None, Filters(since=parse_when("2000-01-01", name="since"), sources=("europa",))),
    ],
)
def test_counts_are_the_searchs_matches(
    crawled_corpus: Corpus, query: str | None, filters: Filters
) -> None:
    with connect(crawled_corpus.database_url) as conn:
        attention = count_attention(conn, query, filters)
        ids = _all_matches(conn, query, filters)
        rows = conn.execute(
            "SELECT (published_at AT TIME ZONE 'UTC')::date, source FROM articles"
            " WHERE id = ANY(%s)",
            [ids],
        ).fetchall()
    assert ids and attention.total == len(ids)
    expected = Counter((day, source) for day, source in rows if day is not None)
    assert {(c.day, c.source): c.articles for c in attention.counts} == dict(expected)
    assert attention.undated == sum(1 for day, _ in rows if day is None)
    by_outlet = attention.by_outlet()
    assert [n for _, n in by_outlet] == sorted((n for _, n in by_outlet), reverse=True)


def _per_day(attention: Attention) -> Counter[date]:
    totals: Counter[date] = Counter()
    for count in attention.counts:
        totals[count.day] += count.articles
    return totals


def test_outlets_past_the_cut_are_counted_together(crawled_corpus: Corpus) -> None:
    with connect(crawled_corpus.database_url) as conn:
        every = count_attention(conn, None, Filters())
        folded = count_attention(conn, None, Filters(), outlets=2)
    ranked = every.by_outlet()
    assert len(ranked) > 2
    assert folded.by_outlet() == ranked[:2]
    assert (folded.total, folded.undated) == (every.total, every.undated)
    assert _per_day(folded) == _per_day(every)
    together = sum(c.articles for c in folded.counts if c.source is None)
    assert together == sum(n for _, n in ranked[2:]) > 0


def test_story_sizes_count_every_member(crawled_corpus: Corpus) -> None:
    with connect(crawled_corpus.database_url) as conn:
        stories = dict(
            conn.execute("SELECT story_id, count(*) FROM articles GROUP BY story_id").fetchall()
        )
        sizes = story_sizes(conn, [*stories, *stories, 999_999])
    assert sizes == {**stories, 999_999: 0}
    assert max(stories.values()) > 1  # the syndicated wire story has copies
