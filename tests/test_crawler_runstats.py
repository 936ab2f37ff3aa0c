"""The run row and the per-source run lock kept by the RunStats extension."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from crawler.runstats import RunLocks, run_outcome
from storage.connection import connect
from storage.runs import create_run, fail_dead_runs, get_run, try_lock_source, unlock_source
from tests.conftest import SiteProcess, run_newswire
from tests.scheduling import runs_of, wait_for, write_sources

NO_PAGE = "no page could be fetched: is the site up and the home URL right?"
TIMED_OUT = (
    "timed out: the crawl ran past its source's limits.timeout and was closed"
    " (what it had found is stored)"
)


@pytest.mark.parametrize(
    ("reason", "stats", "outcome"),
    [
        ("finished", {"downloader/response_count": 3}, ("succeeded", None)),
        ("finished", {}, ("failed", NO_PAGE)),
        ("shutdown", {}, ("interrupted", None)),
        ("cancelled", {}, ("cancelled", None)),
        ("closespider_timeout", {}, ("failed", TIMED_OUT)),
        ("source_busy", {"newswire/error": "another run"}, ("failed", "another run")),
        ("lock_lost", {}, ("failed", "crawl closed: lock_lost")),
    ],
)
def test_run_outcome(reason: str, stats: dict[str, Any], outcome: tuple[str, str | None]) -> None:
    assert run_outcome(reason, stats) == outcome


def test_a_crawl_of_a_source_another_run_holds_does_not_crawl_and_says_why(
    db: psycopg.Connection[Any], database_url: str, sample_site: SiteProcess, tmp_path: Path
) -> None:
    sources = write_sources(sample_site, tmp_path / "sources.toml", schedules={"planet": None})
    sample_site.reset_requests()
    with connect(database_url) as holder:
        assert try_lock_source(holder, "planet")  # as a running crawl of planet does
        done = run_newswire("--sources", str(sources), "crawl", "planet",
                            database_url=database_url, data_dir=tmp_path)  # fmt: skip
    assert done.returncode == 1
    assert "another run of planet is in progress" in done.stderr
    (run,) = runs_of(db, "planet")
    assert (run.status, run.trigger) == ("failed", "cli")
    assert run.error == "another run of planet is in progress: this one did not start"
    assert [r for r in sample_site.requests() if r["outlet"] == "planet"] == []


def test_only_runs_whose_process_is_gone_are_failed_as_dead(
    db: psycopg.Connection[Any], database_url: str
) -> None:
    dead = create_run(db, "meridian", "schedule", pid=2, hostname="there")  # holds no lock
    waiting = create_run(db, "europa", "manual", status="queued")
    with connect(database_url) as crawl:  # one lock session, two crawls: both alive
        assert try_lock_source(crawl, "planet") and try_lock_source(crawl, "europa")
        alive = create_run(crawl, "planet", "schedule", pid=1, hostname="here")
        other = create_run(crawl, "europa", "schedule", pid=1, hostname="here")
        (failed,) = fail_dead_runs(db)
        assert failed.id == dead
        assert fail_dead_runs(db) == []
        assert get_run(db, alive).status == "running"
        unlock_source(crawl, "europa")  # its lock released, not recorded: dead though the
        (unlocked,) = fail_dead_runs(db)  # session lives on with planet's
        assert unlocked.id == other
    assert get_run(db, waiting).status == "queued"
    assert "pid 2 on there" in (get_run(db, dead).error or "")
    # Its process is gone now too (the server frees the lock a moment after the client goes).
    (late,) = wait_for("the run's lock to be freed", lambda: fail_dead_runs(db), 5)
    assert late.id == alive


def test_one_lock_session_holds_many_sources_but_each_once(database_url: str) -> None:
    locks = RunLocks(database_url, "newswire test locks")
    try:
        assert locks.try_lock("planet") and locks.try_lock("europa")
        assert not locks.try_lock("planet")  # re-entrant in PostgreSQL, refused here
        with connect(database_url) as other:
            assert not try_lock_source(other, "planet")
            locks.unlock("planet")
            assert try_lock_source(other, "planet")
            assert not locks.try_lock("planet")
        assert locks.held == {"europa"}
    finally:
        locks.close()
