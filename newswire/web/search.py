"""The search page (``/``) and its download (``/download``): the CLI's query language and
filters, a page of results with snippets and copies, attention over time, top outlets.

Filters go through :func:`storage.search.parse_filters` and pages through the API's cursors
(:mod:`newswire.responses`), so the page, ``newswire search`` and ``GET /articles`` accept,
refuse and page alike; the download streams :func:`newswire.export.export_chunks`, the same
rows ``newswire export`` writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Any, Literal

import psycopg
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from newswire.api.deps import MAX_PAGE, Conn, configured_sources
from newswire.errors import ConfigError
from newswire.export import FORMATS, export_chunks
from newswire.responses import decode_cursor, encode_cursor
from newswire.web.charts import attention_chart
from newswire.web.render import LOCKED_DOWN, error_page, page
from storage.attention import count_attention, story_sizes
from storage.connection import CONNECT_TIMEOUT
from storage.search import (
    MAX_QUERY_CHARS,
    Filters,
    SearchRequest,
    clean_query,
    parse_filters,
    search_articles,
    stored_source_names,
)

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 20
# The chart's window when a search names no start date. Counting is a scan of every match
# (at 100,000 articles a year, all of them take 160-175 ms, 30 days 14-25 ms:
# bench/web_bench.py), so an open search counts its last 30 days; a "since" date sets it.
CHART_DAYS = 30
LISTED_OUTLETS = 10  # the top outlets listed (the chart stacks the first TOP_OUTLETS of them)
_MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
}


@dataclass(frozen=True)
class Form:
    """What the search form sent, as typed (the page shows it back)."""

    q: str = ""
    source: tuple[str, ...] = ()
    lang: str = ""
    since: str = ""
    until: str = ""
    author: str = ""
    copies: bool = False
    sort: str = ""
    limit: int = PAGE_SIZE

    def params(self) -> dict[str, Any]:
        """The form as query parameters (for paging and download links)."""
        return {
            "q": self.q, "source": list(self.source), "lang": self.lang, "since": self.since,
            "until": self.until, "author": self.author, "copies": self.copies, "sort": self.sort,
            "limit": self.limit if self.limit != PAGE_SIZE else None,
        }  # fmt: skip


def _search(
    conn: psycopg.Connection[Any], request: Request, form: Form
) -> tuple[str | None, Filters]:
    """The checked query and filters, or a ConfigError saying what to fix."""
    filters = parse_filters(
        conn, sources=form.source, lang=form.lang or None, since=form.since or None,
        until=form.until or None, author=form.author or None, copies=form.copies,
        configured=lambda: configured_sources(request),
    )  # fmt: skip
    return (clean_query(form.q) if form.q.strip() else None), filters


def chart_window(filters: Filters, now: datetime) -> Filters:
    """The filters the chart and the top outlets count within: the search's own when it
    names a start date, else the CHART_DAYS days that end with its until date (or today)."""
    if filters.since is not None:
        return filters
    end = filters.until or datetime.combine(now.date() + timedelta(days=1), time(), UTC)
    return replace(filters, since=end - timedelta(days=CHART_DAYS))


def _source_names(conn: psycopg.Connection[Any], request: Request) -> list[str]:
    """Every source a user may pick: configured ones and any with stored articles."""
    try:
        configured = list(configured_sources(request))
    except ConfigError:
        configured = []
    return sorted({*configured, *stored_source_names(conn)})


QueryText = Annotated[str, Query(max_length=MAX_QUERY_CHARS)]
Short = Annotated[str, Query(max_length=200)]
Sources = Annotated[list[str], Query(max_length=100)]


@router.get("/")
def search_page(
    request: Request,
    conn: Conn,
    q: QueryText = "",
    source: Sources = [],  # noqa: B006 (FastAPI copies defaults)
    lang: Short = "",
    since: Short = "",
    until: Short = "",
    author: Short = "",
    copies: bool = False,
    sort: Literal["", "relevance", "date"] = "",
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = PAGE_SIZE,
    cursor: Annotated[str, Query(max_length=400)] = "",
) -> Response:
    """Results, chart and top outlets of a search; every matching article without one."""
    form = Form(q, tuple(source), lang, since, until, author, copies, sort, limit)
    context: dict[str, Any] = {"form": form, "sources": _source_names(conn, request)}
    try:
        query, filters = _search(conn, request, form)
        search = SearchRequest(query, filters, sort or None, limit)
        if cursor:
            search = SearchRequest(query, filters, sort or None, limit,
                                   decode_cursor(search, cursor))  # fmt: skip
        results = search_articles(conn, search)
        window = chart_window(filters, datetime.now(UTC))
        attention = count_attention(conn, query, window, outlets=LISTED_OUTLETS)
    except ConfigError as exc:
        return page(request, "search.html", {**context, "error": str(exc)}, status=400)
    sizes = story_sizes(conn, [hit.story_id or hit.id for hit in results.hits])
    first = window.since.date() if window.since else None
    last = (window.until - timedelta(days=1)).date() if window.until else None
    next_cursor = encode_cursor(search, results.next_key) if results.next_key else None
    return page(
        request,
        "search.html",
        {
            **context,
            "error": None,
            "hits": [(hit, sizes.get(hit.story_id or hit.id, 1) - 1) for hit in results.hits],
            "order": search.order,
            "next_cursor": next_cursor,
            "paged": bool(cursor),
            "attention": attention,
            "windowed": window is not filters,
            "chart_days": CHART_DAYS,
            "listed": LISTED_OUTLETS,
            "window": (first, last or datetime.now(UTC).date()),
            "chart": attention_chart(attention, first, last),
            "formats": FORMATS,
        },
    )


@router.get("/download")
def download(
    request: Request,
    conn: Conn,
    format: Literal["csv", "jsonl", "parquet"] = "csv",
    q: QueryText = "",
    source: Sources = [],  # noqa: B006
    lang: Short = "",
    since: Short = "",
    until: Short = "",
    author: Short = "",
    copies: bool = False,
) -> Response:
    """Every article of the search as a file, streamed batch by batch (newswire export)."""
    form = Form(q, tuple(source), lang, since, until, author, copies)
    try:
        query, filters = _search(conn, request, form)
    except ConfigError as exc:
        return error_page(request, 400, str(exc))
    pool = request.app.state.pool

    def chunks() -> Iterator[bytes]:
        # Its own connection: the request's goes back to the pool when this route returns.
        with pool.connection(timeout=CONNECT_TIMEOUT) as stream_conn:
            yield from export_chunks(stream_conn, format, query, filters)

    headers = {
        **LOCKED_DOWN,
        "Content-Disposition": f'attachment; filename="newswire-articles.{format}"',
    }
    return StreamingResponse(chunks(), media_type=_MEDIA_TYPES[format], headers=headers)
