"""GET /articles (search and filter, paged by cursor), GET /articles/{id} and its versions.

Filters go through :func:`storage.search.parse_filters`, the parser `newswire search` uses,
so both refuse the same values with the same message.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request

from newswire.api.deps import BIGINT, MAX_PAGE, READ, Conn, configured_sources, error_responses
from newswire.responses import (
    ArticleDetail,
    ArticlePage,
    ArticleVersions,
    article_body,
    decode_cursor,
    encode_cursor,
    hit_body,
    versions_body,
)
from pipelines.changes import diff_versions
from storage.queries import article_copies, article_urls, get_article
from storage.search import (
    MAX_QUERY_CHARS,
    RANK_CANDIDATES,
    SearchRequest,
    clean_query,
    parse_filters,
    search_articles,
)
from storage.versions import list_versions

router = APIRouter(dependencies=READ)

_SORT_HELP = (
    f"relevance (the default with q) ranks the {RANK_CANDIDATES:,} newest matches, all of them "
    "when fewer; date (the default without q) pages through every match, newest first"
)
_WHEN = Query(max_length=40, description="YYYY-MM-DD or ISO")


@router.get(
    "/articles", response_model=ArticlePage, responses=error_responses(400, 401, 403, 422, 503)
)
def articles(
    request: Request,
    conn: Conn,
    q: Annotated[
        str | None,
        Query(
            max_length=MAX_QUERY_CHARS,
            description='Web-search syntax: words, "quoted phrases", OR, -exclusions',
        ),
    ] = None,
    source: Annotated[list[str] | None, Query(max_length=100)] = None,
    lang: Annotated[str | None, Query(max_length=35)] = None,
    since: Annotated[str | None, _WHEN] = None,
    until: Annotated[str | None, _WHEN] = None,
    author: Annotated[str | None, Query(max_length=200)] = None,
    copies: Annotated[
        bool, Query(description="Every copy of each story, not only its original")
    ] = False,
    duplicates: Annotated[bool, Query(description="The old name of copies")] = False,
    sort: Annotated[Literal["relevance", "date"] | None, Query(description=_SORT_HELP)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
) -> ArticlePage:
    """Search and filter stored articles, newest first or by relevance to q."""
    filters = parse_filters(
        conn, sources=source or (), lang=lang, since=since, until=until, author=author,
        copies=copies or duplicates, configured=lambda: configured_sources(request),
    )  # fmt: skip
    query = clean_query(q) if q is not None else None
    search = SearchRequest(query, filters, sort, limit)
    if cursor is not None:
        search = SearchRequest(query, filters, sort, limit, decode_cursor(search, cursor))
    page = search_articles(conn, search)
    token = encode_cursor(search, page.next_key) if page.next_key else None
    return ArticlePage(items=[hit_body(hit) for hit in page.hits], next_cursor=token)


@router.get(
    "/articles/{article_id}",
    response_model=ArticleDetail,
    responses=error_responses(401, 403, 404, 422, 503),
)
def article(conn: Conn, article_id: Annotated[int, Path(ge=1, le=BIGINT)]) -> ArticleDetail:
    """One article with all its fields, the URLs that lead to it and its copies."""
    found = get_article(conn, article_id)
    if found is None:
        raise HTTPException(404, f"article {article_id} does not exist")
    return article_body(found, article_urls(conn, found.id), article_copies(conn, found))


@router.get(
    "/articles/{article_id}/versions",
    response_model=ArticleVersions,
    responses=error_responses(401, 403, 404, 422, 503),
)
def versions(conn: Conn, article_id: Annotated[int, Path(ge=1, le=BIGINT)]) -> ArticleVersions:
    """Every version of one article, oldest first, with the kinds of change and word diffs of
    its title and text against the version before."""
    found = get_article(conn, article_id)
    if found is None:
        raise HTTPException(404, f"article {article_id} does not exist")
    return versions_body(found, diff_versions(list_versions(conn, article_id)))
