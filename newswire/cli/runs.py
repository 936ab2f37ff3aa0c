"""`newswire scheduler`, `trigger`, `runs` and `cancel`: the timetable service and its runs.

None of these imports Scrapy: the scheduler queues runs and starts `newswire worker`
subprocesses to crawl them, and it must be up in time for its own first timetable run.
"""

from __future__ import annotations

import logging
import os
import signal
import sys

import click

from crawler.sources import load_sources, select_sources
from newswire.cli.output import console, errors
from newswire.config import Config
from newswire.display import render, run_details, runs_table
from newswire.errors import ConfigError, NewswireError
from newswire.records import RunStatus
from storage.connection import connect, ready_database
from storage.runs import (
    active_scheduler,
    get_run,
    list_runs,
    wait_for_end,
)


@click.command("scheduler")
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    help="Local workers to start and restart; 0: they run elsewhere ($NEWSWIRE_SCHEDULER_WORKERS"
    ", 1).",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    help="Crawls each local worker runs at once ($NEWSWIRE_WORKER_CONCURRENCY, 16).",
)
@click.option(
    "--grace",
    type=click.IntRange(min=1),
    metavar="SECONDS",
    help="How late a missed timetable run may still start ($NEWSWIRE_SCHEDULER_GRACE, 6 h).",
)
@click.option(
    "--shutdown-timeout",
    type=click.FloatRange(min=0),
    metavar="SECONDS",
    help="On SIGTERM, how long crawls get to close ($NEWSWIRE_SCHEDULER_SHUTDOWN_TIMEOUT, 30).",
)
@click.pass_obj
def scheduler(
    config: Config,
    workers: int | None,
    concurrency: int | None,
    grace: int | None,
    shutdown_timeout: float | None,
) -> None:
    """Queue each source's runs on its timetable and keep local workers crawling the queue,
    until SIGTERM/SIGINT.

    SIGHUP re-reads the sources file. Start several on one database: one is active, the
    others stand by and take over when it dies (their workers crawl either way).
    """
    from scheduler.service import SchedulerOptions, SchedulerService

    config = config.with_overrides(
        scheduler_workers=workers,
        worker_concurrency=concurrency,
        scheduler_grace=grace,
        scheduler_shutdown_timeout=shutdown_timeout,
    )
    load_sources(config.sources_path)  # a broken file fails here, before any database work
    debug = logging.getLogger().level <= logging.DEBUG  # set by the entry point from -v
    service = SchedulerService(
        SchedulerOptions(
            database_url=ready_database(config),
            sources_path=config.sources_path.resolve(),
            workers=config.scheduler_workers,
            concurrency=config.worker_concurrency,
            grace=config.scheduler_grace,
            shutdown_timeout=config.scheduler_shutdown_timeout,
            worker_log_level="DEBUG" if debug else "INFO",
            health=config.health,
        )
    )
    signal.signal(signal.SIGTERM, lambda *_: service.request_stop())
    signal.signal(signal.SIGINT, lambda *_: service.request_stop())
    signal.signal(signal.SIGHUP, lambda *_: service.request_reload())
    sys.exit(service.run())


@click.command()
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    help="Crawls open at once ($NEWSWIRE_WORKER_CONCURRENCY, 16).",
)
@click.option("--supervised", is_flag=True, hidden=True,
              help="Started by a scheduler: stop when it is gone.")  # fmt: skip
