"""Extension: one crawl_runs row per crawl, opened with the spider and closed with its stats.

It also keeps one run per source at a time, whoever starts it (timetable, trigger, or
``newswire crawl``): at spider open it takes the source's session advisory lock and holds it
until the outcome is recorded. The lock lives on the process's lock session: the :class:`RunLocks`
in the ``NEWSWIRE_RUN_LOCKS`` setting, shared by every crawl of a process that runs many (one
connection for a thousand sources), or else one the extension opens for its single crawl. A
process that is killed loses the session and so its locks; a run that cannot get the lock ends
without crawling, recorded as failed. The same session is polled about once a second for a
cancel request (``newswire cancel``), which closes the spider cleanly with its items stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Self

import psycopg
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider

from crawler.monitors import load_suites, run_checks
from newswire.config import HealthSettings
from newswire.errors import ConfigError, DatabaseError, NewswireError
from storage.connection import connect
from storage.health import judge_sources
from storage.runs import (
    cancel_requested,
    create_run,
    end_run,
    finish_run,
    notify_runs,
    open_lock_session,
    start_run,
    try_lock_source,
    unlock_source,
)

logger = logging.getLogger(__name__)

# Scrapy close reasons that are not a failure of the run.
_STATUS_BY_REASON = {"finished": "succeeded", "shutdown": "interrupted", "cancelled": "cancelled"}
# Close reasons that fail a run with a known explanation.
_ERROR_BY_REASON = {
    "closespider_timeout": "timed out: the crawl ran past its source's limits.timeout and was"
    " closed (what it had found is stored)",
}
CANCEL_CHECK_SECONDS = 1.0  # how often a crawl looks for `newswire cancel`


def summarize_stats(stats: Mapping[str, Any]) -> dict[str, Any]:
    """Condense Scrapy's stats into the figures a crawl_runs row keeps."""

    def count(key: str) -> int:
        return int(stats.get(key, 0) or 0)

    def by_suffix(prefix: str) -> dict[str, int]:
        return {k[len(prefix) :]: int(v) for k, v in sorted(stats.items()) if k.startswith(prefix)}

    exceptions = by_suffix("downloader/exception_type_count/")
    exceptions.pop("scrapy.exceptions.IgnoreRequest", None)  # robots.txt: counted on its own
    errors = sum(exceptions.values()) + count("log_count/ERROR")
    start, finish = stats.get("start_time"), stats.get("finish_time")
    return {
        "pages_fetched": count("downloader/response_count"),
        "article_requests": count("newswire/requests/article"),
        "article_pages": count("newswire/pages/article"),
        "skipped_stored": count("newswire/incremental/skipped_stored"),
        "over_max_pages": count("newswire/incremental/over_max_pages"),
        "articles_stored": count("newswire/store/stored"),
        "duplicates": count("newswire/store/duplicates"),
        "already_known": count("newswire/store/known"),
        # Refetches of stored articles (crawler.refetch) and what they came to.
        "refetches": count("newswire/refetch/requests"),
        "refetch_not_modified": count("newswire/refetch/not_modified"),
        "refetch_unchanged": count("newswire/refetch/unchanged") + count("newswire/refetch/moved"),
        "changed": count("newswire/refetch/changed"),
        "removed": count("newswire/refetch/removed") + count("newswire/refetch/redirected"),
        # Structure pages read, and the unchanged ones whose stored reading was used instead.
        "structure_parsed": count("newswire/discovery/parsed"),
        "structure_reused": count("newswire/discovery/reused"),
        "dropped": by_suffix("newswire/rejected/"),
        "http_status": by_suffix("downloader/response_status_count/"),
        "not_modified": count("downloader/response_status_count/304"),
        "with_title": count("newswire/store/with_title"),
        "with_authors": count("newswire/store/with_authors"),
        "with_date": count("newswire/store/with_date"),
        "retries": count("retry/count"),
        "robots_forbidden": count("robotstxt/forbidden"),
        "errors": errors,
        "elapsed_seconds": round((finish - start).total_seconds(), 3) if start and finish else None,
    }


