"""The run queue: procrastinate jobs in newswire's database, one job per queued crawl run.

A job carries a queued ``crawl_runs`` row (the record users query) and its source. Its
procrastinate ``lock`` is the source name, so no two jobs of a source run at once, whoever
deferred them; its ``queueing_lock`` is the source name too, so a slow source never piles up
waiting jobs: a run deferred while one of its source is already waiting is cancelled at once
and says why. Workers (:mod:`scheduler.worker`) claim jobs with ``SKIP LOCKED``, woken by
LISTEN/NOTIFY.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued

from storage.connection import connect
from storage.runs import end_run

logger = logging.getLogger(__name__)

CRAWL_TASK = "newswire.crawl"
CRAWL_QUEUE = "crawls"
# A worker beats every second and is taken for dead after five without: a killed worker's
# jobs are failed within seconds (procrastinate's defaults are 10 s and 30 s).
HEARTBEAT_SECONDS = 1.0
STALLED_SECONDS = 5.0


def queue_app(database_url: str, *, max_connections: int = 2) -> procrastinate.App:
    """A procrastinate app on newswire's database, with a small pool (open it before use)."""
    connector = procrastinate.PsycopgConnector(
        conninfo=database_url, min_size=1, max_size=max_connections
    )
    return procrastinate.App(connector=connector)


async def defer_crawl(app: procrastinate.App, run_id: int, source: str) -> int | None:
    """Defer the job of a queued run; None when a job of the source is already waiting."""
    task = app.configure_task(CRAWL_TASK, queue=CRAWL_QUEUE, lock=source, queueing_lock=source)
    try:
        return await task.defer_async(run_id=run_id, source=source)
    except AlreadyEnqueued:
        return None


async def defer_runs(database_url: str, runs: Sequence[tuple[int, str]]) -> dict[int, int | None]:
    """Defer a job for each queued (run id, source); a run whose source already has a job
    waiting is cancelled (the waiting one will crawl it). Returns run id -> job id."""
    app = queue_app(database_url, max_connections=1)
    async with app.open_async():
        jobs = {run_id: await defer_crawl(app, run_id, source) for run_id, source in runs}
    skipped = [run_id for run_id, job in jobs.items() if job is None]
    if skipped:
        with connect(database_url) as conn:
            for run_id in skipped:
                end_run(conn, run_id, "cancelled", "a run of this source was already waiting",
                        only_from=("queued",))  # fmt: skip
        logger.info("runs %s not queued: their source already had a run waiting", skipped)
    return jobs
