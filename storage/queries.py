"""SQL over articles: the incremental filter's lookups, the batched store, and reads.

Runs and the scheduler's locks and queue are in :mod:`storage.runs`; search in
:mod:`storage.search`.

Write functions group their statements in ``conn.transaction()``: on the autocommit
connections from :mod:`storage.connection` each call commits on its own.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import class_row

from newswire.errors import DatabaseError, NewswireError
from newswire.records import Article, ArticleRow, column_type, field_names, field_types
from storage.migrate import LOCK_NAMESPACE
from storage.stories import (
    STORE_LOCK,
    assign_stories,
    index_signatures,
    match_same_page,
    prefer_plain_urls,
)
from storage.versions import record_first_versions


@dataclass(frozen=True)
class SourceSummary:
    """Per-source counts and the latest run, for status listings."""

    source: str
    articles: int  # originals only
    duplicates: int
    last_run_id: int | None
    last_run_status: str | None
    last_run_finished_at: datetime | None


@dataclass(frozen=True)
class StoreResult:
    """What store_articles did; outcomes and article_ids follow the input order."""

    stored: int
    duplicates: int
    already_known: int
    outcomes: list[str]  # "stored" | "duplicate" | "known"
    article_ids: list[int]  # the new row, or the stored article a "known" one matched


_ARTICLE_COLUMNS = sql.SQL(", ").join(map(sql.Identifier, field_names(ArticleRow)))


def _where(conditions: list[sql.Composable]) -> sql.Composable:
    if not conditions:
        return sql.SQL("")
    return sql.SQL(" WHERE ") + sql.SQL(" AND ").join(conditions)


# ---------------------------------------------------------------- URLs


# A rejected URL is skipped for REJECTED_RETRY after its first rejection, twice that after a
# second in a row, and so on up to REJECTED_RETRY_MAX (migration 0011 says why).
REJECTED_RETRY = timedelta(hours=1)
REJECTED_RETRY_MAX = timedelta(days=7)


@dataclass(frozen=True)
class GatedUrls:
    """What the stored-URL gate skips of a batch: stored articles, and rejections not due."""

    stored: set[str]
    rejected: set[str]


def gated_urls(conn: psycopg.Connection[Any], urls: Sequence[str], now: datetime) -> GatedUrls:
    """Which of these URLs lead to a stored article, and which were rejected and are not due
    for another look at ``now``: one query per batch."""
    if not urls:
        return GatedUrls(set(), set())
    rows = conn.execute(
        "SELECT url, false FROM article_urls WHERE url = ANY(%(urls)s)"
        " UNION ALL SELECT url, true FROM rejected_urls"
        " WHERE url = ANY(%(urls)s) AND retry_after > %(now)s",
        {"urls": list(urls), "now": now},
    ).fetchall()
    return GatedUrls({url for url, rejected in rows if not rejected},
                     {url for url, rejected in rows if rejected})  # fmt: skip


def remember_rejected(
    conn: psycopg.Connection[Any], source: str, rejected: dict[str, str], now: datetime
) -> None:
    """Record a run's rejected URLs (URL -> reason) in one statement; a URL rejected again
    waits twice as long as before for its next look."""
    if not rejected:
        return
    conn.execute(
        "INSERT INTO rejected_urls AS r (url, source, reason, rejected_at, retry_after)"
        " SELECT url, %(source)s, reason, %(now)s, %(now)s + %(retry)s"
        " FROM unnest(%(urls)s::text[], %(reasons)s::text[]) AS t(url, reason)"
        " ON CONFLICT (url) DO UPDATE SET reason = excluded.reason,"
        " rejections = r.rejections + 1, rejected_at = excluded.rejected_at,"
        " retry_after = excluded.rejected_at"
        "  + least(%(retry)s * power(2, r.rejections), %(retry_max)s::interval)",
        {
            "source": source,
            "now": now,
            "retry": REJECTED_RETRY,
            "retry_max": REJECTED_RETRY_MAX,
            "urls": list(rejected),
            "reasons": list(rejected.values()),
        },
    )


# ---------------------------------------------------------------- storing articles

_PG_TYPES = {int: "int8", str: "text", bytes: "bytea", float: "float8", datetime: "timestamptz"}


def _pg_type(annotation: Any) -> str:
    """The column type of a record field."""
    value_type, is_list = column_type(annotation)
    return _PG_TYPES[value_type] + ("[]" if is_list else "")


# The staging table holds an Article's fields in declaration order between ord (its place in
# the batch) and fetched_url, and the columns the statements below fill in.
_STAGED_FIELDS = field_names(Article)
_STAGING_COLUMNS = (
    ("ord", "int4"),
    *((name, _pg_type(type_)) for name, type_ in field_types(Article).items()),
    ("fetched_url", "text"),
)
_STAGING = (
    "CREATE TEMP TABLE IF NOT EXISTS _store_batch ("
    + ", ".join(f"{name} {type_}" for name, type_ in _STAGING_COLUMNS)
    + ", via int4, article_id int8, outcome text, search_config regconfig, search tsvector)"
    + " ON COMMIT DELETE ROWS"
)
_STAGING_COPY = f"COPY _store_batch ({', '.join(n for n, _ in _STAGING_COLUMNS)}) FROM STDIN"
# An Article's fields that are articles columns (urls go to article_urls, the HTML to
# article_html), and the search vector computed in the staging table.
_ARTICLE_INPUTS = (
    *(name for name in _STAGED_FIELDS if name in field_names(ArticleRow)),
    "search_config",
    "search",
)
_INSERT_COLUMNS = ", ".join(_ARTICLE_INPUTS)
_STAGED_COLUMNS = ", ".join("b." + column for column in _ARTICLE_INPUTS)
# Search vectors cost up to ~1 ms of CPU a row: computed here, before the store lock, so
# concurrent crawls compute theirs in parallel (0002_search.sql says why not generated).
_FILL_SEARCH = """
UPDATE _store_batch SET search_config = newswire_search_config(language),
    search = newswire_search_vector(newswire_search_config(language), title, description, text)
