"""GET /sources: the configured sources and any others with stored articles, with their counts
and latest run (queueing a crawl of one is a run: see runs.py)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request

from newswire.api.deps import READ, Conn, configured_sources, error_responses
from newswire.errors import ConfigError
from newswire.responses import SourceInfo
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
