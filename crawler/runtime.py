"""What a crawl needs from outside Scrapy: its source record and a ready database.

Entry points (the CLI, a worker) put NEWSWIRE_SOURCES and
NEWSWIRE_DATABASE_URL into the Scrapy settings; a bare ``scrapy crawl news -a source=NAME``
from the repo root leaves them unset and they are read here from newswire's process config.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from scrapy.settings import BaseSettings

from crawler.sources import load_sources, select_sources
from newswire.config import load_config
from newswire.errors import ConfigError
from newswire.records import Source
from storage.connection import database_ready, resolve_database_url


@dataclass(frozen=True)
class CrawlContext:
    source: Source
    database_url: str


def _sources(path: Path) -> dict[str, Source]:
    """The sources file, parsed once per version of it: a worker starts thousands of crawls,
    and reading a 1,000-source file took 0.16 CPU-s, more than a refresh's whole crawl."""
    try:
        stat = path.stat()
    except OSError:
        return load_sources(path)  # which says what is wrong with the path
    return _parsed_sources(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4)
def _parsed_sources(path: Path, mtime_ns: int, size: int) -> dict[str, Source]:
    return load_sources(path)


def crawl_context(settings: BaseSettings, source_name: str | None) -> CrawlContext:
    """Load the named source, apply its settings table and resolve the database, once."""
    if not source_name:
        raise ConfigError("no source given: run `scrapy crawl news -a source=NAME`")
    config = load_config()
    path = settings.get("NEWSWIRE_SOURCES") or config.sources_path
    (source,) = select_sources(_sources(Path(path)), [source_name], origin=str(path))
    database_url = settings.get("NEWSWIRE_DATABASE_URL")
    if database_url is None:
        database_url = database_ready(resolve_database_url(config))
        settings.set("NEWSWIRE_DATABASE_URL", database_url, priority="spider")
    cache_dir = Path(settings.get("HTTPCACHE_DIR") or "httpcache")
    if settings.getbool("HTTPCACHE_ENABLED") and not cache_dir.is_absolute():
        # Revalidated feeds and sitemaps live with newswire's data, not in the working dir.
        settings.set("HTTPCACHE_DIR", str(config.data_dir / cache_dir), priority="spider")
    # The source's limits become settings, which its own settings table may still override.
    settings.set("NEWSWIRE_EXTRACT_MIN_TEXT_CHARS", source.limits.min_text_chars, "spider")
    settings.set("NEWSWIRE_HEALTH", config.health, priority="spider")  # judged at the run's end
    # A crawl closes itself cleanly at its timeout (what it found is stored), in a worker
    # among many crawls as in a process of its own.
    settings.set("CLOSESPIDER_TIMEOUT", source.limits.timeout.total_seconds(), "spider")
    settings.setdict(dict(source.settings), priority="spider")
    return CrawlContext(source=source, database_url=database_url)
