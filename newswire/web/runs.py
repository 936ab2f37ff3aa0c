"""The runs page (``/crawls``): running and recent runs, live, with trigger and cancel.

The table is rendered on the server; the page's script then polls ``GET /runs`` (the API's
own JSON) every two seconds and redraws it. Trigger and cancel are the API's write endpoints
(``POST /sources/{name}/crawl``, ``POST /runs/{id}/cancel``), called by the script with the
API token the reader types once: it is kept in the tab's sessionStorage and sent as an
``Authorization`` header, never in a URL and never as a cookie, so no other site can make a
browser write on the reader's behalf (no CSRF exposure).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from newswire.api.deps import Conn, configured_sources
from newswire.config import Config
from newswire.errors import ConfigError
from newswire.web.render import page
from storage.runs import list_runs

router = APIRouter(include_in_schema=False)

RECENT = 50  # runs the page shows (the script asks GET /runs for the same number)


@router.get("/crawls")
def runs_page(request: Request, conn: Conn) -> Response:
    """Running and recent runs with their figures; the trigger and cancel controls."""
    config: Config = request.app.state.config
    try:
        sources = [name for name, source in configured_sources(request).items() if source.enabled]
        problem = None
    except ConfigError as exc:
        sources, problem = [], str(exc)
    context = {
        "runs": list_runs(conn, limit=RECENT),
        "limit": RECENT,
        "sources": sources,
        "sources_problem": problem,
        "writes": config.api_token is not None,
    }
    return page(request, "runs.html", context)