"""
# (a) a row any of whose URLs already leads to an article is that article ("known").
_MATCH_STORED = """
UPDATE _store_batch b SET outcome = 'known', article_id = m.article_id
FROM (SELECT DISTINCT ON (b.ord) b.ord, au.article_id
      FROM _store_batch b CROSS JOIN LATERAL unnest(b.urls) AS u(url)
      JOIN article_urls au ON au.url = u.url
      ORDER BY b.ord, (au.url = b.url) DESC, au.article_id) m
WHERE b.ord = m.ord
"""
# A row sharing a URL with an earlier row of the batch is known through it, as if stored apart.
_MATCH_EARLIER = """
UPDATE _store_batch b SET outcome = 'known', via = m.via
FROM (SELECT DISTINCT ON (l.ord) l.ord, e.ord AS via
      FROM _store_batch l CROSS JOIN LATERAL unnest(l.urls) AS lu(url),
           _store_batch e CROSS JOIN LATERAL unnest(e.urls) AS eu(url)
      WHERE l.outcome IS NULL AND e.ord < l.ord AND eu.url = lu.url
      ORDER BY l.ord, e.ord) m
WHERE b.ord = m.ord
"""
# (b) originals; the first of a batch wins a text_hash, and each pending URL is distinct here.
_INSERT_ORIGINALS = f"""
WITH ins AS (
    INSERT INTO articles ({_INSERT_COLUMNS}, run_id)
    SELECT {_INSERT_COLUMNS}, %s FROM _store_batch WHERE outcome IS NULL ORDER BY ord
    ON CONFLICT DO NOTHING RETURNING id, url)
UPDATE _store_batch b SET outcome = 'stored', article_id = ins.id
FROM ins WHERE b.url = ins.url AND b.outcome IS NULL
"""
# A loser on url (only when article_urls missed it) is that article.
_MATCH_URL = """
UPDATE _store_batch b SET outcome = 'known', article_id = a.id
FROM articles a WHERE b.outcome IS NULL AND a.url = b.url
"""
# A loser on text_hash whose text is already stored in its own source is another URL of that
# article (a query variant, a print or AMP page, a comment page of one article), not a new row.
_MATCH_SAME_SOURCE = """
UPDATE _store_batch b SET outcome = 'known', article_id = m.id
FROM (SELECT DISTINCT ON (b.ord) b.ord, c.id
      FROM _store_batch b
      JOIN articles o ON o.text_hash = b.text_hash AND o.duplicate_of IS NULL
      JOIN articles c ON (c.id = o.id OR c.duplicate_of = o.id) AND c.source = b.source
      WHERE b.outcome IS NULL ORDER BY b.ord, c.id) m
