"""One-off runs: `newswire trigger`, `runs` and `cancel`, carried by the run queue."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from storage.runs import get_run, queue_runs, request_cancel
from tests.conftest import Corpus, SiteProcess, run_newswire
from tests.scheduling import (
    SLOW_CRAWL,
    Scheduler,
    wait_for,
    write_sources,
)


def _newswire(sources: Path, database_url: str, data_dir: Path, *args: str) -> Any:
    return run_newswire("--sources", str(sources), *args, database_url=database_url,
                        data_dir=data_dir, timeout=90)  # fmt: skip


def test_trigger_without_a_scheduler_queues_and_says_how_to_start_one(
    db: psycopg.Connection[Any], database_url: str, sample_site: SiteProcess, tmp_path: Path
) -> None:
    sources = write_sources(sample_site, tmp_path / "sources.toml", schedules={"planet": None})
    done = _newswire(sources, database_url, tmp_path, "trigger", "planet")
    assert done.returncode == 0, done.stderr
    run_id = int(done.stdout.split()[1])
    assert done.stdout.strip() == f"run {run_id} queued: planet"
    assert "no scheduler is running" in done.stderr
    assert "newswire scheduler" in done.stderr and "newswire crawl planet" in done.stderr
    queued = get_run(db, run_id)
    assert queued is not None and (queued.status, queued.trigger) == ("queued", "manual")
    assert _job_status(db, run_id) == "todo"  # the run's job waits in the queue
    refused = _newswire(sources, database_url, tmp_path, "trigger", "planet")
    assert refused.returncode == 0, refused.stderr
    assert f"planet has run {run_id} waiting" in refused.stdout  # the queueing lock

    cancelled = _newswire(sources, database_url, tmp_path, "cancel", str(run_id))
    assert cancelled.returncode == 0, cancelled.stderr
    assert f"run {run_id} cancelled" in cancelled.stdout
    assert _job_status(db, run_id) == "cancelled"  # no worker will take it
    again = _newswire(sources, database_url, tmp_path, "cancel", str(run_id))
    assert again.returncode == 1
    assert f"run {run_id} already cancelled" in again.stderr
    shown = _newswire(sources, database_url, tmp_path, "runs", "show", str(run_id))
    assert shown.returncode == 0, shown.stderr
    assert "cancelled before it started" in shown.stdout
    listed = _newswire(sources, database_url, tmp_path, "runs", "--status", "cancelled")
    assert listed.returncode == 0 and "manual" in listed.stdout and "planet" in listed.stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["trigger", "nowhere"], 2, "unknown source 'nowhere'"),
        (["cancel", "999999"], 2, "run 999999 does not exist"),
        (["runs", "show", "999999"], 2, "run 999999 does not exist"),
        (["runs", "--status", "lost"], 2, "Invalid value for '--status'"),
    ],
)
def test_bad_input_is_one_line(
    database_url: str,
    sample_site: SiteProcess,
    tmp_path: Path,
    args: list[str],
    code: int,
    message: str,
) -> None:
    sources = write_sources(sample_site, tmp_path / "sources.toml", schedules={"planet": None})
    done = _newswire(sources, database_url, tmp_path, *args)
    assert done.returncode == code
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_a_trigger_starts_within_a_second_and_cancel_stops_the_crawl(
    db: psycopg.Connection[Any],
    database_url: str,
    sample_site: SiteProcess,
    crawled_corpus: Corpus,
    tmp_path: Path,
) -> None:
    sources = write_sources(sample_site, tmp_path / "sources.toml", schedules={"planet": None},
                            settings={"planet": SLOW_CRAWL})  # fmt: skip
    scheduler = Scheduler(database_url, tmp_path, sources)
    try:
        scheduler.wait_ready(db)
        done = _newswire(sources, database_url, tmp_path, "trigger", "planet")
        returned = time.monotonic()
        assert done.returncode == 0, done.stderr
        assert "no scheduler" not in done.stderr
        run_id = int(done.stdout.split()[1])
        wait_for("a worker to start the crawl", lambda: _started(db, run_id), 5, interval=0.01)
        latency = time.monotonic() - returned
        wait_for("articles stored", lambda: _stored(db, run_id) >= 1, 20)
        cancelled = _newswire(sources, database_url, tmp_path, "cancel", str(run_id))
    finally:
        assert scheduler.stop() == 0
    assert latency < 1.0, f"the crawl started {latency:.2f} s after the trigger"
    assert cancelled.returncode == 0, cancelled.stderr
    assert f"run {run_id} cancelled" in cancelled.stdout
    run = get_run(db, run_id)
    assert run is not None and run.status == "cancelled"
    assert _job_status(db, run_id) == "aborted"  # through the queue: the job was aborted
    assert run.stats["articles_stored"] == _stored(db, run_id) >= 1
    with psycopg.connect(crawled_corpus.database_url) as clean:
        whole = clean.execute("SELECT count(*) FROM articles WHERE source = 'planet'").fetchone()
    assert whole is not None and run.stats["articles_stored"] < whole[0]  # stopped early


def _started(conn: psycopg.Connection[Any], run_id: int) -> bool:
    run = get_run(conn, run_id)
    return run is not None and run.started_at is not None


def _job_status(conn: psycopg.Connection[Any], run_id: int) -> str | None:
    """The status of the run's job in the queue (procrastinate keeps the run id in its args)."""
    row = conn.execute(
        "SELECT status FROM procrastinate_jobs WHERE (args->>'run_id')::int8 = %s", [run_id]
    ).fetchone()
    return None if row is None else str(row[0])


def _stored(conn: psycopg.Connection[Any], run_id: int) -> int:
    row = conn.execute("SELECT count(*) FROM articles WHERE run_id = %s", [run_id]).fetchone()
    return int(row[0]) if row else 0


def test_request_cancel_of_a_running_run_whose_process_is_gone_cancels_it(
    db: psycopg.Connection[Any],
) -> None:
    (run_id,) = queue_runs(db, ["planet"], "manual")
    db.execute("UPDATE crawl_runs SET status = 'running' WHERE id = %s", [run_id])
    assert request_cancel(db, run_id) == "cancelled"
    run = get_run(db, run_id)
    assert run is not None and run.status == "cancelled"
    assert run.error == "cancelled after its process ended"
