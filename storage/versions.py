"""SQL over article versions and the refetch schedule (migration 0007_versions.sql).

Every article has versions: the first is written with the article by
:func:`record_first_versions` (inside ``store_articles``' transaction), later ones by
:func:`add_version` and :func:`mark_removed` when a refetch finds a change. The articles row
always shows the latest content. The refetch schedule (``article_refetch``) says when each
article is next due; :func:`due_refetches` is the per-run query the crawl asks.

Classifying a change is not SQL: the store stage reads :func:`lock_latest`, compares with
``pipelines.changes`` and writes the outcome here, all in one transaction.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import class_row

from newswire.records import (
    Article,
    ArticleMetadata,
    ChangeKind,
    Refetch,
    Version,
    VersionContent,
    field_names,
)
from storage.search import Filters, plan_query, where_clause

# The article_versions columns a Version reads (has_html is whether the row keeps its own HTML).
_VERSION_SELECT = sql.SQL(", ").join(
    sql.SQL("html_zlib IS NOT NULL AS has_html") if name == "has_html" else sql.Identifier(name)
    for name in field_names(Version)
)
# The content columns a new version copies from its Article (or, for a removal, from the last).
_CONTENT = field_names(VersionContent)
_CONTENT_COLUMNS = ", ".join(_CONTENT)  # plain names, from the record
# Everything else a refetch may have re-read about the page; written to the articles row.
_METADATA = tuple(n for n in field_names(ArticleMetadata) if n not in _CONTENT)
# The kinds of a version that ends an article (it holds no page of its own).
_ENDINGS = f"ARRAY['{ChangeKind.REMOVED}', '{ChangeKind.REDIRECTED}']"


@dataclass(frozen=True)
class VersionCount:
    """Per source: articles with more than one content version, and articles removed."""

    source: str
    changed: int
    removed: int


def list_versions(conn: psycopg.Connection[Any], article_id: int) -> list[Version]:
    """Every version of an article, oldest first ([] for an unknown id): what ``show
    --versions``, ``GET /articles/{id}/versions`` and the article page list, each diffing a
    version against the one before it with ``pipelines.changes.word_diff``."""
    query = sql.SQL(
        "SELECT {} FROM article_versions WHERE article_id = %s ORDER BY version"
    ).format(_VERSION_SELECT)
    with conn.cursor(row_factory=class_row(Version)) as cur:
        return cur.execute(query, [article_id]).fetchall()


def version_html(conn: psycopg.Connection[Any], article_id: int, version: int) -> bytes | None:
    """One version's raw HTML, zlib-compressed as stored (the latest content version's is the
    article_html row); None for a removal or an unknown version."""
    row = conn.execute(
        f"""SELECT coalesce(v.html_zlib, h.html_zlib) FROM article_versions v
           LEFT JOIN article_html h ON h.article_id = v.article_id AND v.html_zlib IS NULL
                AND NOT v.kinds && {_ENDINGS} AND v.version = (
                    SELECT max(version) FROM article_versions
                    WHERE article_id = v.article_id AND NOT kinds && {_ENDINGS})
           WHERE v.article_id = %s AND v.version = %s""",
        [article_id, version],
    ).fetchone()
    return row[0] if row else None


# ---------------------------------------------------------------- writing versions

_FIRST_VERSIONS = f"""
INSERT INTO article_versions (article_id, version, fetched_at, kinds, {_CONTENT_COLUMNS},
                              etag, last_modified, encoding)
SELECT article_id, 1, fetched_at, ARRAY['first'], {_CONTENT_COLUMNS},
       etag, last_modified, encoding