WHERE b.ord = m.ord
"""
# (c) a loser on text_hash is kept as a copy pointing at the original.
_INSERT_DUPLICATES = f"""
WITH ins AS (
    INSERT INTO articles ({_INSERT_COLUMNS}, run_id, duplicate_of)
    SELECT {_STAGED_COLUMNS}, %s, o.id
    FROM _store_batch b JOIN articles o ON o.text_hash = b.text_hash AND o.duplicate_of IS NULL
    WHERE b.outcome IS NULL ORDER BY b.ord
    ON CONFLICT DO NOTHING RETURNING id, url)
UPDATE _store_batch b SET outcome = 'duplicate', article_id = ins.id
FROM ins WHERE b.url = ins.url AND b.outcome IS NULL
"""
# The earliest-published copy of a text is its original, whatever order the crawls found them
# in: a new copy published before the stored original takes its place, and the old one (with
# its copies) now points at it. Two statements: one original per text_hash at every moment.
_DEMOTE_LATER_ORIGINALS = """
WITH promote AS (
    SELECT DISTINCT ON (o.id) o.id AS old_id, d.id AS new_id
    FROM _store_batch b JOIN articles d ON d.id = b.article_id
    JOIN articles o ON o.id = d.duplicate_of
    WHERE b.outcome = 'duplicate' AND d.published_at < o.published_at
    ORDER BY o.id, d.published_at, d.id)
UPDATE articles a SET duplicate_of = p.new_id FROM promote p
WHERE (a.id = p.old_id OR a.duplicate_of = p.old_id) AND a.id <> p.new_id
RETURNING p.new_id
"""
_PROMOTE = "UPDATE articles SET duplicate_of = NULL WHERE id = ANY(%s)"
_FOLLOW_VIA = """
UPDATE _store_batch b SET article_id = e.article_id FROM _store_batch e
WHERE b.via = e.ord AND b.article_id IS NULL AND e.article_id IS NOT NULL
"""
# (d) every URL of every row leads to its article; the earliest row wins a shared URL.
_INSERT_URLS = """
INSERT INTO article_urls (url, article_id)
SELECT DISTINCT ON (u.url) u.url, b.article_id
FROM _store_batch b CROSS JOIN LATERAL unnest(b.urls) AS u(url)
ORDER BY u.url, b.ord
ON CONFLICT DO NOTHING
"""
# (f) the signature of every new row, for its story (storage.stories).
_INSERT_SIGNATURES = """
INSERT INTO article_signatures (article_id, signature, shingles)
SELECT article_id, signature, shingles FROM _store_batch
WHERE outcome IN ('stored', 'duplicate') AND cardinality(signature) > 0
ON CONFLICT DO NOTHING
"""
# (e) raw HTML of every new row.
_INSERT_HTML = """
INSERT INTO article_html (article_id, fetched_url, encoding, html_zlib)
SELECT article_id, fetched_url, encoding, html_zlib FROM _store_batch
WHERE outcome IN ('stored', 'duplicate')
ON CONFLICT DO NOTHING
"""


def _without_nul(value: Any) -> Any:
    """PostgreSQL text cannot hold NUL: a stray one must not sink a whole batch."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    return value


def _staging_row(ord_: int, article: Article) -> tuple[Any, ...]:
    if not article.text_hash:
        raise NewswireError(
            f"source {article.source}: article {article.url} has no text_hash; "
            "DedupPipeline must run before the store"
        )
    values = {name: getattr(article, name) for name in _STAGED_FIELDS}
    values["urls"] = list(dict.fromkeys([article.url, *article.urls]))
    # fetched_url: the canonical URL the HTML was extracted under
    return tuple(_without_nul(value) for value in (ord_, *values.values(), article.url))


