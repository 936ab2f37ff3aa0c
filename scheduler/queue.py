"""The run queue: procrastinate jobs in newswire's database, one job per queued crawl run.

A job carries a queued ``crawl_runs`` row (the record users query) by its id, and its
source. Its procrastinate ``lock`` is the source name, so no two jobs of a
source run at once, whoever deferred them; its ``queueing_lock`` is the source name too, so a
slow source never piles up waiting jobs: a run queued while one of its source is already
waiting is cancelled at once and says why. The row and its job are written in one
transaction on the caller's connection (procrastinate defers on an external connection), so
neither exists without the other. Workers (:mod:`scheduler.worker`) claim jobs with
``SKIP LOCKED``, woken by LISTEN/NOTIFY; whoever sweeps first (a worker or the active
scheduler, every second) releases what a killed worker held.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import procrastinate
import psycopg
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.jobs import Job, Status
from psycopg_pool import ConnectionPool

from newswire.records import Run, RunStatus
from storage.runs import (
    end_run,
    fail_dead_runs,
    get_run,
    pending_run,
    queue_runs,
    request_cancel,
)

logger = logging.getLogger(__name__)

CRAWL_TASK = "newswire.crawl"
CRAWL_QUEUE = "crawls"
# A worker beats every second and is taken for dead after ten without, so a killed worker's
# jobs (and with them its sources' job locks) are released within seconds (procrastinate's
# defaults are 10 s and 30 s). Its runs fail sooner: their lock session dies with it, and the
# next sweep sees that. Five seconds was too few: a live worker on a loaded machine (load 9
# on two cores) missed beats, was pruned by another, and its next claim failed on the
# missing worker row.
HEARTBEAT_SECONDS = 1.0
STALLED_SECONDS = 10.0
ALREADY_WAITING = "not queued: a run of this source was already waiting"


def queue_app(database_url: str, *, max_connections: int = 2) -> procrastinate.App:
    """A procrastinate app on newswire's database, with a small pool (open it before use;
    an app used only with a caller's connection, as :func:`queue_crawls` does, opens none)."""
    connector = procrastinate.PsycopgConnector(
        conninfo=database_url, min_size=1, max_size=max_connections
    )
    return procrastinate.App(connector=connector)


def _unopened_app() -> procrastinate.App:
    """An app for statements on a caller's connection: it never opens a pool of its own."""
    return procrastinate.App(connector=procrastinate.PsycopgConnector())


@dataclass(frozen=True)
class QueuedCrawl:
    """One queued run: its job, or None when a run of its source was already waiting (the
    run is then recorded cancelled, and ``waiting`` names the run that will crawl)."""

    run_id: int
    source: str
    job_id: int | None
    waiting: int | None = None


def queue_crawls(
    conn: psycopg.Connection[Any], sources: Sequence[str], trigger: str
) -> list[QueuedCrawl]:
    """Queue a run of each source: a crawl_runs row and its job, in one transaction."""
    app = _unopened_app()
    queued = []
    with conn.transaction():
        for run_id, source in zip(queue_runs(conn, sources, trigger), sources, strict=True):
            task = app.configure_task(CRAWL_TASK, queue=CRAWL_QUEUE, lock=source,
                                      queueing_lock=source, connection=conn)  # fmt: skip
            try:
                with conn.transaction():  # a savepoint: a refused job leaves the rest intact
                    job_id = task.defer(run_id=run_id, source=source)
            except AlreadyEnqueued:
                waiting = pending_run(conn, source)
                end_run(conn, run_id, "cancelled", ALREADY_WAITING, only_from=("queued",))
                queued.append(QueuedCrawl(run_id, source, None, waiting and waiting.id))
                continue
            queued.append(QueuedCrawl(run_id, source, job_id))
    return queued


def cancel_run(conn: psycopg.Connection[Any], database_url: str, run_id: int) -> str:
    """Cancel a run, and its job with it: a queued one at once ("cancelled"; its job never
    starts), a running one as its crawl closes ("requested"; the job is marked for abort and
    the crawl, which checks its row every second, closes cleanly)."""
    outcome = request_cancel(conn, run_id)
    run = get_run(conn, run_id)
    job = None if run is None else find_job(database_url, run)
    if job is not None and job.id is not None:
        manager = _unopened_app().job_manager
        manager.cancel_job_by_id(job.id, abort=outcome == "requested", connection=conn)
    return outcome


def find_job(database_url: str, run: Run) -> Job | None:
    """The job of a run that is waiting or under way in the queue: the job of its source's
    lock that carries its id; None for a run not queued through it, or done with it."""
    app = queue_app(database_url, max_connections=1)
    with app.open():
        jobs = app.job_manager.list_jobs(task=CRAWL_TASK, lock=run.source)
    waiting = (Status.TODO.value, Status.DOING.value)  # a listed job's status is the text
    return next((job for job in jobs if job.task_kwargs.get("run_id") == run.id
                 and job.status in waiting), None)  # fmt: skip


async def sweep_dead_workers(app: procrastinate.App, database: ConnectionPool) -> list[Run]:
    """One sweep after killed workers: a job one had claimed but not started goes back to the
    queue, a job whose crawl was under way is failed (freeing its source's lock), and every
    run whose process died is failed; returns those runs."""
    manager = app.job_manager
    await manager.prune_stalled_workers(STALLED_SECONDS)
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_SECONDS):
        run_id = int(job.task_kwargs["run_id"])
        if await asyncio.to_thread(_still_queued, database, run_id):
            await manager.retry_job(job)  # another worker will crawl it
            logger.warning("run %s of a dead worker queued again", run_id)
        else:
            await manager.finish_job(job, status=Status.FAILED, delete_job=False)
    return await asyncio.to_thread(_fail_dead_runs, database)


def _still_queued(database: ConnectionPool, run_id: int) -> bool:
    with database.connection() as conn:
        run = get_run(conn, run_id)
    return run is not None and run.status == RunStatus.QUEUED


def _fail_dead_runs(database: ConnectionPool) -> list[Run]:
    with database.connection() as conn:
        dead = fail_dead_runs(conn)
    for run in dead:
        logger.warning("run %s of %s marked failed: %s", run.id, run.source, run.error)
    return dead
