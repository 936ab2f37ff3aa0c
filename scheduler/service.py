"""The scheduler service behind ``newswire scheduler``: timetable, run queue, local workers.

One scheduler per database is active (:mod:`scheduler.leader`); the others stand by. The
active one keeps APScheduler 3's BackgroundScheduler with its jobs in the same PostgreSQL
(SQLAlchemyJobStore; the 4.x line is a pre-release), synced from sources.toml at start and on
SIGHUP (:mod:`scheduler.timetable`). A timetable job queues a run the way ``newswire trigger``
and the API do: a crawl_runs row and its procrastinate job (:mod:`scheduler.queue`), which a
worker claims. Every worker sweeps every second after killed workers, and so does an active
scheduler without local workers. Every
scheduler, active or standing by, supervises ``workers`` local ``newswire worker`` processes
(:mod:`scheduler.supervisor`); with none, workers run elsewhere on the same database.

SIGTERM/SIGINT: the timetable stops; the workers get SIGTERM (their crawls close cleanly,
recorded interrupted) and ``shutdown_timeout`` seconds, then SIGKILL. A second signal kills
them at once.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path

import psycopg
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from procrastinate.exceptions import ConnectorException
from psycopg_pool import PoolTimeout
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from crawler.sources import load_sources
from newswire.config import HealthSettings
from newswire.errors import ConfigError, DatabaseError
from newswire.records import Source
from scheduler.healthwatch import HealthWatch
from scheduler.leader import Leadership
from scheduler.queue import HEARTBEAT_SECONDS, queue_app, queue_crawls, sweep_dead_workers
from scheduler.supervisor import WorkerSpec, WorkerSupervisor
from scheduler.timetable import set_run_queuer, sync_jobs
from storage.connection import CONNECT_TIMEOUT, open_pool
from storage.runs import fail_dead_runs, locked_sources, pending_run

logger = logging.getLogger(__name__)

_DB_ERRORS = (psycopg.Error, DatabaseError, SQLAlchemyError)  # the job store speaks SQLAlchemy
_SWEEP_ERRORS = (psycopg.Error, PoolTimeout, ConnectorException)


@dataclass(frozen=True)
class SchedulerOptions:
    """How the service runs; built from newswire.config plus the command-line flags."""

    database_url: str
    sources_path: Path
    workers: int = 1  # local `newswire worker` processes; 0: they run elsewhere
    concurrency: int = 16  # crawls each local worker runs at once
    grace: int = 6 * 3600  # seconds a missed timetable run may start late
    shutdown_timeout: float = 30.0  # seconds a worker's crawls get to close after SIGTERM
    worker_log_level: str = "INFO"
    tick: float = 1.0  # leadership check, and a standby's retry interval
    health: HealthSettings = field(default_factory=HealthSettings)  # judged by a HealthWatch


class SchedulerService:
    """Leads or stands by until stopped; while leading, runs the timetable and the sweep.
    Whether leading or not, it keeps its local workers running."""

    def __init__(self, options: SchedulerOptions) -> None:
        self.options = options
        self.sources: dict[str, Source] = {}
        self.leadership = Leadership(options.database_url)
        self.workers = WorkerSupervisor(
            WorkerSpec(
                options.database_url,
                options.sources_path,
                options.concurrency,
                options.worker_log_level,
            ),
            options.workers,
            options.shutdown_timeout,
        )
        self._stopping = threading.Event()
        self._reload = threading.Event()
        self._leading = threading.Event()
        self._timetable: BackgroundScheduler | None = None
        self._engine: Engine | None = None
        self._sweeper: threading.Thread | None = None
        self._health: HealthWatch | None = None
        self.exit_status = 0

    # ------------------------------------------------------------ lifecycle

    def request_stop(self) -> None:
        """SIGTERM/SIGINT: stop cleanly; a second request kills the workers at once."""
        if self._stopping.is_set():
            logger.warning("second stop request: killing the workers now")
            self.workers.kill()
        self._stopping.set()

    def request_reload(self) -> None:
        """SIGHUP: re-read sources.toml and bring the timetable in line with it."""
        self._reload.set()

    def run(self) -> int:
        """Serve until stopped; the exit status for the command."""
        self.sources = load_sources(self.options.sources_path)
        logger.info(
            "scheduler started (%s): %d source(s) in %s, %d local worker(s); taking "
            "leadership or standing by",
            self.leadership.identity,
            len(self.sources),
            self.options.sources_path,
            self.options.workers,
        )
        try:
            self._tick()  # the timetable first: starting workers would slow its catch-up runs
            self.workers.start()
            while not self._stopping.is_set():
                self._stopping.wait(self.options.tick)
                self._tick()
        finally:
            self._shutdown()
        return self.exit_status

    def _tick(self) -> None:
        if self._reload.is_set():
            self._reload.clear()
            self._reload_sources()
        if self._leading.is_set():
            if not self.leadership.check():
                self._step_down("its database connection (and with it the lead) was lost")
        elif self.leadership.try_acquire():
            try:
                self._take_over()
            except _DB_ERRORS as exc:
                self._step_down(f"the database failed while taking over: {exc}")

    def _take_over(self) -> None:
        logger.info("this scheduler is now the active one for %s", self._describe_db())
        self._fail_dead_runs()  # left while no scheduler ran: before its workers are up
        self._leading.set()
        set_run_queuer(self.queue_scheduled_run)
        self._timetable = self._start_timetable()
        if not self.options.workers:  # local workers sweep themselves: two connections saved
            self._sweeper = threading.Thread(target=self._sweep_loop, name="sweeper", daemon=True)
            self._sweeper.start()
        self._health = HealthWatch(
            self.leadership.session, self.options.health, self._enabled_sources
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
        if self._sweeper is not None:
            self._sweeper.join(timeout=10)
            self._sweeper = None
        if self._health is not None:
            self._health.stop()
            self._health = None

    def _shutdown(self) -> None:
        self._stop_scheduling()
        if self.options.workers:
            logger.info(
                "shutting down: waiting up to %.0f s for the workers' crawls to close",
                self.options.shutdown_timeout,
            )
        self.workers.stop()
        self.leadership.release()
        if self._engine is not None:
            self._engine.dispose()
        logger.info("scheduler stopped")

    def _describe_db(self) -> str:
        conn = self.leadership.conn
        return f"database {conn.info.dbname}" if conn is not None else "the database"

    # ------------------------------------------------------------ sweeping after dead workers

    def _fail_dead_runs(self) -> None:
        with self.leadership.session() as conn:
            for run in fail_dead_runs(conn):
                logger.warning("run %s of %s marked failed: %s", run.id, run.source, run.error)

    def _sweep_loop(self) -> None:
        """While leading without local workers, every second: what killed workers left,
        failed or queued again (every worker sweeps too; whoever comes first does it)."""
        asyncio.run(self._sweep())

    async def _sweep(self) -> None:
        url = self.options.database_url
        app = queue_app(url, max_connections=1)
        database = open_pool(url, min_size=1, max_size=1)
        try:
            async with app.open_async():
                while self._leading.is_set() and not self._stopping.is_set():
                    try:
                        await sweep_dead_workers(app, database)
                    except _SWEEP_ERRORS as exc:
                        logger.warning("sweep: database error (%s); again in a second", exc)
                    await asyncio.sleep(HEARTBEAT_SECONDS)
        except _SWEEP_ERRORS as exc:  # the queue's pool could not open: the database is gone
            logger.warning("sweep stopped: %s", exc)
        finally:
            database.close()

    # ------------------------------------------------------------ timetable

    def _start_timetable(self) -> BackgroundScheduler:
        if self._engine is None:
            url = self.options.database_url
            self._engine = create_engine(
                "postgresql+psycopg://",
                creator=lambda: psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT),
                pool_pre_ping=True,
                pool_size=1,  # the timetable thread; a sync at SIGHUP may briefly add one
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
        with self.leadership.session() as conn:
            pending = pending_run(conn, source)
            if pending or locked_sources(conn, [source]):
                what = f"run {pending.id} is {pending.status}" if pending else "a run is running"
                logger.info("source %s: timetable run skipped: %s", source, what)
                return
            (queued,) = queue_crawls(conn, [source], "schedule")
        if queued.job_id is None:
            logger.info("source %s: timetable run skipped: a run is already waiting", source)
        else:
            logger.info("source %s: run %s queued by the timetable", source, queued.run_id)