@click.pass_obj
def worker(config: Config, concurrency: int | None, supervised: bool) -> None:
    """Run queued crawls, many at once in one Scrapy process, until SIGTERM/SIGINT.

    Start as many as you like, on this machine or others, against one database: each job is
    claimed by one of them. A worker exits 0 after $NEWSWIRE_WORKER_MAX_CRAWLS crawls or past
    $NEWSWIRE_WORKER_MAX_MEMORY_MB of memory, for its supervisor to restart it.
    """
    from scheduler.worker import WorkerOptions, run_worker

    config = config.with_overrides(worker_concurrency=concurrency)
    load_sources(config.sources_path)  # a broken file fails here, before any database work
    options = WorkerOptions(
        database_url=ready_database(config),
        sources_path=config.sources_path.resolve(),
        concurrency=config.worker_concurrency,
        max_crawls=config.worker_max_crawls,
        max_memory_mb=config.worker_max_memory_mb,
        shutdown_timeout=config.scheduler_shutdown_timeout,
        data_dir=config.data_dir,
        parent=os.getppid() if supervised else None,
    )
    sys.exit(run_worker(options))


@click.command()
@click.argument("names", nargs=-1, required=True)
@click.pass_obj
def trigger(config: Config, names: tuple[str, ...]) -> None:
    """Queue a run of SOURCE... now; an idle worker starts it within a second."""
    from scheduler.queue import queue_crawls

    sources = load_sources(config.sources_path)
    chosen = [s.name for s in select_sources(sources, names, origin=str(config.sources_path))]
    with connect(ready_database(config)) as conn:
        queued = queue_crawls(conn, chosen, "manual")
        leader = active_scheduler(conn)
    for run in queued:
        if run.job_id is None:
            line = f"run {run.run_id} not queued: {run.source} has run {run.waiting} waiting"
        else:
            line = f"run {run.run_id} queued: {run.source}"
        console.print(line, markup=False, highlight=False)
    if leader is None:
        errors.print(
            "newswire: no scheduler is running on this database, so the run waits in the "
            "queue for a worker: start one with `newswire scheduler` (it starts a worker), "
            "`newswire worker` or `docker compose up -d`, or crawl "
            f"in the foreground now with `newswire crawl {' '.join(chosen)}`",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


@click.group("runs", invoke_without_command=True)
@click.option("--source", help="Only this source's runs.")
@click.option(
    "--status",
    type=click.Choice([status.value for status in RunStatus]),
    help="Only runs in this state.",
)
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.pass_context
def runs(ctx: click.Context, source: str | None, status: str | None, limit: int) -> None:
    """Run history, newest first: trigger, status, duration and figures.

    `newswire runs show ID` shows one run with its whole error.
    """
    if ctx.invoked_subcommand is not None:
        return
    with connect(ready_database(ctx.obj)) as conn:
        rows = list_runs(conn, source=source, status=status, limit=limit)
    if not rows:
        console.print("no runs match", markup=False)
        return
    render(console, runs_table(rows, title=f"runs (newest {limit})"))


@runs.command("show")
@click.argument("run_id", type=int)
@click.pass_obj
def runs_show(config: Config, run_id: int) -> None:
    """One run in full: times, process, every figure, and its error."""
    with connect(ready_database(config)) as conn:
        run = get_run(conn, run_id)
    if run is None:
        raise ConfigError(f"run {run_id} does not exist: see `newswire runs`")
    render(console, run_details(run))


@click.command()
@click.argument("run_id", type=int)
@click.option(
    "--wait",
    "wait_seconds",
    type=click.FloatRange(min=0),
    default=30,
    show_default=True,
    help="Seconds to wait for a running crawl to stop.",
)
@click.pass_obj
def cancel(config: Config, run_id: int, wait_seconds: float) -> None:
    """Cancel RUN_ID: a queued run at once, a running crawl as it closes (items kept)."""
    from scheduler.queue import cancel_run

    database_url = ready_database(config)
    with connect(database_url) as conn:
        if cancel_run(conn, database_url, run_id) == "cancelled":
            console.print(f"run {run_id} cancelled")
            return
        console.print(f"run {run_id}: cancel requested, waiting for the crawl to close")
        ended = wait_for_end(conn, run_id, wait_seconds)
    if ended is None:
        raise NewswireError(
            f"run {run_id} did not stop within {wait_seconds:g} s; it stops at its next check: "
            f"see `newswire runs show {run_id}`"
        )
    console.print(f"run {run_id} {ended.status}")