def store_articles(
    conn: psycopg.Connection[Any], run_id: int | None, articles: Sequence[Article]
) -> StoreResult:
    """Store a batch in one transaction; idempotent, and a repeated text is kept as a copy."""
    if not articles:
        return StoreResult(0, 0, 0, [], [])
    rows = [_staging_row(i, article) for i, article in enumerate(articles)]
    with conn.transaction():
        conn.execute("SET LOCAL jit = off")  # short statements: JIT compiling costs more (stories)
        conn.execute(_STAGING)
        conn.execute("DELETE FROM _store_batch")  # a caller's outer transaction may hold rows
        with conn.cursor() as cur, cur.copy(_STAGING_COPY) as copy:
            copy.set_types([type_ for _, type_ in _STAGING_COLUMNS])
            for row in rows:
                copy.write_row(row)
        conn.execute(_FILL_SEARCH)
        # Inserts touch three unique indexes in orders no sorting can agree on for every pair
        # of batches, so concurrent stores could deadlock: they queue here instead (ms each).
        conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, STORE_LOCK])
        conn.execute(_MATCH_STORED)
        conn.execute(_MATCH_EARLIER)
        match_same_page(conn)  # ?p=2 of a stored article, its text a near-copy: that article
        conn.execute(_INSERT_ORIGINALS, [run_id])
        conn.execute(_MATCH_URL)
        conn.execute(_MATCH_SAME_SOURCE)
        conn.execute(_INSERT_DUPLICATES, [run_id])
        promoted = {row[0] for row in conn.execute(_DEMOTE_LATER_ORIGINALS)}
        if promoted:
            conn.execute(_PROMOTE, [sorted(promoted)])
        while conn.execute(_FOLLOW_VIA).rowcount:
            pass
        placed = conn.execute(
            "SELECT outcome, article_id FROM _store_batch ORDER BY ord"
        ).fetchall()
        missing = [articles[i].url for i, (_, found) in enumerate(placed) if found is None]
        if missing:
            raise DatabaseError(
                f"run {run_id}: could not place {len(missing)} articles (first {missing[0]}); "
                "another writer changed them meanwhile: run the crawl again"
            )
        prefer_plain_urls(conn)
        conn.execute(_INSERT_URLS)
        conn.execute(_INSERT_HTML)
        record_first_versions(conn)
        new_ids = [int(i) for outcome, i in placed if outcome in ("stored", "duplicate")]
        conn.execute(_INSERT_SIGNATURES)
        index_signatures(conn, new_ids)
        assign_stories(conn, new_ids)  # under the store lock: one assignment at a time
    outcomes = [outcome for outcome, _ in placed]
    return StoreResult(
        stored=outcomes.count("stored"),
        duplicates=outcomes.count("duplicate"),
        already_known=outcomes.count("known"),
        outcomes=outcomes,
        article_ids=[int(article_id) for _, article_id in placed],
    )


# ---------------------------------------------------------------- reading articles


def source_summaries(conn: psycopg.Connection[Any]) -> dict[str, SourceSummary]:
    """Article counts and the latest run of every source that has either."""
    query = """
    WITH counts AS (
        SELECT source,
               count(*) FILTER (WHERE duplicate_of IS NULL) AS articles,
               count(*) FILTER (WHERE duplicate_of IS NOT NULL) AS duplicates
        FROM articles GROUP BY source),
    last_runs AS (
        SELECT DISTINCT ON (source) source, id, status, finished_at
        FROM crawl_runs ORDER BY source, id DESC)
    SELECT source, coalesce(c.articles, 0) AS articles, coalesce(c.duplicates, 0) AS duplicates,
           r.id AS last_run_id, r.status AS last_run_status, r.finished_at AS last_run_finished_at
    FROM counts c FULL JOIN last_runs r USING (source)
    ORDER BY source
    """
    with conn.cursor(row_factory=class_row(SourceSummary)) as cur:
        return {row.source: row for row in cur.execute(query)}


def get_article(conn: psycopg.Connection[Any], article_id: int) -> ArticleRow | None:
    """One article by id."""
    query = sql.SQL("SELECT {} FROM articles WHERE id = %s").format(_ARTICLE_COLUMNS)
    with conn.cursor(row_factory=class_row(ArticleRow)) as cur:
        return cur.execute(query, [article_id]).fetchone()


def article_urls(conn: psycopg.Connection[Any], article_id: int) -> list[str]:
    """Every URL known to lead to an article, in the order they were first seen."""
    rows = conn.execute(
        "SELECT url FROM article_urls WHERE article_id = %s ORDER BY first_seen, url",
        [article_id],
    )
    return [row[0] for row in rows]


