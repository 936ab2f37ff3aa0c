"""The HTTP API served by ``newswire serve``: search, articles, sources, runs, health, metrics.

One router per resource (articles.py, sources.py, runs.py, health.py), their shared
dependencies in deps.py. Reads are open, or need the bearer token when
NEWSWIRE_API_OPEN_READS=false; writes always need it (NEWSWIRE_API_TOKEN), and with no token
configured they are refused. Every error is JSON ``{"error": "..."}`` with a message that says
what to fix, never a stack trace.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version
from typing import Any

import uvicorn
from fastapi import FastAPI

from newswire.api import articles, health, runs, sources
from newswire.api.deps import install_error_handlers, judged_sources
from newswire.config import Config
from newswire.errors import ConfigError
from newswire.metrics import metrics_registry
from newswire.web.pages import mount_pages
from storage.connection import open_pool, ready_database

STATEMENT_TIMEOUT_MS = 15_000  # no request holds a connection longer than this


def create_app(config: Config) -> FastAPI:
    """The API for this configuration; the database pool opens when the server starts."""
    if not config.api_open_reads and not config.api_token:
        raise ConfigError(
            "NEWSWIRE_API_OPEN_READS=false needs NEWSWIRE_API_TOKEN: set a token or open reads"
        )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.database_url = database_url = ready_database(config)
        pool = open_pool(
            database_url,
            max_size=4,
            statement_timeout_ms=STATEMENT_TIMEOUT_MS,
            name="newswire-api",
        )
        app.state.pool = pool
        app.state.registry = metrics_registry(pool, config.health, lambda: judged_sources(config))
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
    install_error_handlers(app)
    for resource in (articles, sources, health, runs):
        app.include_router(resource.router)
    mount_pages(app)  # the web pages at / (newswire/web)
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


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to host:port (0: any free port) before the app starts, so a busy port
    is one line naming the fix and the printed URL is the real one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(
            f"cannot listen on {host}:{port} ({exc.strerror}): pick another --host or --port"
        ) from None
    return sock


def run_server(app: FastAPI, sock: socket.socket) -> bool:
    """Serve app on sock under uvicorn until stopped; False when it never started (the log
    says why). Logging stays with the entry point (no uvicorn log config)."""
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="on"))
    server.run(sockets=[sock])
    return server.started
