"""Stored articles read back with their raw HTML, and their metadata rewritten in place.

Behind ``newswire reextract``: the current extraction runs over the HTML newswire kept, and
the fields that came out different are updated, a batch per transaction. Only the changed
columns are set, so the search trigger of migration 0002 recomputes a vector exactly when
the title, description or language changed.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql

from newswire.records import ArticleMetadata, VersionContent, field_names

METADATA_FIELDS = field_names(ArticleMetadata)
# Kept in the article's latest content version too, so that a refetch, extracted by the
# current layer, is compared with what the current layer reads from the stored HTML.
_VERSION_FIELDS = set(field_names(VersionContent)) & set(METADATA_FIELDS)
_LATEST_CONTENT = sql.SQL(
    "UPDATE article_versions SET {} WHERE article_id = %s AND version = ("
    " SELECT max(version) FROM article_versions WHERE article_id = %s"
    " AND NOT kinds && ARRAY['removed', 'redirected'])"
)


@dataclass(frozen=True)
class StoredPage:
    """One stored article's raw HTML with what it was stored under."""

    id: int
    source: str
    fetched_url: str
    encoding: str
    fetched_at: datetime
    html: bytes = field(repr=False)  # decompressed
    metadata: ArticleMetadata = field(repr=False)


def _conditions(source: str | None, since: datetime | None) -> tuple[sql.Composable, list[Any]]:
    parts: list[sql.Composable] = []
    params: list[Any] = []
    if source is not None:
        parts.append(sql.SQL("a.source = %s"))
        params.append(source)
    if since is not None:
        parts.append(sql.SQL("a.fetched_at >= %s"))
        params.append(since)
    if not parts:
        return sql.SQL("TRUE"), params
    return sql.SQL(" AND ").join(parts), params


def count_stored_pages(
    conn: psycopg.Connection[Any], *, source: str | None, since: datetime | None
) -> int:
    """How many stored articles of a source (or all), fetched since a time, have raw HTML."""
    where, params = _conditions(source, since)
    query = sql.SQL(
        "SELECT count(*) FROM articles a JOIN article_html h ON h.article_id = a.id WHERE {}"
    ).format(where)
    row = conn.execute(query, params).fetchone()
    return int(row[0]) if row is not None else 0


def stored_pages(
    conn: psycopg.Connection[Any],
    *,
    source: str | None,
    since: datetime | None,
    after_id: int,
    limit: int,
) -> list[StoredPage]:
    """The next ``limit`` stored articles after ``after_id`` (in id order), HTML included."""
    where, params = _conditions(source, since)
    columns = sql.SQL(", ").join(sql.SQL("a.") + sql.Identifier(n) for n in METADATA_FIELDS)
    query = sql.SQL(
        "SELECT a.id, a.source, h.fetched_url, h.encoding, a.fetched_at, h.html_zlib, {}"
        " FROM articles a JOIN article_html h ON h.article_id = a.id"
        " WHERE a.id > %s AND {} ORDER BY a.id LIMIT %s"
    ).format(columns, where)
    with conn.cursor() as cur:
        rows = cur.execute(query, [after_id, *params, limit]).fetchall()
    pages = []
    for row in rows:
        metadata = ArticleMetadata(**dict(zip(METADATA_FIELDS, row[6:], strict=True)))
        pages.append(
            StoredPage(row[0], row[1], row[2], row[3], row[4], zlib.decompress(row[5]), metadata)
        )
    return pages


def update_metadata(
    conn: psycopg.Connection[Any], changes: Sequence[tuple[int, Mapping[str, Any]]]
) -> None:
    """Set the changed metadata columns of each article (and of its latest content version),
    all in one transaction."""
    with conn.transaction(), conn.cursor() as cur:
        for article_id, values in changes:
            if not values:
                continue
            unknown = set(values) - set(METADATA_FIELDS)
            if unknown:
                raise ValueError(f"not metadata columns: {sorted(unknown)}")
            assignments = sql.SQL(", ").join(
                sql.SQL("{} = %s").format(sql.Identifier(name)) for name in values
            )
            query = sql.SQL("UPDATE articles SET {} WHERE id = %s").format(assignments)
            cur.execute(query, [*values.values(), article_id])
            versioned = {k: v for k, v in values.items() if k in _VERSION_FIELDS}
            if versioned:
                sets = sql.SQL(", ").join(
                    sql.SQL("{} = %s").format(sql.Identifier(name)) for name in versioned
                )
                cur.execute(
                    _LATEST_CONTENT.format(sets), [*versioned.values(), article_id, article_id]
                )
