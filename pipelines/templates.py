"""Each source's title template for a crawl: learned from its stored pages, then the run's.

The extraction workers strip a source's template from titles (``pipelines.titles``); they
are separate processes, so the crawl process keeps one ``TitleTemplate`` a source and hands
its current affixes to the workers with every page. The stored part is read once, at the
source's first page (a re-crawl that finds nothing new never asks), off the reactor thread.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from newswire.errors import NewswireError
from pipelines.titles import TEMPLATE_TITLES, TitleTemplate, head_title
from storage.connection import connect
from storage.titles import recent_page_heads

logger = logging.getLogger(__name__)


class TitleTemplates:
    """One source's template after another, from the crawl's database (or none: a test crawl
    without one learns from its own pages only)."""

    def __init__(self, database_url: str | None, pool: ConnectionPool | None = None) -> None:
        self.database_url = database_url
        self.pool = pool
        self.loading: dict[str, asyncio.Future[TitleTemplate]] = {}

    @classmethod
    def from_settings(cls, settings: Any) -> TitleTemplates:
        """The crawl's database: the entry point's shared pool, else its URL."""
        shared = settings.get("NEWSWIRE_DATABASE_POOL")
        pool = shared if isinstance(shared, ConnectionPool) else None
        return cls(settings.get("NEWSWIRE_DATABASE_URL"), pool)

    async def template(self, source: str) -> TitleTemplate:
        """The source's template, loaded at the first call and shared by every later one."""
        if source not in self.loading:
            self.loading[source] = asyncio.ensure_future(asyncio.to_thread(self.stored, source))
        return await asyncio.shield(self.loading[source])

    def stored(self, source: str) -> TitleTemplate:
        """The template of the source's latest stored pages' titles."""
        try:
            if self.pool is not None:
                with self.pool.connection() as conn:
                    heads = recent_page_heads(conn, source, TEMPLATE_TITLES)
            elif self.database_url:
                with connect(self.database_url) as conn:
                    heads = recent_page_heads(conn, source, TEMPLATE_TITLES)
            else:
                heads = []
        except (psycopg.Error, NewswireError) as exc:  # the store stage fails the run loudly
            logger.warning("source %s: stored titles unreadable, template from this run: %s",
                           source, exc)  # fmt: skip
            heads = []
        return TitleTemplate(head_title(head) for head in heads)
