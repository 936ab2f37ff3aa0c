"""The scheduler service behind ``newswire scheduler``: timetable, run queue, crawl processes.

One scheduler per database is active (:mod:`scheduler.leader`); the others stand by. The
active one keeps APScheduler 3's BackgroundScheduler with its jobs in the same PostgreSQL
(SQLAlchemyJobStore; the 4.x line is a pre-release), synced from sources.toml at start and on
SIGHUP (:mod:`scheduler.timetable`). Timetable jobs, ``newswire trigger`` and the API all queue
crawl_runs rows; the dispatcher wakes on NOTIFY and starts queued runs oldest first, never two
of one source, at most ``max_concurrent`` at once, each as a subprocess
(:mod:`scheduler.runner`) watched by a thread that records what the crawl itself could not.

SIGTERM/SIGINT: no new runs; running crawls get SIGTERM (Scrapy closes cleanly, storing what
it has) and ``shutdown_timeout`` seconds, then SIGKILL, recorded as interrupted. A second
signal kills them at once.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

import psycopg
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from crawler.sources import load_sources
from newswire.config import HealthSettings
from newswire.errors import ConfigError, DatabaseError
from newswire.records import Source
from scheduler.healthwatch import HealthWatch
from scheduler.leader import Leadership
from scheduler.notify import RunListener
from scheduler.runner import CrawlExit, CrawlJob, CrawlProcess, exit_record
from scheduler.timetable import set_run_queuer, sync_jobs
from storage.connection import CONNECT_TIMEOUT, connect
from storage.runs import (
    Run,
    end_run,
    fail_dead_runs,
    get_run,
    locked_sources,
    mark_launched,
    pending_run,
    queue_runs,
    queued_runs,
    starting_sources,
    unlaunch,
)

logger = logging.getLogger(__name__)
crawl_logger = logging.getLogger("scheduler.crawl")  # crawl subprocess output, line by line

_DB_ERRORS = (psycopg.Error, DatabaseError, SQLAlchemyError)  # the job store speaks SQLAlchemy


@dataclass(frozen=True)
class SchedulerOptions:
    """How the service runs; built from newswire.config plus the command-line flags."""

    database_url: str
    sources_path: Path
    max_concurrent: int = 2
    grace: int = 6 * 3600  # seconds a missed timetable run may start late
    shutdown_timeout: float = 30.0  # seconds a crawl gets to close after SIGTERM
    crawl_log_level: str = "WARNING"
    tick: float = 1.0  # leadership check, and a standby's retry interval
    sweep: float = 5.0  # dispatch even without a notification this often
    dead_run_check: float = 30.0  # look for runs whose process died this often
    claim_timeout: float = 60.0  # a started crawl claims its run by then, or it is restarted
    health: HealthSettings = field(default_factory=HealthSettings)  # judged by a HealthWatch


@dataclass(frozen=True)
class _ActiveRun:
    source: str
    process: CrawlProcess
    thread: threading.Thread


class SchedulerService:
    """Leads or stands by until stopped; while leading, runs the timetable and the queue."""

    def __init__(self, options: SchedulerOptions) -> None:
        self.options = options
        self.sources: dict[str, Source] = {}
        self.leadership = Leadership(options.database_url)
        self._stopping = threading.Event()
        self._reload = threading.Event()
        self._leading = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.RLock()  # the stop signal handler may take it in the main thread
        self._active: dict[int, _ActiveRun] = {}
        self._timetable: BackgroundScheduler | None = None
        self._engine: Engine | None = None
        self._dispatcher: threading.Thread | None = None
        self._health: HealthWatch | None = None
        self.exit_status = 0

    # ------------------------------------------------------------ lifecycle

    def request_stop(self) -> None:
        """SIGTERM/SIGINT: stop cleanly; a second request kills running crawls at once."""
        if self._stopping.is_set():
            logger.warning("second stop request: killing running crawls now")
            with self._lock:
                for active in self._active.values():
                    active.process.stop("kill")
        self._stopping.set()

    def request_reload(self) -> None:
        """SIGHUP: re-read sources.toml and bring the timetable in line with it."""
        self._reload.set()

    def run(self) -> int:
        """Serve until stopped; the exit status for the command."""
        self.sources = load_sources(self.options.sources_path)
        logger.info(
            "scheduler started (%s): %d source(s) in %s; taking leadership or standing by",
            self.leadership.identity,
            len(self.sources),
            self.options.sources_path,
        )
        try:
            while not self._stopping.is_set():
                self._tick()
                self._stopping.wait(self.options.tick)
        finally:
            self._shutdown()
        return self.exit_status

    def _tick(self) -> None:
        if self._reload.is_set():
            self._reload.clear()
            self._reload_sources()
        if self._leading.is_set():
            if self._dispatcher is not None and not self._dispatcher.is_alive():
                logger.critical("the dispatcher thread died (see above): stopping the scheduler")
                self.exit_status = 1
                self._stopping.set()
            elif not self.leadership.check():
                self._step_down("its database connection (and with it the lead) was lost")
        elif self.leadership.try_acquire():
            try:
                self._take_over()
            except _DB_ERRORS as exc:
                self._step_down(f"the database failed while taking over: {exc}")

    def _take_over(self) -> None:
        logger.info("this scheduler is now the active one for %s", self._describe_db())
        self._fail_dead_runs()
        self._leading.set()
        set_run_queuer(self.queue_scheduled_run)
        self._timetable = self._start_timetable()
        self._dispatcher = threading.Thread(target=self._dispatch_loop, name="dispatcher")
        self._dispatcher.start()
        self._health = HealthWatch(
            self.options.database_url, self.options.health, self._enabled_sources
        )
        self._health.start()

    def _enabled_sources(self) -> list[str]:
        return [source.name for source in self.sources.values() if source.enabled]

    def _step_down(self, reason: str) -> None:
        logger.error("this scheduler stops scheduling: %s; it now stands by", reason)
        self._stop_scheduling()
        self.leadership.release()

    def _stop_scheduling(self) -> None:
        self._leading.clear()
        set_run_queuer(None)
        if self._timetable is not None:
            try:
                self._timetable.shutdown(wait=False)
            except Exception:  # APScheduler's own errors, e.g. its job store's lost database
                logger.exception("the timetable did not shut down cleanly")
            self._timetable = None
        if self._dispatcher is not None:
            self._dispatcher.join(timeout=10)
            self._dispatcher = None
        if self._health is not None:
            self._health.stop()
            self._health = None

    def _shutdown(self) -> None:
        self._stop_scheduling()
        with self._lock:
            active = list(self._active.values())
        if active:
            logger.info(
                "shutting down: waiting up to %.0f s for %d crawl(s) to close",
                self.options.shutdown_timeout,
                len(active),
            )
        for run in active:
            run.process.stop("shutdown")
        deadline = time.monotonic() + self.options.shutdown_timeout + 5
        for run in active:
            run.thread.join(timeout=max(0.0, deadline - time.monotonic()))
        self.leadership.release()
        if self._engine is not None:
            self._engine.dispose()
        logger.info("scheduler stopped")

    def _describe_db(self) -> str:
        conn = self.leadership.conn
        return f"database {conn.info.dbname}" if conn is not None else "the database"

    # ------------------------------------------------------------ timetable

    def _start_timetable(self) -> BackgroundScheduler:
        if self._engine is None:
            url = self.options.database_url
            self._engine = create_engine(
                "postgresql+psycopg://",
                creator=lambda: psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT),
                pool_pre_ping=True,
                pool_size=2,
            )
        timetable = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=self._engine)},
            executors={"default": ThreadPoolExecutor(4)},
            timezone=UTC,
        )
        timetable.add_listener(self._on_job_event, EVENT_JOB_MISSED | EVENT_JOB_ERROR)
        timetable.start(paused=True)  # sync before anything fires on a stale schedule
        self._sync(timetable)
        timetable.resume()
        return timetable

    def _sync(self, timetable: BackgroundScheduler) -> None:
        changes = sync_jobs(timetable, self.sources, self.options.grace)
        logger.info(
            "timetable synced with %s: %d job(s); added %s, changed %s, removed %s",
            self.options.sources_path,
            len(timetable.get_jobs()),
            ", ".join(changes.added) or "none",
            ", ".join(changes.changed) or "none",
            ", ".join(changes.removed) or "none",
        )

    def _on_job_event(self, event: JobExecutionEvent) -> None:
        if event.code == EVENT_JOB_MISSED:
            logger.warning(
                "%s: the timetable run due %s was more than %.0f s late (the grace time) and "
                "is skipped; the timetable goes on from the next one",
                event.job_id,
                event.scheduled_run_time,
                self.options.grace,
            )
        else:
            logger.error("%s: queueing a timetable run failed: %s", event.job_id, event.exception)

    def _reload_sources(self) -> None:
        try:
            self.sources = load_sources(self.options.sources_path)
        except ConfigError as exc:
            logger.error("SIGHUP: %s; the timetable is unchanged", exc)
            return
        logger.info("SIGHUP: re-read %s", self.options.sources_path)
        if self._timetable is not None:
            self._sync(self._timetable)

    def queue_scheduled_run(self, source: str) -> None:
        """A timetable job fired: queue a run unless one of this source is queued or running."""
        with self._lock:
            ours = [run_id for run_id, run in self._active.items() if run.source == source]
        with connect(self.options.database_url) as conn:
            pending = pending_run(conn, source)
            if ours or pending or locked_sources(conn, [source]):
                what = f"run {pending.id} is {pending.status}" if pending else "a run is running"
                logger.info("source %s: timetable run skipped: %s", source, what)
                return
            (run_id,) = queue_runs(conn, [source], "schedule")
        logger.info("source %s: run %s queued by the timetable", source, run_id)

    # ------------------------------------------------------------ dispatching

    def _dispatch_loop(self) -> None:
        listener: RunListener | None = None
        last_sweep = last_dead_check = time.monotonic()
        while self._leading.is_set() and not self._stopping.is_set():
            try:
                if listener is None:
                    listener = RunListener(self.options.database_url)
                    self._dispatch(listener.conn)  # whatever was queued before we listened
                events = listener.wait(timeout=0.25)
                now = time.monotonic()
                if events or self._wake.is_set() or now - last_sweep >= self.options.sweep:
                    self._wake.clear()
                    last_sweep = now
                    self._dispatch(listener.conn)
                if now - last_dead_check >= self.options.dead_run_check:
                    last_dead_check = now
                    self._fail_dead_runs()
            except _DB_ERRORS as exc:
                logger.warning("dispatcher: database error (%s); retrying in a second", exc)
                if listener is not None:
                    listener.close()
                    listener = None
                self._stopping.wait(1.0)
        if listener is not None:
            listener.close()

    def _dispatch(self, conn: psycopg.Connection[Any]) -> None:
        """Start queued runs, oldest first: one per source, within the concurrency bound."""
        queued = queued_runs(conn)
        if not queued:
            return
        with self._lock:
            active = dict(self._active)
        busy = {run.source for run in active.values()}
        busy |= locked_sources(conn, sorted({run.source for run in queued}))
        busy |= starting_sources(conn, self.options.claim_timeout)
        room = self.options.max_concurrent - len(active)
        for run in queued:
            if room <= 0 or not self._leading.is_set():
                break
            if run.id in active or run.source in busy:
                continue
            busy.add(run.source)
            if self._launch(conn, run):
                room -= 1

    def _launch(self, conn: psycopg.Connection[Any], run: Run) -> bool:
        source = self._find_source(run.source)
        if source is None:
            error = (
                f"source {run.source} is not in {self.options.sources_path}: add it there "
                "(the scheduler re-reads the file on SIGHUP)"
            )
            end_run(conn, run.id, "failed", error, only_from=("queued",))
            logger.error("run %s: %s", run.id, error)
            return False
        job = CrawlJob(
            run_id=run.id,
            source=run.source,
            trigger=run.trigger,
            timeout=source.limits.timeout.total_seconds(),
            database_url=self.options.database_url,
            sources_path=self.options.sources_path,
            log_level=self.options.crawl_log_level,
        )
        try:
            process = CrawlProcess(job, on_line=_forward_line)
        except OSError as exc:
            end_run(
                conn, run.id, "failed", f"the crawl could not start: {exc}", only_from=("queued",)
            )
            logger.error("run %s of %s: the crawl could not start: %s", run.id, run.source, exc)
            return False
        thread = threading.Thread(target=self._watch, args=(process,), name=f"run-{run.id}")
        with self._lock:
            self._active[run.id] = _ActiveRun(run.source, process, thread)
        thread.start()
        mark_launched(conn, run.id, process.pid)
        logger.info(
            "run %s of %s started (%s, pid %s)", run.id, run.source, run.trigger, process.pid
        )
        return True

    def _find_source(self, name: str) -> Source | None:
        if name in self.sources:
            return self.sources[name]
        try:  # added to the file since the last reload, and triggered by name
            return load_sources(self.options.sources_path).get(name)
        except ConfigError as exc:
            logger.error("cannot read %s: %s", self.options.sources_path, exc)
            return None

    def _watch(self, process: CrawlProcess) -> None:
        """Wait for one crawl, then record what it could not: it died, timed out, or was
        killed at shutdown."""
        job = process.job
        try:
            outcome = process.wait(kill_grace=self.options.shutdown_timeout)
            self._record_exit(job, process.pid, outcome)
        except _DB_ERRORS as exc:
            logger.error(
                "run %s of %s: its outcome could not be recorded: %s", job.run_id, job.source, exc
            )
        finally:
            with self._lock:
                self._active.pop(job.run_id, None)
            self._wake.set()

    def _record_exit(self, job: CrawlJob, pid: int, outcome: CrawlExit) -> None:
        record = exit_record(job, outcome)
        with connect(self.options.database_url) as conn:
            if outcome.stopped_for in {"shutdown", "kill"}:
                unlaunch(conn, job.run_id, pid)  # never claimed: stays queued for the next start
            end_run(conn, job.run_id, record.status, record.error, only_from=record.only_from,
                    pid=pid)  # fmt: skip
            run = get_run(conn, job.run_id)
        if run is not None:
            error = f": {run.error}" if run.error else ""
            logger.info("run %s of %s %s%s", run.id, run.source, run.status, error)

    def _fail_dead_runs(self) -> None:
        with connect(self.options.database_url) as conn:
            for run in fail_dead_runs(conn):
                logger.warning("run %s of %s marked failed: %s", run.id, run.source, run.error)


def _forward_line(job: CrawlJob, line: str) -> None:
    crawl_logger.info("%s#%s | %s", job.source, job.run_id, line)
