"""`newswire worker`: queued runs claimed by long-lived workers, once each, one per source."""

from __future__ import annotations

import signal
import socket
import subprocess
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from scheduler.queue import queue_crawls
from scheduler.worker import DATABASE_CONNECTIONS, QUEUE_CONNECTIONS
from tests.conftest import NEWSWIRE, SiteProcess, newswire_env, start_site_process
from tests.scheduling import wait_for
from tests.test_scheduler_inprocess import ConnectionSampler

OUTLETS = 100


@pytest.fixture(scope="module")
def world() -> Iterator[SiteProcess]:
    with start_site_process("--outlets", str(OUTLETS)) as site:
        yield site


WORKER_APP = "newswire-test-worker"  # libpq's PGAPPNAME: the workers' sessions, by name


def start_worker(sources: Path, database_url: str, data_dir: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*NEWSWIRE, "--sources", str(sources), "worker", "--concurrency", "8"],
        env=newswire_env(database_url, data_dir, PGAPPNAME=WORKER_APP),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def trigger(db: psycopg.Connection[Any], database_url: str, sources: list[str]) -> list[int]:
    """What `newswire trigger` does: a queued run row and its job, for each source."""
    queued = queue_crawls(db, sources, "manual")
    assert None not in [q.job_id for q in queued]
    return [q.run_id for q in queued]


def statuses(db: psycopg.Connection[Any], run_ids: list[int]) -> dict[str, int]:
    rows = db.execute(
        "SELECT status, count(*) FROM crawl_runs WHERE id = ANY(%s) GROUP BY 1", [run_ids]
    )
    return dict(rows.fetchall())


def all_final(db: psycopg.Connection[Any], run_ids: list[int]) -> bool:
    counts = statuses(db, run_ids)
    return counts.get("queued", 0) + counts.get("running", 0) == 0


@pytest.fixture
def workers(database_url: str, world: SiteProcess, tmp_path: Path) -> Iterator[list[Any]]:
    sources = world.write_sources(tmp_path / "sources.toml")
    started = [start_worker(sources, database_url, tmp_path) for _ in range(2)]
    try:
        yield started
    finally:
        for worker in started:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in started:
            worker.wait(timeout=60)


def test_two_workers_run_each_of_200_runs_once_and_never_a_source_twice_at_once(
    db: psycopg.Connection[Any], database_url: str, world: SiteProcess, workers: list[Any]
) -> None:
    names = list(world.urls)
    # The workers' sessions: PGAPPNAME's, and each one's lock session, named for the worker.
    locks = [f"newswire worker {socket.gethostname()} {w.pid}"[:63] for w in workers]
    sampler = ConnectionSampler(database_url, [WORKER_APP, *locks])
    sampler.start()
    first = trigger(db, database_url, names)
    # A source's second run is deferred once its first has left the queue: it then waits
    # for the first to end (the job's lock), and the queueing lock lets it in.
    wait_for("the first runs to start", lambda: statuses(db, first).get("queued", 0) == 0, 60)
    second = trigger(db, database_url, names)
    run_ids = first + second
    wait_for("every run to end", lambda: all_final(db, run_ids), 240, interval=0.5)
    peak = sampler.stop()
    # Per worker: gates and stores, the lock session, the queue's pool and its listener.
    per_worker = DATABASE_CONNECTIONS + 1 + QUEUE_CONNECTIONS + 1
    assert per_worker <= 10 and peak <= 2 * per_worker, sampler.at_peak
    assert statuses(db, run_ids) == {"succeeded": 2 * OUTLETS}
    rows = db.execute(
        "SELECT source, pid, started_at, finished_at FROM crawl_runs WHERE id = ANY(%s)",
        [run_ids],
    ).fetchall()
    assert {pid for _, pid, *_ in rows} == {w.pid for w in workers}  # both took work
    by_source: dict[str, list[tuple[Any, Any]]] = defaultdict(list)
    for source, _, started, finished in rows:
        by_source[source].append((started, finished))
    for source, spans in by_source.items():
        (_, first_end), (second_start, _) = sorted(spans)
        assert first_end <= second_start, source  # never two runs of a source at once
    (jobs,) = db.execute("SELECT count(*) FROM procrastinate_jobs").fetchone() or (None,)
    assert jobs == 0  # every job succeeded once (successful jobs are deleted)


def test_a_killed_worker_s_runs_fail_within_seconds_and_the_other_finishes_the_queue(
    db: psycopg.Connection[Any], database_url: str, world: SiteProcess, workers: list[Any]
) -> None:
    victim, survivor = workers
    run_ids = trigger(db, database_url, list(world.urls))

    def victim_running() -> list[int] | None:
        rows = db.execute(
            "SELECT id FROM crawl_runs WHERE status = 'running' AND pid = %s", [victim.pid]
        ).fetchall()
        return [r[0] for r in rows] or None

    in_flight = wait_for("the victim to be crawling", victim_running, 60, interval=0.01)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    wait_for(
        "the victim's runs to be failed",
        lambda: statuses(db, in_flight).get("failed") == len(in_flight),
        10,
        interval=0.2,
    )
    wait_for("the survivor to finish the queue", lambda: all_final(db, run_ids), 240, 0.5)
    counts = statuses(db, run_ids)
    assert counts.get("succeeded", 0) + counts.get("failed", 0) == OUTLETS
    assert counts.get("failed", 0) == len(in_flight) and survivor.poll() is None
    # The next cycle is complete: the killed runs' sources crawl again, to success.
    failed_rows = db.execute(
        "SELECT source FROM crawl_runs WHERE id = ANY(%s) AND status = 'failed'", [run_ids]
    )
    failed = [row[0] for row in failed_rows]
    again = trigger(db, database_url, failed)
    wait_for("the next cycle to end", lambda: all_final(db, again), 120, 0.5)
    assert statuses(db, again) == {"succeeded": len(failed)}


def test_sigterm_stops_claiming_and_records_open_crawls_interrupted(
    db: psycopg.Connection[Any], database_url: str, world: SiteProcess, tmp_path: Path
) -> None:
    worker = start_worker(world.write_sources(tmp_path / "sources.toml"), database_url, tmp_path)
    run_ids = trigger(db, database_url, list(world.urls))
    wait_for("a crawl to run", lambda: statuses(db, run_ids).get("running"), 60, 0.01)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=60) == 0
    counts = statuses(db, run_ids)
    assert "running" not in counts and counts.get("queued", 0) > 0  # the rest wait for others
    assert set(counts) <= {"queued", "succeeded", "interrupted"}


def test_a_worker_exits_after_its_crawl_limit_for_its_supervisor_to_restart_it(
    db: psycopg.Connection[Any], database_url: str, world: SiteProcess, tmp_path: Path
) -> None:
    sources = world.write_sources(tmp_path / "sources.toml")
    worker = subprocess.Popen(
        [*NEWSWIRE, "--sources", str(sources), "worker", "--concurrency", "2"],
        env=newswire_env(database_url, tmp_path, NEWSWIRE_WORKER_MAX_CRAWLS="3"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    run_ids = trigger(db, database_url, list(world.urls)[:10])
    assert worker.wait(timeout=60) == 0
    counts = statuses(db, run_ids)
    assert 3 <= counts.get("succeeded", 0) <= 4 and "running" not in counts
