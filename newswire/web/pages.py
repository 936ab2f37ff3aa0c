"""Mounting the web pages on the API's app, and the one rule they share: they are reads, off
when the server's reads need the token (see the package docstring)."""

from __future__ import annotations

from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from newswire.config import Config
from newswire.web import article, runs, search, sources
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
    for pages in (search, article, sources, runs):
        app.include_router(pages.router, dependencies=[Depends(_open_reads)])
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
