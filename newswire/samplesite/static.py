"""Bulk article pages rendered once into a directory and then served from it.

A news site's origin answers most article requests from a cache or a CDN, at almost no cost
per request. Benchmarks want that too: the page generator's CPU (rendering and compressing
each page on demand) would otherwise compete with the crawler for the same cores.
"""

from __future__ import annotations

import logging
from pathlib import Path

from newswire.samplesite.pages import PageContext, render_article
from newswire.samplesite.routes import Reply, gzip_body
from newswire.samplesite.site import SampleSite

logger = logging.getLogger(__name__)


class StaticPages:
    """Pre-rendered bulk article pages, gzip-encoded when the site serves gzip."""

    def __init__(self, directory: Path, gzipped: bool) -> None:
        self.directory = directory
        self.gzipped = gzipped
        self._files: dict[tuple[str, str], tuple[str, str]] = {}  # -> (file name, charset)

    @classmethod
    def render(
        cls, site: SampleSite, base_urls: dict[str, str], directory: Path, *, gzipped: bool
    ) -> StaticPages:
        """Render every bulk article of ``site`` (whose outlets serve at ``base_urls``)."""
        pages = cls(directory, gzipped)
        directory.mkdir(parents=True, exist_ok=True)
        for index in range(site.bulk_articles):
            article = site.bulk_article(index)
            ctx = PageContext(site, site.outlets[article.outlet], base_urls)
            charset = article.legacy_encoding or "utf-8"
            body = render_article(ctx, article).encode(charset)
            name = f"{index}.html"
            if gzipped:
                body, name = gzip_body(body), name + ".gz"
            (directory / name).write_bytes(body)
            pages._files[(article.outlet, article.path)] = (name, charset)
        logger.info("sample site: %d bulk pages rendered into %s", len(pages._files), directory)
        return pages

    def reply(self, outlet: str, path: str) -> Reply | None:
        """The stored page at ``path`` of ``outlet``, or None when it is not a bulk article."""
        found = self._files.get((outlet, path))
        if found is None:
            return None
        name, charset = found
        body = (self.directory / name).read_bytes()
        return Reply(200, body, "text/html", charset=charset, gzipped=self.gzipped)