def run_outcome(reason: str, stats: Mapping[str, Any]) -> tuple[str, str | None]:
    """Map a Scrapy close reason and the stats to a run status and error text."""
    if error := stats.get("newswire/error"):
        return "failed", str(error)
    status = _STATUS_BY_REASON.get(reason, "failed")
    if status == "succeeded" and not stats.get("downloader/response_count"):
        return "failed", "no page could be fetched: is the site up and the home URL right?"
    if status != "failed":
        return status, None
    return status, _ERROR_BY_REASON.get(reason, f"crawl closed: {reason}")


def _monitor_suites(paths: list[str]) -> list[Any]:
    """NEWSWIRE_RUN_MONITORS loaded once per crawl: a wrong entry stops it before it starts."""
    try:
        return load_suites(paths)
    except (ImportError, AttributeError, NameError, ValueError, TypeError) as exc:
        raise ConfigError(f"NEWSWIRE_RUN_MONITORS: {exc}: name MonitorSuite classes") from None


class RunLocks:
    """A process's lock session: the source run locks of all its crawls on one connection.

    Session advisory locks are re-entrant within a session, so the sources held here are also
    kept in a set: a second crawl of a source in the same process is refused like any other.
    """

    def __init__(self, database_url: str, name: str) -> None:
        self.conn = open_lock_session(database_url, name)
        self.held: set[str] = set()

    def try_lock(self, source: str) -> bool:
        """Take the source's run lock for this process; False when any run holds it."""
        if source in self.held or not try_lock_source(self.conn, source):
            return False
        self.held.add(source)
        return True

    def unlock(self, source: str) -> None:
        """Release the source's lock (it is forgotten here even if the session is gone)."""
        if source in self.held:
            self.held.discard(source)
            unlock_source(self.conn, source)

    def close(self) -> None:
        """Close the session, which releases whatever it still holds."""
        self.held.clear()
        with contextlib.suppress(psycopg.Error):
            self.conn.close()


