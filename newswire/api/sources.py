"""GET /sources: the configured sources and any others with stored articles, with their counts
and latest run; GET /sources/health, every source's state worst first; GET
/sources/{name}/history, one source's runs over time and its last errors (queueing a crawl of
one is a run: see runs.py)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request

from newswire.api.deps import READ, Conn, configured_sources, error_responses, judged_sources
from newswire.config import Config
from newswire.errors import ConfigError
from newswire.records import SourceHealth
from newswire.responses import SourceInfo
from storage.health import SourceHistory, source_health, source_history
from storage.queries import source_summaries

logger = logging.getLogger(__name__)

router = APIRouter(dependencies=READ)


@router.get("/sources", response_model=list[SourceInfo], responses=error_responses(401, 403, 503))
def sources(request: Request, conn: Conn) -> list[SourceInfo]:
    """Configured sources and any others with stored articles, with their latest run."""
    try:
        configured = configured_sources(request)
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
                schedule=source.schedule.describe() if source and source.schedule else None,
                articles=summary.articles if summary else 0,
                duplicates=summary.duplicates if summary else 0,
                last_run_id=summary.last_run_id if summary else None,
                last_run_status=summary.last_run_status if summary else None,
                last_run_finished_at=summary.last_run_finished_at if summary else None,
            )
        )
    return listed


@router.get(
    "/sources/health", response_model=list[SourceHealth], responses=error_responses(401, 403, 503)
)
def sources_health(request: Request, conn: Conn) -> list[SourceHealth]:
    """Every enabled source's health now, worst first: failing, silent, never run, ok; the
    same records as `newswire health` (the state is judged here, not remembered)."""
    config: Config = request.app.state.config
    return source_health(conn, config.health, now=datetime.now(UTC), sources=judged_sources(config))


@router.get(
    "/sources/{name}/history",
    response_model=SourceHistory,
    responses=error_responses(401, 403, 422, 503),
)
def history(conn: Conn, name: Annotated[str, Path(max_length=100)]) -> SourceHistory:
    """One source's latest 100 finished runs, oldest first (new articles and duration each),
    and its latest 20 failed runs or runs whose checks failed, with their reasons."""
    return source_history(conn, name)
