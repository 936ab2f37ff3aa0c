"""The web pages served by ``newswire serve`` beside the API: search, article, sources, runs.

Server-rendered (Jinja2, autoescaped: render.py) and readable without JavaScript; one small
script of our own (static/app.js) turns times into the reader's zone, keeps the runs page
live and sends the runs page's writes to the API with the token in a header. The pages call
the same storage functions as the CLI and the API and write no SQL of their own. They are
reads: with ``NEWSWIRE_API_OPEN_READS=false`` they answer 403, since a browser's page load
cannot carry the bearer token (and a cookie would bring CSRF with it).
"""

from __future__ import annotations

from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from newswire.config import Config
from newswire.web import article, runs, search
from newswire.web.render import STATIC, error_page


class _ClosedReads(Exception):
    """Raised for a page request on a server whose reads need the token."""


def _open_reads(request: Request) -> None:
    config: Config = request.app.state.config
    if not config.api_open_reads:
        raise _ClosedReads


async def _closed(request: Request, _: Exception) -> Response:
    return error_page(
        request, 403, "this server's reads need the API token (NEWSWIRE_API_OPEN_READS=false), "
        "so its web pages are off: use the API with the token, or open reads",
    )  # fmt: skip


def mount_pages(app: FastAPI) -> None:
    """Add the pages and their static files to the API's app."""
    app.add_exception_handler(_ClosedReads, _closed)
    for pages in (search, article, runs):
        app.include_router(pages.router, dependencies=[Depends(_open_reads)])
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