class RunStatsExtension:
    """Takes the source's run lock, opens (or claims a queued) crawl_runs row at spider open,
    watches for a cancel request, and records the outcome at close."""

    def __init__(
        self,
        crawler: Crawler,
        database_url: str,
        trigger: str,
        shared_locks: RunLocks | None = None,
        health: HealthSettings | None = None,
    ) -> None:
        self.crawler = crawler
        self.health = health or HealthSettings()
        self.suites = _monitor_suites(crawler.settings.getlist("NEWSWIRE_RUN_MONITORS"))
        self.database_url = database_url
        self.trigger = trigger
        self.shared_locks = shared_locks  # the process's lock session; None: open one
        self.locks: RunLocks | None = None
        self.lock_conn: psycopg.Connection[Any] | None = None
        self.locked: str | None = None  # the source whose lock this crawl holds
        self.owns_run = False  # False: the row is final already, or another process's
        self.watcher: asyncio.Task[None] | None = None
        self.closer: asyncio.Task[None] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        ext = cls(
            crawler,
            settings["NEWSWIRE_DATABASE_URL"],
            settings["NEWSWIRE_RUN_TRIGGER"],
            settings.get("NEWSWIRE_RUN_LOCKS"),
            settings.get("NEWSWIRE_HEALTH"),
        )
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        source = spider.source.name
        try:
            self._open_run(spider)
        except (DatabaseError, psycopg.Error) as exc:
            self._release_lock()
            self.crawler.stats.set_value("newswire/error", f"database error: {exc}")
            logger.error("source %s: cannot record the run: %s", source, exc)
            raise CloseSpider("database_error") from exc
        logger.info("source %s: run %s started", source, spider.run_id)
        self.watcher = asyncio.create_task(self._watch(spider))

    def _open_run(self, spider: Spider) -> None:
        """Lock the source, then claim or create the row; raises CloseSpider when it may not run."""
        source = spider.source.name
        pid, host = os.getpid(), socket.gethostname()
        locks = self.locks = self.shared_locks or RunLocks(
            self.database_url, f"newswire crawl {source}"
        )
        conn = self.lock_conn = locks.conn
        if locks.try_lock(source):
            self.locked = source
        else:
            error = f"another run of {source} is in progress: this one did not start"
            if spider.run_id is None:
                spider.run_id = create_run(conn, source, self.trigger, pid=pid, hostname=host)
                finish_run(conn, spider.run_id, "failed", {}, error)
            else:
                end_run(conn, spider.run_id, "failed", error, only_from=("queued",))
            self._release_lock()
            self.crawler.stats.set_value("newswire/error", error)
            logger.warning("source %s: run %s: %s", source, spider.run_id, error)
            raise CloseSpider("source_busy")
        if spider.run_id is None:  # the lock is held first: the row is never taken for dead
            spider.run_id = create_run(conn, source, self.trigger, pid=pid, hostname=host)
        else:
            try:
                start_run(conn, spider.run_id, pid, hostname=host)
            except NewswireError as exc:  # cancelled meanwhile, or claimed by another process
                self._release_lock()
                self.crawler.stats.set_value("newswire/error", str(exc))
                logger.warning("source %s: %s", source, exc)
                raise CloseSpider("run_unavailable") from exc
        self.owns_run = True

    async def _watch(self, spider: Spider) -> None:
        """Poll for a cancel request; a lost lock connection also ends the crawl."""
        conn = self.lock_conn
        assert conn is not None
        while True:
            await asyncio.sleep(CANCEL_CHECK_SECONDS)
            try:
                requested = await asyncio.to_thread(cancel_requested, conn, spider.run_id)
            except psycopg.Error as exc:
                reason = (str(exc).strip() or type(exc).__name__).splitlines()[0]
                self.crawler.stats.set_value(
                    "newswire/error",
                    f"lost the database connection that holds the run lock ({reason})",
                )
                self._close_spider("lock_lost")
                return
            if requested:
                logger.info(
                    "source %s: run %s cancelled on request", spider.source.name, spider.run_id
                )
                self._close_spider("cancelled")
                return

    def _close_spider(self, reason: str) -> None:
        # A task of its own: closing cancels the watcher, which must not cancel the closing.
        self.closer = asyncio.create_task(self.crawler.engine.close_spider_async(reason=reason))

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.watcher is not None:
            self.watcher.cancel()
        try:
            if self.owns_run:
                self._record(spider, reason)
        finally:
            self._release_lock()

    def _record(self, spider: Spider, reason: str) -> None:
        raw = self.crawler.stats.get_stats()
        status, error = run_outcome(reason, raw)
        summary = summarize_stats(
            {**raw, "finish_time": raw.get("finish_time") or datetime.now(UTC)}
        )
        checks = run_checks(self.crawler, self.suites, {**raw, "finish_reason": reason})
        try:
            self._finish(spider, status, summary, error, checks, self.lock_conn)
        except psycopg.OperationalError:  # the lock connection died: record on a fresh one
            self._finish(spider, status, summary, error, checks, None)
        logger.info(
            "source %s: run %s %s (%d stored, %d duplicates)",
            spider.source.name,
            spider.run_id,
            status,
            summary["articles_stored"],
            summary["duplicates"],
        )

    def _finish(
        self,
        spider: Spider,
        status: str,
        summary: dict[str, Any],
        error: str | None,
        checks: dict[str, Any],
        conn: psycopg.Connection[Any] | None,
    ) -> None:
        with contextlib.ExitStack() as stack:
            if conn is None or conn.closed:
                conn = stack.enter_context(connect(self.database_url))
            finish_run(conn, spider.run_id, status, summary, error, checks=checks)
            if conn is self.lock_conn:  # free the source before saying so
                self._unlock()
            notify_runs(conn, f"ended {spider.run_id}")  # a run waiting for the source starts
            self._judge_health(conn, spider.source.name)

    def _judge_health(self, conn: psycopg.Connection[Any], source: str) -> None:
        """Record a change of the source's state that this run made (failing, recovered), for
        the webhook's sender to post: one small query and the compare, no HTTP, so the crawl
        never waits."""
        try:
            judge_sources(conn, self.health, [source])
        except psycopg.Error as exc:  # the run is recorded; the next sweep judges the source
            logger.warning("source %s: could not judge its health: %s", source, exc)

    def _unlock(self) -> None:
        if self.locked is not None and self.locks is not None:
            self.locks.unlock(self.locked)
        self.locked = None

    def _release_lock(self) -> None:
        """Free the source: unlock it on the shared session, or close the session opened for
        this crawl (which releases its lock)."""
        locks, self.locks, self.lock_conn = self.locks, None, None
        if locks is None:
            return
        if locks is self.shared_locks:
            with contextlib.suppress(psycopg.Error):
                if self.locked is not None:
                    locks.unlock(self.locked)
        else:
            locks.close()
        self.locked = None