FROM _store_batch WHERE outcome IN ('stored', 'duplicate')
ON CONFLICT DO NOTHING
"""
_FIRST_SCHEDULES = """
INSERT INTO article_refetch (article_id, source, base_at, due_at, checked_at)
SELECT article_id, source, coalesce(published_at, fetched_at), refetch_at, fetched_at
FROM _store_batch WHERE outcome IN ('stored', 'duplicate')
ON CONFLICT DO NOTHING
"""


def record_first_versions(conn: psycopg.Connection[Any]) -> None:
    """Version 1 and the refetch schedule of every article a store batch inserted; run by
    ``storage.queries.store_articles`` in its transaction, over its staging table."""
    conn.execute(_FIRST_VERSIONS)
    conn.execute(_FIRST_SCHEDULES)


@dataclass(frozen=True)
class Latest:
    """A stored article as a refetch finds it: its URL and latest version, row locked."""

    url: str
    removed: bool
    version: Version


def lock_latest(conn: psycopg.Connection[Any], article_id: int) -> Latest | None:
    """The article's URL and latest version, its row locked until the transaction ends so two
    crawls refetching it at once write one version each in turn; None if it is gone."""
    row = conn.execute(
        "SELECT url, removed_at IS NOT NULL FROM articles WHERE id = %s FOR UPDATE",
        [article_id],
    ).fetchone()
    if row is None:
        return None
    query = sql.SQL(
        "SELECT {} FROM article_versions WHERE article_id = %s ORDER BY version DESC LIMIT 1"
    ).format(_VERSION_SELECT)
    with conn.cursor(row_factory=class_row(Version)) as cur:
        version = cur.execute(query, [article_id]).fetchone()
    if version is None:
        return None
    return Latest(url=row[0], removed=row[1], version=version)


def add_version(
    conn: psycopg.Connection[Any],
    previous: Version,
    article: Article,
    kinds: list[ChangeKind],
    words: tuple[int, int],
    moved_to: str | None = None,
) -> int:
    """Store the refetched ``article`` as the version after ``previous`` (from
    :func:`lock_latest`, same transaction): the articles row and article_html take its content,
    the HTML they held moves to the previous version's row. ``moved_to``: the new URL it was
    found at (a redirect to the same article). Returns the new number."""
    number = previous.version + 1
    article_id = previous.article_id
    conn.execute(
        """UPDATE article_versions v SET html_zlib = h.html_zlib, encoding = h.encoding
           FROM article_html h WHERE h.article_id = v.article_id
           AND v.article_id = %s AND v.version = %s AND v.html_zlib IS NULL""",
        [article_id, previous.version],
    )
    values = [
        article_id, number, article.fetched_at, [str(k) for k in kinds],
        *(getattr(article, name) for name in _CONTENT),
        *words, moved_to, article.etag, article.last_modified, article.encoding,
    ]  # fmt: skip
    conn.execute(
        f"""INSERT INTO article_versions (article_id, version, fetched_at, kinds,
               {_CONTENT_COLUMNS}, words_added, words_removed, url, etag, last_modified,
               encoding)
           VALUES ({", ".join(["%s"] * len(values))})""",
        values,
    )
    columns = (*_CONTENT, *_METADATA, "fetched_at")
    conn.execute(
        sql.SQL("UPDATE articles SET ({}, version) = ({}, %s) WHERE id = %s").format(
            sql.SQL(", ").join(map(sql.Identifier, columns)),
            sql.SQL(", ").join(sql.Placeholder() * len(columns)),
        ),
        [*(getattr(article, name) for name in columns), number, article_id],
    )
    conn.execute(
        """UPDATE article_html SET html_zlib = %s, encoding = %s, fetched_url = %s
           WHERE article_id = %s""",
        [article.html_zlib, article.encoding, article.url, article_id],
    )
    return number


def mark_removed(
    conn: psycopg.Connection[Any],
    previous: Version,
    *,
    kind: ChangeKind,
    status: int,
    fetched_at: datetime,
    url: str | None = None,
) -> int:
    """Mark the article removed (a 404/410, a page no longer an article, or a redirect to
    another article at ``url``): a version repeating its last content with that kind, the row
    kept with ``removed_at`` set, its schedule ended. Returns the new version's number."""
    number = previous.version + 1
    conn.execute(
        f"""INSERT INTO article_versions (article_id, version, fetched_at, kinds, status,
               {_CONTENT_COLUMNS}, url)
           SELECT article_id, %s, %s, %s, %s, {_CONTENT_COLUMNS}, %s
           FROM article_versions WHERE article_id = %s AND version = %s""",
        [number, fetched_at, [str(kind)], status, url, previous.article_id, previous.version],
    )
    conn.execute(
        "UPDATE articles SET removed_at = %s, version = %s WHERE id = %s",
        [fetched_at, number, previous.article_id],
    )
    conn.execute(
        "UPDATE article_refetch SET due_at = NULL, checked_at = %s WHERE article_id = %s",
        [fetched_at, previous.article_id],
    )
    return number


def mark_checked(
    conn: psycopg.Connection[Any], article_id: int, checked_at: datetime, due_at: datetime | None
) -> None:
    """A refetch found nothing new (a 304, or the same content): only the schedule moves on."""
    conn.execute(
        "UPDATE article_refetch SET checked_at = %s, due_at = %s WHERE article_id = %s",
        [checked_at, due_at, article_id],
    )


def add_url(conn: psycopg.Connection[Any], url: str, article_id: int) -> None:
    """Record another URL of an article (where a refetch's redirect led, the same article)."""
    conn.execute(
        "INSERT INTO article_urls (url, article_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
        [url, article_id],
    )


