"""`newswire worker`: one long-lived Scrapy process running many source crawls as queue jobs.

One asyncio reactor, one ``AsyncCrawlerRunner``: each claimed job (:mod:`scheduler.queue`)
adds a crawl of its queued run, at most ``concurrency`` at once, instead of paying a
``scrapy crawl`` process start per run. All crawls share one extraction pool, one database
connection for gates and stores, and one lock session holding every source's run lock
(:class:`crawler.runstats.RunLocks`); procrastinate adds two (a pool of one and its
listener): four in all.
Every second the worker also cleans up after a killed worker
(:func:`scheduler.queue.sweep_dead_workers`). After
``max_crawls`` crawls, or past ``max_memory_mb`` of RSS, it stops claiming, lets its open
crawls finish and exits 0, to be restarted by its supervisor with a fresh heap. SIGTERM or
SIGINT: it stops claiming, and its open crawls close cleanly (recorded interrupted) within
the shutdown timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import resource
import signal
import socket
from dataclasses import dataclass
from pathlib import Path

import procrastinate
import psycopg
from procrastinate.exceptions import ConnectorException
from psycopg_pool import ConnectionPool, PoolTimeout
from scrapy.crawler import AsyncCrawlerRunner
from scrapy.settings import Settings
from scrapy.utils.conf import build_component_list
from scrapy.utils.misc import load_object
from scrapy.utils.reactor import install_reactor

from crawler.runstats import RunLocks
from crawler.spiders.news import NewsSpider
from pipelines.extract import ExtractionPool, extract_workers
from scheduler.inprocess import CrawlOptions, crawl_settings
from scheduler.queue import (
    CRAWL_QUEUE,
    CRAWL_TASK,
    HEARTBEAT_SECONDS,
    STALLED_SECONDS,
    queue_app,
    sweep_dead_workers,
)
from storage.connection import open_pool

logger = logging.getLogger(__name__)

# Gates, stores and run rows of every crawl of the worker. One is enough: a refresh of an
# unchanged source keeps it busy about 3 ms, writes queue on one advisory lock anyway, and two
# workers (one per core) with their scheduler stay within ten connections.
DATABASE_CONNECTIONS = 1
# procrastinate's pool: claims, heartbeats, outcomes and the sweep, all small queries; its
# listener for new jobs is one more connection of its own, outside the pool.
QUEUE_CONNECTIONS = 1


STOP_MARGIN = 5.0  # seconds past the shutdown timeout before a stuck stop is forced
SWEEP_EXIT_SECONDS = 5.0  # what a sweep under way gets to end when the worker stops


@dataclass(frozen=True)
class WorkerOptions:
    """How one worker process runs."""

    database_url: str
    sources_path: Path
    concurrency: int
    max_crawls: int
    max_memory_mb: int
    shutdown_timeout: float
    data_dir: Path | None = None
    parent: int | None = None  # the supervising scheduler's pid: stop once it is gone


def rss_mb() -> float:
    """The process's peak resident set size in MB (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Worker:
    """The crawl task and the worker's lifecycle, on the running asyncio loop."""

    def __init__(self, options: WorkerOptions, settings: Settings) -> None:
        self.options = options
        self.settings = settings
        self.name = f"newswire worker {socket.gethostname()} {os.getpid()}"
        self.crawls = 0
        self.main: asyncio.Task[None] | None = None
        self.runner: AsyncCrawlerRunner | None = None
        self.shared: dict[str, object] = {}
        self.stopping: asyncio.Task[None] | None = None
        self.failure: str | None = None  # why it stopped itself, for a non-zero exit
        self.locks: RunLocks | None = None
        self.closing = asyncio.Event()  # the queue's worker loop has ended: the sweep stops

    async def crawl(self, run_id: int, source: str) -> None:
        """The job: crawl one queued run of a source to its end, recorded in crawl_runs."""
        assert self.runner is not None
        crawler = self.runner.create_crawler(NewsSpider)
        for key, value in self.shared.items():  # set on the crawler's own settings: shared
            crawler.settings.set(key, value, priority="cmdline")
        crawl = self.runner.crawl(crawler, source=source, run_id=run_id)
        try:
            await asyncio.shield(crawl)
        except asyncio.CancelledError:
            # procrastinate cancels the task of a job asked to abort (`newswire cancel`) or
            # past its shutdown timeout: the crawl itself closes cleanly (it sees the cancel
            # on its row within a second; at shutdown the runner stops it), so wait for it.
            await crawl
            raise
        self.crawls += 1
        if self.crawls >= self.options.max_crawls or rss_mb() >= self.options.max_memory_mb:
            logger.info(
                "%s: restarting after %d crawls at %.0f MB", self.name, self.crawls, rss_mb()
            )
            self._stop_claiming()

    def _stop_claiming(self) -> None:
        # procrastinate's worker, cancelled, stops claiming and waits for its open jobs.
        if self.main is not None and not self.main.done():
            self.main.cancel()
            loop = asyncio.get_running_loop()
            loop.call_later(self.options.shutdown_timeout + STOP_MARGIN, self._stop_now)

    def _stop_now(self) -> None:
        # Under load, procrastinate's worker loop has been seen (py-spy: the event loop idle)
        # not to return after its stop once every crawl had ended, leaving the process up
        # forever; a second cancel breaks its wait, and the worker closes as usual.
        if self.main is not None and not self.main.done():
            logger.warning("%s: the queue's worker loop did not stop: stopping it", self.name)
            self.main.cancel()

    def shutdown(self) -> None:
        """SIGTERM/SIGINT: claim nothing more, close the open crawls cleanly now."""
        logger.info("%s: stopping, open crawls close as interrupted", self.name)
        self._stop_claiming()
        if self.runner is not None and self.stopping is None:
            self.stopping = asyncio.ensure_future(self.runner.stop())

    async def _sweep(self, app: procrastinate.App, database: ConnectionPool) -> None:
        # Ends on `closing`, not on a cancel: a cancel that lands inside the queue's or the
        # pool's query code has been seen swallowed there, leaving the sweep (and the stopped
        # worker, waiting for it) running for good.
        while not self.closing.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.closing.wait(), HEARTBEAT_SECONDS)
                return
            parent = self.options.parent
            if parent is not None and os.getppid() != parent and self.stopping is None:
                logger.warning("%s: its scheduler is gone (killed?): stopping", self.name)
                self.shutdown()
            try:
                await sweep_dead_workers(app, database)
                await asyncio.to_thread(self._check_lock_session)
            except (psycopg.Error, PoolTimeout, ConnectorException) as exc:
                logger.warning("%s: sweep failed (%s); again in a second", self.name, exc)
            if self.failure is not None and self.stopping is None:
                logger.error("%s: %s: stopping, for its supervisor to start it again",
                             self.name, self.failure)  # fmt: skip
                self.shutdown()

    def _check_lock_session(self) -> None:
        """The lock session cannot be replaced under crawls that hold locks on it: once it is
        lost (the database restarted), the worker stops and its supervisor starts a fresh
        one, which goes on with the queued runs."""
        assert self.locks is not None
        try:
            self.locks.conn.execute("SELECT 1")
        except psycopg.Error as exc:
            reason = (str(exc).strip() or type(exc).__name__).splitlines()[0]
            self.failure = f"lost its lock session ({reason})"

    async def serve(self) -> None:
        """Run jobs until stopped; the pools and the lock session close on the way out."""
        url = self.options.database_url
        level = logging.getLevelName(self.settings.get("LOG_LEVEL", "INFO"))
        pool = ExtractionPool(
            extract_workers(self.settings.get("NEWSWIRE_EXTRACT_WORKERS")),
            log_level=level if isinstance(level, int) else logging.INFO,
        )
        database = open_pool(url, min_size=1, max_size=DATABASE_CONNECTIONS)
        locks = self.locks = RunLocks(url, self.name)
        self.shared = {"NEWSWIRE_DATABASE_POOL": database, "NEWSWIRE_RUN_LOCKS": locks}
        if pool.workers:
            self.shared["NEWSWIRE_EXTRACT_POOL"] = pool
        self.runner = AsyncCrawlerRunner(self.settings)
        _import_components(self.settings)
        app = queue_app(url, max_connections=QUEUE_CONNECTIONS)
        app.task(name=CRAWL_TASK, queue=CRAWL_QUEUE)(self.crawl)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self.shutdown)
        try:
            async with app.open_async():
                sweeper = asyncio.create_task(self._sweep(app, database))
                self.main = asyncio.create_task(
                    app.run_worker_async(
                        queues=[CRAWL_QUEUE],
                        name=self.name,
                        concurrency=self.options.concurrency,
                        install_signal_handlers=False,
                        update_heartbeat_interval=HEARTBEAT_SECONDS,
                        stalled_worker_timeout=STALLED_SECONDS,
                        shutdown_graceful_timeout=self.options.shutdown_timeout,
                        delete_jobs="successful",
                    )
                )
                logger.info("%s: claiming crawls, %d at once", self.name, self.options.concurrency)
                with contextlib.suppress(asyncio.CancelledError):
                    await self.main
                self.closing.set()
                # A sweep under way ends within its queries' time; one stuck on a dead
                # database does not hold the exit up.
                _, stuck = await asyncio.wait({sweeper}, timeout=SWEEP_EXIT_SECONDS)
                for task in stuck:
                    task.cancel()
        finally:
            pool.close()
            database.close()
            locks.close()
        logger.info("%s: stopped after %d crawls", self.name, self.crawls)


