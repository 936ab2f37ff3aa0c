"""What every route of the API shares: its pooled connection, the auth rules, the sources
file, and errors as JSON ``{"error": "..."}`` that say what to fix, never a stack trace."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

import psycopg
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from psycopg_pool import PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from crawler.sources import load_sources
from newswire.config import Config
from newswire.errors import DatabaseError, NewswireError
from newswire.records import Source
from newswire.responses import ErrorBody
from storage.connection import CONNECT_TIMEOUT

logger = logging.getLogger(__name__)

MAX_PAGE = 100
BIGINT = 2**63 - 1  # the largest id a path may name


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The documented error statuses of a route, each with the ErrorBody schema."""
    return {code: {"model": ErrorBody} for code in codes}


def configured_sources(request: Request) -> dict[str, Source]:
    """The sources file as it is now: edits apply without a restart. It is parsed again only
    when its modification time or size changed (1,000 sources take 58 ms to load and check,
    which every page of the search and sources pages would pay)."""
    config: Config = request.app.state.config
    return _current_sources(config.sources_path)


def _current_sources(path: Path) -> dict[str, Source]:
    try:
        stamp = path.stat()
    except OSError:
        return load_sources(path)  # the loader says what is wrong with the path
    return dict(_loaded_sources(path, stamp.st_mtime_ns, stamp.st_size))


@lru_cache(maxsize=4)
def _loaded_sources(path: Path, mtime_ns: int, size: int) -> dict[str, Source]:
    return load_sources(path)


def judged_sources(config: Config) -> list[str] | None:
    """The sources whose health the API and /metrics report: the enabled ones of the sources
    file (parsed again only when it changed, as for configured_sources), or (None) every
    source the database knows when the file cannot be read."""
    try:
        return [source.name for source in _current_sources(config.sources_path).values()
                if source.enabled]  # fmt: skip
    except NewswireError as exc:
        logger.warning("judging every stored source, without the sources file: %s", exc)
        return None


# ---------------------------------------------------------------- dependencies


def get_conn(request: Request) -> Iterator[psycopg.Connection[Any]]:
    """A pooled connection for one request; an unreachable database is a 503, not a hang."""
    try:
        with request.app.state.pool.connection(timeout=CONNECT_TIMEOUT) as conn:
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


READ = [Depends(require_read)]
WRITE = [Depends(require_write)]


# ---------------------------------------------------------------- errors as JSON


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return _error(exc.status_code, str(exc.detail), getattr(exc, "headers", None))


async def _invalid(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
    where = ".".join(str(part) for part in first.get("loc", ())[1:]) or "request"
    return _error(422, f"{where}: {first.get('msg', 'invalid value')}")


async def _database_down(_: Request, exc: Exception) -> JSONResponse:
    return _error(503, str(exc))


async def _bad_input(_: Request, exc: Exception) -> JSONResponse:
    return _error(400, str(exc))


async def _too_slow(_: Request, exc: Exception) -> JSONResponse:
    return _error(503, "the request took too long: narrow the search with filters")


async def _lost(_: Request, exc: Exception) -> JSONResponse:
    logger.warning("database error: %s", exc)
    return _error(503, "the database is not reachable: try again shortly")


async def _crashed(request: Request, exc: Exception) -> JSONResponse:
    logger.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return _error(500, "internal error: the server log has the details")


def install_error_handlers(app: FastAPI) -> None:
    """Every failure as JSON: bad input 400, validation 422, a slow or lost database 503."""
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(DatabaseError, _database_down)
    app.add_exception_handler(NewswireError, _bad_input)
    app.add_exception_handler(psycopg.errors.QueryCanceled, _too_slow)
    app.add_exception_handler(PoolTimeout, _lost)
    app.add_exception_handler(psycopg.OperationalError, _lost)
    app.add_exception_handler(Exception, _crashed)