def schedule_base(conn: psycopg.Connection[Any], article_id: int) -> datetime | None:
    """The time an article's refetch delays count from (its publication or first fetch)."""
    row = conn.execute(
        "SELECT base_at FROM article_refetch WHERE article_id = %s", [article_id]
    ).fetchone()
    return row[0] if row else None


# ---------------------------------------------------------------- what to refetch

_REFETCH_TARGET = """
SELECT a.id AS article_id, a.url, a.published_at, a.version, v.etag, v.last_modified
FROM articles a
JOIN article_versions v ON v.article_id = a.id AND v.version = a.version
"""
# Due rows through the partial index, newest first; the limit bounds the sort to what is due.
_DUE = f"""
WITH due AS (
    SELECT article_id, base_at FROM article_refetch
    WHERE source = %s AND due_at IS NOT NULL AND due_at <= %s
    ORDER BY base_at DESC LIMIT %s)
{_REFETCH_TARGET}
JOIN due ON due.article_id = a.id WHERE a.removed_at IS NULL
ORDER BY due.base_at DESC, a.id
"""


def due_refetches(
    conn: psycopg.Connection[Any], source: str, now: datetime, limit: int
) -> list[Refetch]:
    """The source's stored articles due again at ``now``, newest first, at most ``limit``:
    one index range scan over what is due (the benchmark shows its cost at 100k articles)."""
    if limit <= 0:
        return []
    with conn.cursor(row_factory=class_row(Refetch)) as cur:
        return cur.execute(_DUE, [source, now, limit]).fetchall()


def modified_refetches(
    conn: psycopg.Connection[Any], modified: Mapping[str, datetime], now: datetime
) -> list[Refetch]:
    """Of these stored URLs, the articles a feed or sitemap says changed after their last
    fetch (its date later than the schedule's checked_at, and not after ``now``: a date in
    the future is distrusted), still on their schedule."""
    if not modified:
        return []
    query = f"""
    {_REFETCH_TARGET}
    JOIN article_urls u ON u.article_id = a.id
    JOIN unnest(%s::text[], %s::timestamptz[]) AS m(url, modified_at) ON m.url = u.url
    JOIN article_refetch r ON r.article_id = a.id
    WHERE r.due_at IS NOT NULL AND m.modified_at > r.checked_at AND m.modified_at <= %s
      AND a.removed_at IS NULL
    ORDER BY a.id
    """
    urls = list(modified)
    with conn.cursor(row_factory=class_row(Refetch)) as cur:
        rows = cur.execute(query, [urls, [modified[u] for u in urls], now]).fetchall()
    return list({row.article_id: row for row in rows}.values())


# `export --versions`: one row a version, the article's source and URL beside its fields.
VERSION_EXPORT_COLUMNS = (
    "article_id", "source", "article_url",
    *(name for name in field_names(Version) if name not in ("article_id", "has_html")),
)  # fmt: skip
_VERSION_EXPORT_SELECT = sql.SQL(", ").join(
    [sql.SQL("a.id, a.source, a.url")]
    + [sql.SQL("v.") + sql.Identifier(name) for name in VERSION_EXPORT_COLUMNS[3:]]
)


def stream_versions(
    conn: psycopg.Connection[Any],
    query: str | None,
    filters: Filters,
    *,
    batch_size: int = 2000,
) -> Generator[list[tuple[Any, ...]]]:
    """Every version of every matching article (the search and filters of
    ``storage.search.stream_articles``), in article then version order, VERSION_EXPORT_COLUMNS
    per row, batch by batch through a server-side cursor."""
    plan = plan_query(conn, query, filters.language) if query else None
    where, params = where_clause(filters, plan)
    statement = sql.SQL(
        "SELECT {} FROM articles a JOIN article_versions v ON v.article_id = a.id"
        " WHERE {} ORDER BY a.id, v.version"
    ).format(_VERSION_EXPORT_SELECT, where)
    with conn.transaction(), conn.cursor(name="newswire_export_versions") as cur:
        cur.itersize = batch_size
        cur.execute(statement, params)
        while batch := cur.fetchmany(batch_size):
            yield batch


def version_counts(conn: psycopg.Connection[Any]) -> list[VersionCount]:
    """Per source, articles whose content changed since first stored and articles removed."""
    query = f"""
    SELECT a.source,
           count(*) FILTER (WHERE EXISTS (
               SELECT 1 FROM article_versions v WHERE v.article_id = a.id AND v.version > 1
               AND NOT v.kinds && {_ENDINGS})) AS changed,
           count(*) FILTER (WHERE a.removed_at IS NOT NULL) AS removed
    FROM articles a WHERE a.version > 1 GROUP BY a.source ORDER BY a.source
    """
    with conn.cursor(row_factory=class_row(VersionCount)) as cur:
        return cur.execute(query).fetchall()
