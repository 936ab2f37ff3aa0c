"""Local workers under the scheduler: killed mid-run, timed out, restarted, stopped."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import psycopg

from scheduler.queue import queue_crawls
from scheduler.supervisor import WorkerSpec, worker_command, worker_environment
from storage.runs import get_run
from tests.conftest import NEWSWIRE, Corpus, SiteProcess, newswire_env, run_newswire
from tests.scheduling import (
    SLOW_CRAWL,
    Scheduler,
    is_leader,
    runs_of,
    wait_for,
    workers_ready,
    write_sources,
)

SOURCES = ["planet", "meridian", "europa"]


def _trigger(sources: Path, database_url: str, data_dir: Path) -> int:
    done = run_newswire("--sources", str(sources), "trigger", "planet",
                        database_url=database_url, data_dir=data_dir)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return int(done.stdout.split()[1])


def _planet_urls(conn: psycopg.Connection[Any]) -> set[str]:
    return {row[0] for row in conn.execute("SELECT url FROM articles WHERE source = 'planet'")}


def test_a_killed_crawl_is_failed_its_articles_kept_and_the_next_run_completes(
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
        killed_id = _trigger(sources, database_url, tmp_path)
        wait_for("articles stored mid-run", lambda: len(_planet_urls(db)) >= 2, 20)
        run = get_run(db, killed_id)
        assert run is not None and run.status == "running" and run.pid
        os.kill(run.pid, signal.SIGKILL)  # the worker process itself
        failed = wait_for("the run marked failed", lambda: _final(db, killed_id), 10)
        kept = db.execute(
            "SELECT id, url, text_hash FROM articles WHERE run_id = %s ORDER BY id", [killed_id]
        ).fetchall()
        write_sources(sample_site, sources, schedules={"planet": None})  # full speed now
        next_id = _trigger(sources, database_url, tmp_path)
        finished = wait_for("the next run", lambda: _final(db, next_id), 40)
    finally:
        assert scheduler.stop() == 0
    assert failed.status == "failed"
    assert f"its crawl process (pid {run.pid} on" in (failed.error or "")
    assert "worker 1 was killed by signal 9: starting it again" in scheduler.log()
    assert len(kept) >= 2
    assert (
        db.execute(
            "SELECT id, url, text_hash FROM articles WHERE run_id = %s ORDER BY id", [killed_id]
        ).fetchall()
        == kept
    )
    assert finished.status == "succeeded", finished.error
    assert finished.stats["skipped_stored"] >= len(kept)
    with psycopg.connect(crawled_corpus.database_url) as clean:
        assert _planet_urls(db) == _planet_urls(clean)


def _final(conn: psycopg.Connection[Any], run_id: int) -> Any:
    run = get_run(conn, run_id)
    return run if run is not None and run.status not in ("queued", "running") else None


def test_a_crawl_past_its_timeout_is_stopped_and_failed(
    db: psycopg.Connection[Any], database_url: str, sample_site: SiteProcess, tmp_path: Path
) -> None:
    sources = write_sources(sample_site, tmp_path / "sources.toml", schedules={"planet": None},
                            settings={"planet": SLOW_CRAWL},
                            limits={"planet": {"timeout": "3s"}})  # fmt: skip
    scheduler = Scheduler(database_url, tmp_path, sources, "--shutdown-timeout", "5")
    try:
        scheduler.wait_ready(db)
        run_id = _trigger(sources, database_url, tmp_path)
        run = wait_for("the run to end", lambda: _final(db, run_id), 20)
    finally:
        assert scheduler.stop() == 0
    assert run.status == "failed"
    assert (run.error or "").startswith("timed out: the crawl ran past its source's")
    assert run.finished_at is not None and run.started_at is not None
    assert 2.5 < (run.finished_at - run.started_at).total_seconds() < 6
    assert run.stats["pages_fetched"] > 0
    (only,) = runs_of(db, "planet")
    assert only.id == run_id


def test_the_database_url_travels_in_the_environment_not_the_command_line(
    tmp_path: Path,
) -> None:
    secret = "postgresql://crawler:s3cret@db.example:5432/newswire"
    spec = WorkerSpec(secret, tmp_path / "sources.toml", 8)
    command = worker_command(spec)
    assert not any("s3cret" in part for part in command)
    assert command[1:3] == ["-m", "newswire"]
    assert command[-4:] == ["worker", "--supervised", "--concurrency", "8"]
    assert str((tmp_path / "sources.toml").resolve()) in command
    env = worker_environment(spec, {"PATH": "/bin"})
    assert env == {"PATH": "/bin", "DATABASE_URL": secret, "PYTHONUNBUFFERED": "1"}


def test_a_worker_past_its_crawl_limit_is_restarted_and_sigterm_stops_them_all(
    db: psycopg.Connection[Any], database_url: str, sample_site: SiteProcess, tmp_path: Path
) -> None:
    sources = write_sources(sample_site, tmp_path / "sources.toml",
                            schedules={name: None for name in SOURCES})  # fmt: skip
    env = newswire_env(database_url, tmp_path, NEWSWIRE_WORKER_MAX_CRAWLS="1")
    log = (tmp_path / "scheduler.log").open("w")

    def log_text() -> str:
        return (tmp_path / "scheduler.log").read_text()

    scheduler = subprocess.Popen(
        [*NEWSWIRE, "--sources", str(sources), "scheduler", "--workers", "2"],
        env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        wait_for("two workers", lambda: workers_ready(db, 2), 30)
        with psycopg.connect(database_url, autocommit=True) as conn:
            queued = queue_crawls(conn, SOURCES, "manual")
        run_ids = [q.run_id for q in queued]
        wait_for("every run", lambda: all(_final(db, i) for i in run_ids), 60)
        wait_for("a restart", lambda: "exited after its restart limit" in log_text(), 10)
        wait_for("two workers again", lambda: workers_ready(db, 2), 30)
    finally:
        scheduler.send_signal(signal.SIGTERM)
        status = scheduler.wait(timeout=60)
        log.close()
    assert status == 0
    assert all(_final(db, i).status == "succeeded" for i in run_ids)
    pids = {int(p) for p in re.findall(r"worker \d started \(pid (\d+)\)", log_text())}
    assert len(pids) >= 3  # two at start, at least one restarted
    assert not any(_alive(pid) for pid in pids)  # all stopped with the scheduler


def test_with_no_workers_the_scheduler_starts_none_and_runs_wait_in_the_queue(
    db: psycopg.Connection[Any], database_url: str, sample_site: SiteProcess, tmp_path: Path
) -> None:
    sources = write_sources(sample_site, tmp_path / "sources.toml", schedules={"planet": None})
    scheduler = Scheduler(database_url, tmp_path, sources, "--workers", "0")
    try:
        wait_for("leadership", lambda: is_leader(db, scheduler), 15)
        run_id = _trigger(sources, database_url, tmp_path)
        time.sleep(2)
        run = get_run(db, run_id)
    finally:
        assert scheduler.stop() == 0
    assert run is not None and run.status == "queued"
    assert "worker 1 started" not in scheduler.log()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