def recent_articles(
    conn: psycopg.Connection[Any], *, limit: int = 5, run_ids: Sequence[int] | None = None
) -> list[ArticleRow]:
    """The most recently stored articles (copies included), optionally from some runs only."""
    conditions: list[sql.Composable] = []
    params: list[Any] = []
    if run_ids is not None:
        conditions.append(sql.SQL("run_id = ANY(%s)"))
        params.append(list(run_ids))
    query = sql.SQL("SELECT {} FROM articles{} ORDER BY id DESC LIMIT %s").format(
        _ARTICLE_COLUMNS, _where(conditions)
    )
    with conn.cursor(row_factory=class_row(ArticleRow)) as cur:
        return cur.execute(query, [*params, limit]).fetchall()


def count_articles(
    conn: psycopg.Connection[Any], *, source: str | None = None, include_duplicates: bool = False
) -> int:
    """How many articles are stored, of one source or all, originals only by default."""
    conditions: list[sql.Composable] = []
    params: list[Any] = []
    if source is not None:
        conditions.append(sql.SQL("source = %s"))
        params.append(source)
    if not include_duplicates:
        conditions.append(sql.SQL("duplicate_of IS NULL"))
    query = sql.SQL("SELECT count(*) FROM articles{}").format(_where(conditions))
    row = conn.execute(query, params).fetchone()
    return int(row[0]) if row is not None else 0


def article_html(conn: psycopg.Connection[Any], article_id: int) -> bytes | None:
    """The raw HTML an article was extracted from, decompressed, for re-extraction."""
    row = conn.execute(
        "SELECT html_zlib FROM article_html WHERE article_id = %s", [article_id]
    ).fetchone()
    return None if row is None else zlib.decompress(row[0])


def article_html_text(conn: psycopg.Connection[Any], article_id: int) -> str | None:
    """The raw HTML as text, decoded with the encoding extraction used, for reading it (the
    article page serves it as text/plain, never as a page)."""
    row = conn.execute(
        "SELECT html_zlib, encoding FROM article_html WHERE article_id = %s", [article_id]
    ).fetchone()
    if row is None:
        return None
    try:
        return zlib.decompress(row[0]).decode(row[1], errors="replace")
    except LookupError:  # an encoding name this Python does not know
        return zlib.decompress(row[0]).decode("utf-8", errors="replace")


# ---------------------------------------------------------------- reading: show, stats, metrics
# Read-only queries behind `newswire show/stats` and the HTTP API (search lives in search.py).


@dataclass(frozen=True)
class DayCount:
    """Articles of one source published on one UTC day."""

    source: str
    day: date
    articles: int  # originals only
    duplicates: int


@dataclass(frozen=True)
class LanguageCount:
    """Stored articles in one language (None: the extractor could not tell)."""

    language: str | None
    articles: int
    duplicates: int


@dataclass(frozen=True)
class ArticleCopy:
    """Another member of an article's story: its original, an exact copy or a near-copy."""

    id: int
    source: str
    url: str
    published_at: datetime | None
    similarity: float | None  # estimated Jaccard similarity of the texts; None: one unsigned


@dataclass(frozen=True)
class RunDurations:
    """Finished crawl durations of one source as cumulative counts per upper bound (seconds)."""

    source: str
    buckets: list[int]  # runs at or under each bound, in the order of the bounds given
    count: int
    total_seconds: float


def article_id_for_url(conn: psycopg.Connection[Any], url: str) -> int | None:
    """The article a URL leads to (any URL it was reached by, or its canonical one)."""
    row = conn.execute(
        "SELECT article_id FROM article_urls WHERE url = %s"
        " UNION ALL SELECT id FROM articles WHERE url = %s LIMIT 1",
        [url, url],
    ).fetchone()
    return None if row is None else int(row[0])


