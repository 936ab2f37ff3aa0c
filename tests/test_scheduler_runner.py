"""Crawl subprocesses under the scheduler: killed mid-run, timed out, described."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from scheduler.runner import (
    CrawlExit,
    CrawlJob,
    CrawlProcess,
    ExitRecord,
    crawl_command,
    crawl_environment,
    exit_record,
)
from storage.runs import get_run
from tests.conftest import Corpus, SiteProcess, run_newswire
from tests.scheduling import SLOW_CRAWL, Scheduler, is_leader, runs_of, wait_for, write_sources


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
        wait_for("leadership", lambda: is_leader(db, scheduler), 15)
        killed_id = _trigger(sources, database_url, tmp_path)
        wait_for("articles stored mid-run", lambda: len(_planet_urls(db)) >= 2, 20)
        run = get_run(db, killed_id)
        assert run is not None and run.status == "running" and run.pid
        os.kill(run.pid, signal.SIGKILL)
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
    assert "killed by signal 9 (SIGKILL)" in (failed.error or "")
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
        wait_for("leadership", lambda: is_leader(db, scheduler), 15)
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


@pytest.mark.parametrize(
    ("returncode", "text"),
    [
        (0, "exited with code 0"),
        (1, "exited with code 1"),
        (-9, "was killed by signal 9 (SIGKILL)"),
        (-15, "was killed by signal 15 (SIGTERM)"),
        (-200, "was killed by signal 200"),
    ],
)
def test_crawl_exit_describes_how_the_process_ended(returncode: int, text: str) -> None:
    assert CrawlExit(returncode, None, False, ()).describe() == text


def test_the_database_url_travels_in_the_environment_not_the_command_line(
    tmp_path: Path,
) -> None:
    secret = "postgresql://crawler:s3cret@db.example:5432/newswire"
    job = CrawlJob(7, "planet", "schedule", 60.0, secret, tmp_path / "sources.toml")
    command = crawl_command(job)
    assert not any("s3cret" in part for part in command)
    assert command[1:5] == ["-m", "scrapy", "crawl", "news"]
    assert "run_id=7" in command and "source=planet" in command
    assert f"NEWSWIRE_SOURCES={(tmp_path / 'sources.toml').resolve()}" in command
    env = crawl_environment(job, {"PATH": "/bin"})
    assert env == {
        "PATH": "/bin",
        "SCRAPY_SETTINGS_MODULE": "crawler.settings",
        "DATABASE_URL": secret,
        "PYTHONUNBUFFERED": "1",
    }


def test_a_crawl_that_outlives_its_timeout_is_stopped_by_the_runner(
    database_url: str, sample_site: SiteProcess, tmp_path: Path
) -> None:
    # Due to close itself 0.2 s after it opens, it is still starting when the runner's
    # backstop (timeout + grace) acts: the backstop alone stops it.
    sources = write_sources(sample_site, tmp_path / "sources.toml", schedules={"planet": None},
                            settings={"planet": SLOW_CRAWL})  # fmt: skip
    process = CrawlProcess(CrawlJob(1, "planet", "schedule", 0.2, database_url, sources))
    outcome = process.wait(kill_grace=0.3)
    assert outcome.stopped_for == "timeout"
    assert time.monotonic() - process.started < 5


@pytest.mark.parametrize(
    ("outcome", "status", "error", "only_from"),
    [
        (CrawlExit(0, "timeout", False, ()), "failed",
         "timed out after 60 s (the source's limits.timeout) and did not close: stopped",
         ("queued", "running", "interrupted")),
        (CrawlExit(-9, "timeout", True, ()), "failed",
         "timed out after 60 s (the source's limits.timeout) and did not close: killed",
         ("queued", "running", "interrupted")),
        (CrawlExit(-9, "shutdown", True, ()), "interrupted",
         "the scheduler shut down and the crawl did not close in time: killed", ("running",)),
        (CrawlExit(-9, None, False, ("2025 INFO: Crawled", "", "")), "failed",
         "the crawl process was killed by signal 9 (SIGKILL) without recording an outcome; "
         "its last output: 2025 INFO: Crawled", ("queued", "running")),
        (CrawlExit(1, None, False, ()), "failed",
         "the crawl process exited with code 1 without recording an outcome",
         ("queued", "running")),
    ],
)  # fmt: skip
def test_exit_record_says_what_the_crawl_could_not(
    outcome: CrawlExit, status: str, error: str, only_from: tuple[str, ...], tmp_path: Path
) -> None:
    job = CrawlJob(3, "planet", "schedule", 60.0, "postgresql:///x", tmp_path / "s.toml")
    assert exit_record(job, outcome) == ExitRecord(status, error, only_from)
