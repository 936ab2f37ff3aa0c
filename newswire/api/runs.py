"""GET /runs, GET /runs/{id}, POST /sources/{name}/crawl, which queues a run, and
POST /runs/{id}/cancel, which stops one (as `newswire cancel` does)."""

from __future__ import annotations

import logging
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request

from newswire.api.deps import (
    BIGINT,
    MAX_PAGE,
    READ,
    WRITE,
    Conn,
    configured_sources,
    error_responses,
)
from newswire.errors import ConfigError, DatabaseError, NewswireError, did_you_mean
from newswire.records import Run, RunStatus
from newswire.responses import CancelOutcome, CrawlQueued, RunList
from scheduler.queue import cancel_run, queue_crawls
from storage.runs import get_run, list_runs
from storage.search import SOURCE_NAME

logger = logging.getLogger(__name__)

router = APIRouter()

StatusText = Literal[tuple(status.value for status in RunStatus)]  # type: ignore[valid-type]


@router.get(
    "/runs",
    response_model=RunList,
    dependencies=READ,
    responses=error_responses(401, 403, 422, 503),
)
def runs(
    conn: Conn,
    source: Annotated[str | None, Query(max_length=100)] = None,
    status: StatusText | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
) -> RunList:
    """Crawl runs, newest first, optionally of one source or in one status."""
    if source is not None and not SOURCE_NAME.fullmatch(source):
        return RunList(items=[])
    return RunList(items=list_runs(conn, source=source, status=status, limit=limit))


@router.get(
    "/runs/{run_id}",
    response_model=Run,
    dependencies=READ,
    responses=error_responses(401, 403, 404, 422, 503),
)
def run(conn: Conn, run_id: Annotated[int, Path(ge=1, le=BIGINT)]) -> Run:
    """One crawl run with its stats and error."""
    found = get_run(conn, run_id)
    if found is None:
        raise HTTPException(404, f"run {run_id} does not exist")
    return found


@router.post(
    "/sources/{name}/crawl",
    response_model=CrawlQueued,
    status_code=202,
    dependencies=WRITE,
    responses=error_responses(401, 403, 404, 503),
)
def crawl(request: Request, conn: Conn, name: Annotated[str, Path(max_length=100)]) -> CrawlQueued:
    """Queue a one-off crawl of a configured source; a worker starts it. When a run of the
    source is already waiting, that one will crawl: the answer names it, status queued."""
    try:
        configured = configured_sources(request)
    except ConfigError as exc:
        raise DatabaseError(f"the server cannot read its sources file: {exc}") from exc
    if name not in configured:
        hint = did_you_mean(name, configured) or ": see GET /sources"
        raise HTTPException(404, f"unknown source {name!r} in the sources file{hint}")
    (queued,) = queue_crawls(conn, [name], "api")
    run_id = queued.run_id if queued.job_id is not None else queued.waiting or queued.run_id
    logger.info("queued run %d of %s from the API", run_id, name)
    return CrawlQueued(run_id=run_id, source=name, status=RunStatus.QUEUED)


@router.post(
    "/runs/{run_id}/cancel",
    response_model=CancelOutcome,
    status_code=202,
    dependencies=WRITE,
    responses=error_responses(401, 403, 404, 409, 422, 503),
)
def cancel(
    request: Request, conn: Conn, run_id: Annotated[int, Path(ge=1, le=BIGINT)]
) -> CancelOutcome:
    """Cancel a queued run at once, or ask a running crawl to stop (it keeps what it stored);
    409 when the run has already ended."""
    found = get_run(conn, run_id)
    if found is None:
        raise HTTPException(404, f"run {run_id} does not exist")
    try:
        outcome = cancel_run(conn, request.app.state.database_url, run_id)
    except NewswireError as exc:  # it has ended (perhaps just now)
        raise HTTPException(409, str(exc)) from None
    logger.info("cancel of run %d from the API: %s", run_id, outcome)
    return CancelOutcome(run_id=run_id, outcome=outcome)
