"""The HTTP API served by ``newswire serve``: search, articles, sources, runs, health, metrics.

Reads are open, or need the bearer token when NEWSWIRE_API_OPEN_READS=false; writes always
need it (NEWSWIRE_API_TOKEN), and with no token configured they are refused. Every error is
JSON ``{"error": "..."}`` with a message that says what to fix, never a stack trace.
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from importlib.metadata import version
from typing import Annotated, Any, Literal

import psycopg
from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from psycopg_pool import ConnectionPool, PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from crawler.sources import Source, load_sources
from newswire.config import Config
from newswire.errors import ConfigError, DatabaseError, NewswireError
from newswire.metrics import metrics_registry
from newswire.responses import (
    ArticleDetail,
    ArticlePage,
    CrawlQueued,
    ErrorBody,
    Health,
    RunList,
    SourceInfo,
    article_body,
    decode_cursor,
    encode_cursor,
    hit_body,
)
from storage.connection import CONNECT_TIMEOUT, connect, database_ready, resolve_database_url
from storage.queries import article_copies, article_urls, get_article, source_summaries
from storage.runs import FINAL_STATUSES, RunRow, get_run, list_runs, queue_runs
from storage.search import (
    MAX_QUERY_CHARS,
    RANK_CANDIDATES,
    Filters,
    SearchRequest,
    check_language,
    clean_query,
    known_sources,
    parse_when,
    search_articles,
)

logger = logging.getLogger(__name__)

MAX_PAGE = 100
STATEMENT_TIMEOUT_MS = 15_000  # no request holds a connection longer than this
_SOURCE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,99}")
_BIGINT = 2**63 - 1
RUN_STATUSES = ("queued", "running", *FINAL_STATUSES)
_SORT_HELP = (
    f"relevance (the default with q) ranks the {RANK_CANDIDATES:,} newest matches, all of them "
    "when fewer; date (the default without q) pages through every match, newest first"
)


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorBody} for code in codes}


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _schedule_text(source: Source) -> str | None:
    schedule = source.schedule
    if schedule is None:
        return None
    return schedule.cron or f"every {schedule.interval}"


# ---------------------------------------------------------------- dependencies


def _pool(request: Request) -> ConnectionPool:
    return request.app.state.pool


def get_conn(request: Request) -> Iterator[psycopg.Connection[Any]]:
    """A pooled connection for one request; an unreachable database is a 503, not a hang."""
    try:
        with _pool(request).connection(timeout=CONNECT_TIMEOUT) as conn:
            yield conn
    except PoolTimeout as exc:
        raise DatabaseError("the database is not reachable: try again shortly") from exc


_bearer = HTTPBearer(auto_error=False, description="NEWSWIRE_API_TOKEN of the server")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
Conn = Annotated[psycopg.Connection[Any], Depends(get_conn)]


def _check_token(config: Config, credentials: HTTPAuthorizationCredentials | None) -> None:
    if config.api_token is None:
        raise HTTPException(403, "this server has no NEWSWIRE_API_TOKEN, so it accepts no writes")
    if credentials is None:
        raise HTTPException(
            401,
            "send the API token as 'Authorization: Bearer TOKEN'",
            {"WWW-Authenticate": "Bearer"},
        )
    if not hmac.compare_digest(credentials.credentials.encode(), config.api_token.encode()):
        raise HTTPException(401, "the bearer token is wrong", {"WWW-Authenticate": "Bearer"})


def require_read(request: Request, credentials: Credentials) -> None:
    """Reads are open unless NEWSWIRE_API_OPEN_READS=false."""
    config: Config = request.app.state.config
    if not config.api_open_reads:
        _check_token(config, credentials)


def require_write(request: Request, credentials: Credentials) -> None:
    """Writes always need the configured bearer token."""
    _check_token(request.app.state.config, credentials)


def _configured_sources(config: Config) -> dict[str, Source]:
    """The sources file as it is now (read per request: edits apply without a restart)."""
    return load_sources(config.sources_path)


def _check_sources(config: Config, conn: psycopg.Connection[Any], names: list[str]) -> None:
    try:
        configured = set(_configured_sources(config))
    except ConfigError:
        configured = set()
    wanted = [n for n in names if n not in configured]
    stored = known_sources(conn, [n for n in wanted if _SOURCE_NAME.fullmatch(n)])
    unknown = [n for n in wanted if n not in stored]
    if unknown:
        known = ", ".join(sorted(configured)) or "none configured"
        raise ConfigError(f"unknown source {unknown[0]!r}: known sources are {known}")


# ---------------------------------------------------------------- the app


def create_app(config: Config) -> FastAPI:
    """The API for this configuration; the database pool opens when the server starts."""
    if not config.api_open_reads and not config.api_token:
        raise ConfigError(
            "NEWSWIRE_API_OPEN_READS=false needs NEWSWIRE_API_TOKEN: set a token or open reads"
        )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        url = database_ready(resolve_database_url(config))
        options = f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"
        kwargs = {"autocommit": True, "connect_timeout": CONNECT_TIMEOUT, "options": options}
        connect(url).close()  # fail fast with a one-line message
        pool = ConnectionPool(
            url,
            min_size=1,
            max_size=4,
            kwargs=kwargs,
            open=False,
            check=ConnectionPool.check_connection,
            name="newswire-api",
        )
        pool.open(wait=True, timeout=2 * CONNECT_TIMEOUT)
        app.state.pool = pool
        app.state.registry = metrics_registry(pool)
        try:
            yield
        finally:
            pool.close()

    app = FastAPI(
        title="newswire",
        version=version("newswire"),
        description="Search and read the stored news corpus; queue crawls.",
        lifespan=lifespan,
    )
    app.state.config = config
    _install_error_handlers(app)
    _add_read_routes(app)
    _add_run_routes(app)
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        """The generated document, saying so when reads need no token on this server."""
        if app.openapi_schema is None:
            document = generate()
            for operation in (item.get("get") for item in document["paths"].values()):
                if config.api_open_reads and operation and "security" in operation:
                    operation["security"] = [{}, *operation["security"]]
        return app.openapi_schema or generate()

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(part) for part in first.get("loc", ())[1:]) or "request"
        return _error(422, f"{where}: {first.get('msg', 'invalid value')}")

    @app.exception_handler(DatabaseError)
    async def database_down(_: Request, exc: DatabaseError) -> JSONResponse:
        return _error(503, str(exc))

    @app.exception_handler(NewswireError)
    async def bad_input(_: Request, exc: NewswireError) -> JSONResponse:
        return _error(400, str(exc))

    @app.exception_handler(psycopg.errors.QueryCanceled)
    async def too_slow(_: Request, exc: psycopg.Error) -> JSONResponse:
        return _error(503, "the request took too long: narrow the search with filters")

    @app.exception_handler(PoolTimeout)
    @app.exception_handler(psycopg.OperationalError)
    async def lost(_: Request, exc: Exception) -> JSONResponse:
        logger.warning("database error: %s", exc)
        return _error(503, "the database is not reachable: try again shortly")

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> JSONResponse:
        logger.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return _error(500, "internal error: the server log has the details")


def _add_read_routes(app: FastAPI) -> None:
    read = [Depends(require_read)]

    @app.get(
        "/articles",
        response_model=ArticlePage,
        dependencies=read,
        responses=_errors(400, 401, 403, 422, 503),
    )
    def articles(
        request: Request,
        conn: Conn,
        q: Annotated[
            str | None,
            Query(
                max_length=MAX_QUERY_CHARS,
                description=('Web-search syntax: words, "quoted phrases", OR, -exclusions'),
            ),
        ] = None,
        source: Annotated[list[str] | None, Query(max_length=100)] = None,
        lang: Annotated[str | None, Query(max_length=35)] = None,
        since: Annotated[str | None, Query(max_length=40, description="YYYY-MM-DD or ISO")] = None,
        until: Annotated[str | None, Query(max_length=40, description="YYYY-MM-DD or ISO")] = None,
        author: Annotated[str | None, Query(max_length=200)] = None,
        duplicates: bool = False,
        sort: Annotated[Literal["relevance", "date"] | None, Query(description=_SORT_HELP)] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
        cursor: Annotated[str | None, Query(max_length=400)] = None,
    ) -> ArticlePage:
        """Search and filter stored articles, newest first or by relevance to q."""
        sources = list(dict.fromkeys(source or []))
        if sources:
            _check_sources(request.app.state.config, conn, sources)
        filters = Filters(
            sources=tuple(sources),
            language=check_language(lang) if lang is not None else None,
            since=parse_when(since, name="since") if since is not None else None,
            until=parse_when(until, name="until", end=True) if until is not None else None,
            author=author.replace("\x00", "").strip() or None if author is not None else None,
            include_duplicates=duplicates,
        )
        query = clean_query(q) if q is not None else None
        search = SearchRequest(query, filters, sort, limit)
        if cursor is not None:
            search = SearchRequest(query, filters, sort, limit, decode_cursor(search, cursor))
        page = search_articles(conn, search)
        token = encode_cursor(search, page.next_key) if page.next_key else None
        return ArticlePage(items=[hit_body(hit) for hit in page.hits], next_cursor=token)

    @app.get(
        "/articles/{article_id}",
        response_model=ArticleDetail,
        dependencies=read,
        responses=_errors(401, 403, 404, 422, 503),
    )
    def article(conn: Conn, article_id: Annotated[int, Path(ge=1, le=_BIGINT)]) -> ArticleDetail:
        """One article with all its fields, the URLs that lead to it and its copies."""
        found = get_article(conn, article_id)
        if found is None:
            raise HTTPException(404, f"article {article_id} does not exist")
        return article_body(found, article_urls(conn, found.id), article_copies(conn, found))

    @app.get(
        "/sources",
        response_model=list[SourceInfo],
        dependencies=read,
        responses=_errors(401, 403, 503),
    )
    def sources(request: Request, conn: Conn) -> list[SourceInfo]:
        """Configured sources and any others with stored articles, with their latest run."""
        try:
            configured = _configured_sources(request.app.state.config)
        except ConfigError as exc:
            logger.warning("listing sources without the sources file: %s", exc)
            configured = {}
        summaries = source_summaries(conn)
        listed = []
        for name in [*configured, *sorted(set(summaries) - set(configured))]:
            source, summary = configured.get(name), summaries.get(name)
            listed.append(
                SourceInfo(
                    name=name,
                    configured=source is not None,
                    enabled=source.enabled if source else None,
                    home=source.home if source else None,
                    language=source.language if source else None,
                    schedule=_schedule_text(source) if source else None,
                    articles=summary.articles if summary else 0,
                    duplicates=summary.duplicates if summary else 0,
                    last_run_id=summary.last_run_id if summary else None,
                    last_run_status=summary.last_run_status if summary else None,
                    last_run_finished_at=summary.last_run_finished_at if summary else None,
                )
            )
        return listed

    @app.get("/healthz", response_model=Health, responses=_errors(503))
    def healthz(conn: Conn) -> Health:
        """200 when the database answers; 503 otherwise."""
        conn.execute("SELECT 1")
        return Health(status="ok", database="reachable")

    @app.get(
        "/metrics",
        dependencies=read,
        response_class=Response,
        responses={200: {"content": {"text/plain": {}}}, **_errors(401, 403, 503)},
    )
    def metrics(request: Request) -> Response:
        """Prometheus text format: articles, runs by status, last success, crawl durations."""
        body = generate_latest(request.app.state.registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)


def _add_run_routes(app: FastAPI) -> None:
    read = [Depends(require_read)]

    @app.get(
        "/runs", response_model=RunList, dependencies=read, responses=_errors(401, 403, 422, 503)
    )
    def runs(
        conn: Conn,
        source: Annotated[str | None, Query(max_length=100)] = None,
        status: Literal[RUN_STATUSES] | None = None,  # type: ignore[valid-type]
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
    ) -> RunList:
        """Crawl runs, newest first, optionally of one source or in one status."""
        if source is not None and not _SOURCE_NAME.fullmatch(source):
            return RunList(items=[])
        found = list_runs(conn, source=source, status=status, limit=limit)
        return RunList(items=found)

    @app.get(
        "/runs/{run_id}",
        response_model=RunRow,
        dependencies=read,
        responses=_errors(401, 403, 404, 422, 503),
    )
    def run(conn: Conn, run_id: Annotated[int, Path(ge=1, le=_BIGINT)]) -> RunRow:
        """One crawl run with its stats and error."""
        found: RunRow | None = get_run(conn, run_id)
        if found is None:
            raise HTTPException(404, f"run {run_id} does not exist")
        return found

    @app.post(
        "/sources/{name}/crawl",
        response_model=CrawlQueued,
        status_code=202,
        dependencies=[Depends(require_write)],
        responses=_errors(401, 403, 404, 503),
    )
    def crawl(
        request: Request, conn: Conn, name: Annotated[str, Path(max_length=100)]
    ) -> CrawlQueued:
        """Queue a one-off crawl of a configured source; the scheduler starts it."""
        try:
            configured = _configured_sources(request.app.state.config)
        except ConfigError as exc:
            raise DatabaseError(f"the server cannot read its sources file: {exc}") from exc
        if name not in configured:
            known = ", ".join(configured) or "none configured"
            raise HTTPException(404, f"unknown source {name!r}: known sources are {known}")
        (run_id,) = queue_runs(conn, [name], "api")
        logger.info("queued run %d of %s from the API", run_id, name)
        return CrawlQueued(run_id=run_id, source=name, status="queued")