_COMPONENT_SETTINGS = (
    "DOWNLOADER_MIDDLEWARES",
    "SPIDER_MIDDLEWARES",
    "EXTENSIONS",
    "ITEM_PIPELINES",
)


def _import_components(settings: Settings) -> None:
    """Import every component a crawl loads before claiming the first job: the first crawl of
    a fresh worker otherwise spends most of a second importing them after its trigger."""
    for name in _COMPONENT_SETTINGS:
        for path in build_component_list(settings.getwithbase(name)):
            load_object(path)
    for path in settings.getwithbase("DOWNLOAD_HANDLERS").values():  # scheme -> handler
        if path:
            load_object(path)


def run_worker(options: WorkerOptions) -> int:
    """Run a worker in this process until SIGTERM or its restart limit; returns 0."""
    settings = crawl_settings(
        options.database_url,
        options.sources_path,
        CrawlOptions(trigger="schedule"),
        data_dir=options.data_dir,
    )
    install_reactor(settings["TWISTED_REACTOR"])
    from twisted.internet import defer, reactor

    worker = Worker(options, settings)
    done = defer.Deferred.fromFuture(asyncio.ensure_future(worker.serve()))
    failures: list[BaseException] = []
    done.addErrback(lambda failure: failures.append(failure.value))
    done.addBoth(lambda _: reactor.stop())
    reactor.run(installSignalHandlers=False)
    if worker.failure is not None:
        return 1
    if failures:
        error = failures[0]
        cause = error.__cause__ or error.__context__
        reason = f"{error}".strip() + (f": {cause}".rstrip() if cause else "")
        logger.error("%s stopped: %s", worker.name, " ".join(reason.split()))
        return 1
    return 0