def article_copies(conn: psycopg.Connection[Any], article: ArticleRow) -> list[ArticleCopy]:
    """The other members of an article's story (storage.stories), oldest first, with how
    similar each text is to this one's."""
    query = """
    SELECT a.id, a.source, a.url, a.published_at,
           CASE WHEN a.text_hash = self.text_hash THEN 1.0
                ELSE newswire_jaccard(me.signature, s.signature) END AS similarity
    FROM articles self
    JOIN articles a ON a.story_id = coalesce(self.story_id, self.id) AND a.id <> self.id
    LEFT JOIN article_signatures me ON me.article_id = self.id
    LEFT JOIN article_signatures s ON s.article_id = a.id
    WHERE self.id = %s ORDER BY a.published_at NULLS LAST, a.url
    """
    with conn.cursor(row_factory=class_row(ArticleCopy)) as cur:
        return cur.execute(query, [article.id]).fetchall()


def articles_per_day(conn: psycopg.Connection[Any], *, days: int, now: datetime) -> list[DayCount]:
    """Articles per source and publication day (UTC) over the last ``days`` days."""
    with conn.cursor(row_factory=class_row(DayCount)) as cur:
        return cur.execute(
            "SELECT source, (published_at AT TIME ZONE 'UTC')::date AS day,"
            " count(*) FILTER (WHERE duplicate_of IS NULL) AS articles,"
            " count(*) FILTER (WHERE duplicate_of IS NOT NULL) AS duplicates"
            " FROM articles WHERE published_at >= %s AND published_at <= %s"
            " GROUP BY 1, 2 ORDER BY 2 DESC, 1",
            [now - timedelta(days=days), now],
        ).fetchall()


def language_counts(conn: psycopg.Connection[Any]) -> list[LanguageCount]:
    """Stored articles per language, most frequent first."""
    with conn.cursor(row_factory=class_row(LanguageCount)) as cur:
        return cur.execute(
            "SELECT language, count(*) FILTER (WHERE duplicate_of IS NULL) AS articles,"
            " count(*) FILTER (WHERE duplicate_of IS NOT NULL) AS duplicates"
            " FROM articles GROUP BY language ORDER BY articles DESC, language"
        ).fetchall()


def run_status_counts(conn: psycopg.Connection[Any]) -> list[tuple[str, str, int]]:
    """(source, status, runs) for every pair that occurs."""
    rows = conn.execute(
        "SELECT source, status, count(*) FROM crawl_runs GROUP BY 1, 2 ORDER BY 1, 2"
    ).fetchall()
    return [(source, status, int(runs)) for source, status, runs in rows]


def last_successes(conn: psycopg.Connection[Any]) -> dict[str, datetime]:
    """When each source's latest successful run finished."""
    rows = conn.execute(
        "SELECT source, max(finished_at) FROM crawl_runs"
        " WHERE status = 'succeeded' AND finished_at IS NOT NULL GROUP BY source ORDER BY source"
    ).fetchall()
    return {source: finished for source, finished in rows}


def run_durations(conn: psycopg.Connection[Any], bounds: Sequence[float]) -> list[RunDurations]:
    """Histogram of finished runs' durations per source, counted in the database."""
    rows = conn.execute(
        "WITH d AS (SELECT source, extract(epoch FROM finished_at - started_at)::float8 AS s"
        "           FROM crawl_runs WHERE finished_at IS NOT NULL AND started_at IS NOT NULL)"
        " SELECT source, array_agg(n ORDER BY i), max(total_n), max(total_s) FROM ("
        "  SELECT d.source, b.i, count(*) FILTER (WHERE d.s <= b.bound) AS n,"
        "         count(*) AS total_n, sum(d.s) AS total_s"
        "  FROM d CROSS JOIN unnest(%s::float8[]) WITH ORDINALITY AS b(bound, i)"
        "  GROUP BY d.source, b.i) x GROUP BY source ORDER BY source",
        [list(bounds)],
    ).fetchall()
    return [
        RunDurations(source, [int(n) for n in counts], int(total), float(seconds or 0.0))
        for source, counts, total, seconds in rows
    ]


# ---------------------------------------------------------------- finding one article


def find_article(conn: psycopg.Connection[Any], ref: int | Sequence[str]) -> ArticleRow | None:
    """An article by id, or by the first of some URLs that leads to one: `newswire show`
    takes either, and tries a URL canonical first, then as the user typed it."""
    if isinstance(ref, int):
        return get_article(conn, ref)
    for url in ref:
        article_id = article_id_for_url(conn, url)
        if article_id is not None:
            return get_article(conn, article_id)
    return None
