"""Attention over time: how many articles match a search, per publication day and per outlet.

The search page's chart and its top outlets (Media Cloud's "attention over time") count the
same matches :func:`storage.search.search_articles` pages through: the same query plan and
the same :class:`storage.search.Filters`, through :func:`storage.search.where_clause`, so a
bar never counts an article the result list would not show. Counting runs in the database
(one GROUP BY over the matches), never over fetched rows, and can fold every outlet beyond
the busiest few into one count a day: a year of 100,000 articles in 1,000 outlets is 87,000
(day, outlet) pairs, whose fetching cost the page more than counting them (bench/web_bench.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import psycopg
from psycopg import sql

from storage.search import Filters, plan_query, where_clause


@dataclass(frozen=True)
class DayOutletCount:
    """Matching articles of one outlet published on one UTC day; source None: the outlets
    that were not counted apart (see count_attention), together."""

    day: date
    source: str | None
    articles: int


@dataclass(frozen=True)
class Attention:
    """Every (day, outlet) count of a search's dated matches, and how many matches have no
    publication date (they cannot go on a time axis; the page says how many)."""

    counts: list[DayOutletCount]
    undated: int

    @property
    def total(self) -> int:
        """Matches in all, dated or not."""
        return self.undated + sum(count.articles for count in self.counts)

    def by_outlet(self) -> list[tuple[str, int]]:
        """Dated matches per outlet counted apart, most first (ties in name order)."""
        totals: dict[str, int] = {}
        for count in self.counts:
            if count.source is not None:
                totals[count.source] = totals.get(count.source, 0) + count.articles
        return sorted(totals.items(), key=lambda item: (-item[1], item[0]))


# One grouping of the matches by day and outlet; the outlets with the most dated matches (ties
# in byte order, as Python sorts names; LIMIT NULL keeps all) keep their names, the others are
# summed per day under source NULL.
_COUNTS = """
WITH m AS MATERIALIZED (
    SELECT (a.published_at AT TIME ZONE 'UTC')::date AS day, a.source, count(*) AS n
    FROM articles a WHERE {where}
    GROUP BY 1, 2),
top AS (
    SELECT source FROM m WHERE day IS NOT NULL GROUP BY source
    ORDER BY sum(n) DESC, source COLLATE "C" LIMIT %s)
SELECT m.day, CASE WHEN m.source IN (SELECT source FROM top) THEN m.source END AS source,
       sum(m.n)::bigint AS articles
FROM m GROUP BY 1, 2 ORDER BY 1 NULLS FIRST, 2 NULLS LAST
"""


def count_attention(
    conn: psycopg.Connection[Any],
    query: str | None,
    filters: Filters,
    *,
    outlets: int | None = None,
) -> Attention:
    """Per-day, per-outlet counts of the articles a search matches (query None: every
    article the filters keep), undated matches counted apart. With ``outlets``, only that
    many outlets (those with the most dated matches) are counted apart; the others are
    counted together a day, as source None, so the totals stay exact."""
    plan = plan_query(conn, query, filters.language) if query else None
    where, params = where_clause(filters, plan)
    statement = sql.SQL(_COUNTS).format(where=where)
    rows: Sequence[tuple[date | None, str | None, int]] = conn.execute(
        statement, [*params, outlets], prepare=False
    ).fetchall()
    undated = sum(int(n) for day, _, n in rows if day is None)
    counts = [DayOutletCount(day, source, int(n)) for day, source, n in rows if day is not None]
    return Attention(counts, undated)


def story_sizes(conn: psycopg.Connection[Any], story_ids: Sequence[int]) -> dict[int, int]:
    """How many articles each of these stories has (its original and every copy): the
    "copies" column of a result list, one indexed count per story."""
    rows = conn.execute(
        "SELECT s.id, (SELECT count(*) FROM articles a WHERE a.story_id = s.id)"
        " FROM unnest(%s::bigint[]) AS s(id)",
        [list(dict.fromkeys(story_ids))],
    ).fetchall()
    return {int(story): int(n) for story, n in rows}
