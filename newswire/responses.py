"""What the HTTP API sends and takes back: its JSON bodies as pydantic models (they make the
OpenAPI document), built from storage rows, and the opaque page cursors it hands out.

A cursor is base64 of the last row's sort key and id plus a fingerprint of the search; it is
checked field by field when it comes back, so a tampered or foreign cursor is a clear 400.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from pydantic import BaseModel, create_model

from newswire.errors import ConfigError
from newswire.records import ArticleRow, Run, SearchHit, Version, field_types
from pipelines.changes import DiffChunk, VersionDiff
from storage.queries import ArticleCopy
from storage.search import PageKey, SearchRequest, snippet_html


class ErrorBody(BaseModel):
    """Every error response: one line saying what went wrong and what to do."""

    error: str


def _model(title: str, record: type, doc: str, **overrides: Any) -> type[BaseModel]:
    """A JSON body with a record's fields (their types resolved), some of them replaced."""
    spec = {name: (type_, ...) for name, type_ in field_types(record).items()}
    return create_model(title, __doc__=doc, **{**spec, **overrides})


ArticleHit = _model(
    "ArticleHit",
    SearchHit,
    "One search result; snippet is HTML-escaped text with <mark> around matched words.",
)


class ArticlePage(BaseModel):
    """One page of results; pass next_cursor as ``cursor`` for the next (null: no more)."""

    items: list[ArticleHit]
    next_cursor: str | None


ArticleDetail = _model(
    "ArticleDetail",
    ArticleRow,
    "One article with every stored field, the URLs that lead to it and its copies.",
    text_hash=(str, ...),  # hex
    urls=(list[str], ...),
    copies=(list[ArticleCopy], ...),
)


# A version without its whole text (the diffs say what changed; `export --versions` has it).
ArticleVersion = create_model(
    "ArticleVersion",
    __doc__="One version of an article: when it was fetched, the kinds of change (the main one"
    " first), and word diffs of its title and text against the version before (op: same,"
    " added or removed).",
    **{name: (type_, ...) for name, type_ in field_types(Version).items() if name != "text"},
    title_diff=(list[DiffChunk], ...),
    text_diff=(list[DiffChunk], ...),
)


class ArticleVersions(BaseModel):
    """Every version of an article, oldest first; removed_at is set once it was taken down."""

    article_id: int
    removed_at: datetime | None
    items: list[ArticleVersion]


class SourceInfo(BaseModel):
    """A source from the sources file and/or the database, with its latest run."""

    name: str
    configured: bool
    enabled: bool | None
    home: str | None
    language: str | None
    schedule: str | None
    articles: int
    duplicates: int
    last_run_id: int | None
    last_run_status: str | None
    last_run_finished_at: datetime | None


class RunList(BaseModel):
    """Runs, newest first."""

    items: list[Run]


class CrawlQueued(BaseModel):
    """A one-off run waiting for the scheduler to start it."""

    run_id: int
    source: str
    status: str


class CancelOutcome(BaseModel):
    """What a cancel did: "cancelled" (a queued run, at once) or "requested" (a running
    crawl stops at its next check, about a second, keeping what it stored)."""

    run_id: int
    outcome: str


class Health(BaseModel):
    """The API is up and its database answers."""

    status: str
    database: str


def hit_body(hit: SearchHit) -> ArticleHit:
    """A search hit with its snippet made safe for HTML."""
    return ArticleHit(**{**hit.__dict__, "snippet": snippet_html(hit.snippet)})


def article_body(
    article: ArticleRow, urls: Sequence[str], copies: Sequence[ArticleCopy]
) -> ArticleDetail:
    """Every field of one article (text hash in hex), its URLs and its copies."""
    fields = {**article.__dict__, "text_hash": article.text_hash.hex()}
    return ArticleDetail(**fields, urls=list(urls), copies=list(copies))


def versions_body(article: ArticleRow, diffs: Sequence[VersionDiff]) -> ArticleVersions:
    """An article's versions with their diffs (``pipelines.changes.diff_versions``)."""
    items = [
        ArticleVersion(
            **{k: v for k, v in d.version.__dict__.items() if k != "text"},
            title_diff=d.title_diff,
            text_diff=d.text_diff,
        )
        for d in diffs
    ]
    return ArticleVersions(article_id=article.id, removed_at=article.removed_at, items=items)


# ---------------------------------------------------------------- page cursors


def _fingerprint(request: SearchRequest) -> str:
    """Ties a cursor to the search it came from, so it cannot resume a different one; every
    field of Filters is in it (read from the dataclass), so a new filter cannot be missed."""
    filters = {**asdict(request.filters), "sources": sorted(request.filters.sources)}
    parts = {"query": request.query, "order": request.order, "filters": filters}
    raw = json.dumps(parts, sort_keys=True, default=_plain)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _plain(value: object) -> str:
    """Filter values JSON does not know (datetimes) as ISO text."""
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"a filter of type {type(value).__name__} needs a cursor encoding")


def encode_cursor(request: SearchRequest, key: PageKey) -> str:
    """An opaque token for the page after ``key`` of this same search."""
    payload = {
        "f": _fingerprint(request),
        "id": key.id,
        "r": key.rank,
        "p": key.published_at.isoformat() if key.published_at else None,
    }
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(request: SearchRequest, token: str) -> PageKey:
    """The key inside a cursor, refused unless well-formed and made by this same search."""
    problem = ConfigError("the cursor is not valid for this search: start again without it")
    if len(token) > 400 or not re.fullmatch(r"[A-Za-z0-9_-]+", token):
        raise problem
    try:
        payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, UnicodeDecodeError):
        raise problem from None
    if not isinstance(payload, dict) or set(payload) != {"f", "id", "r", "p"}:
        raise problem
    if payload["f"] != _fingerprint(request):
        raise problem
    article_id, rank, published = payload["id"], payload["r"], payload["p"]
    if type(article_id) is not int or not 0 < article_id < 2**63:
        raise problem
    if rank is not None and (type(rank) not in (int, float) or not math.isfinite(rank)):
        raise problem
    moment = None
    if published is not None:
        try:
            moment = datetime.fromisoformat(published) if isinstance(published, str) else None
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise problem
    return PageKey(id=article_id, rank=None if rank is None else float(rank), published_at=moment)
