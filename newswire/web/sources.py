"""The sources page (``/outlets``): one row a source, worst first, and a page per source
(``/outlets/{name}``) with its runs over time and its last errors.

Health is :mod:`storage.health`'s, the same judgement ``newswire health`` prints (failing,
silent, never run, ok); the page only reads it (``source_health``), it never records a state
or sends a webhook: a page load must not change anything.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from newswire.api.deps import Conn, configured_sources
from newswire.config import Config
from newswire.display import format_span
from newswire.errors import ConfigError
from newswire.records import Source
from newswire.web.charts import runs_chart, sparkline
from newswire.web.render import error_page, page
from storage.health import SPARK_DAYS, source_health, source_history
from storage.search import SOURCE_NAME

logger = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)


def _configured(request: Request) -> tuple[dict[str, Source], str | None]:
    """The sources file's sources, or none and why (the page then shows what the database
    knows, and says the file is broken)."""
    try:
        return configured_sources(request), None
    except ConfigError as exc:
        logger.warning("the sources page without the sources file: %s", exc)
        return {}, str(exc)


@router.get("/outlets")
def sources_page(request: Request, conn: Conn) -> Response:
    """Every enabled source's health, worst first, with a sparkline of its new articles."""
    config: Config = request.app.state.config
    configured, problem = _configured(request)
    names = [name for name, source in configured.items() if source.enabled] or None
    healths = source_health(conn, config.health, now=datetime.now(UTC), sources=names)
    rows = [(health, sparkline(health.articles_per_day)) for health in healths]
    context = {"rows": rows, "problem": problem, "days": SPARK_DAYS, "span": format_span}
    return page(request, "sources.html", context)


@router.get("/outlets/{name}")
def source_page(
    request: Request, conn: Conn, name: Annotated[str, Path(max_length=100)]
) -> Response:
    """One source: its health, its latest runs as a chart and a table, its last errors."""
    config: Config = request.app.state.config
    configured, problem = _configured(request)
    history = source_history(conn, name) if SOURCE_NAME.fullmatch(name) else None
    if history is None or (name not in configured and not history.runs):
        return error_page(request, 404, f"no source {name!r} in the sources file or the runs")
    (health,) = source_health(conn, config.health, now=datetime.now(UTC), sources=[name])
    chart = runs_chart(
        [(f"run {p.run_id}", p.new_articles, p.duration_seconds) for p in history.runs]
    )
    context = {
        "name": name,
        "source": configured.get(name),
        "problem": problem,
        "health": health,
        "spark": sparkline(health.articles_per_day, width=240, height=40),
        "history": history,
        "chart": chart,
        "span": format_span,
        "days": SPARK_DAYS,
    }
    return page(request, "source.html", context)
