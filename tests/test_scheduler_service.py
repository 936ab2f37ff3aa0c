"""The scheduler service end to end: real `newswire scheduler` subprocesses with their worker
subprocesses, the sample site and PostgreSQL."""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from newswire.records import Run
from scheduler.queue import ALREADY_WAITING
from storage.runs import create_run, get_run
from tests.conftest import SiteProcess, run_newswire
from tests.scheduling import (
    SLOW_CRAWL,
    Scheduler,
    is_leader,
    runs_of,
    wait_for,
    wait_idle,
    write_sources,
)

SOURCES = ["planet", "meridian", "europa"]


def _finished(conn: psycopg.Connection[Any], trigger: str, count: int) -> list[Run]:
    runs = [r for r in runs_of(conn, "planet") if r.trigger == trigger and r.finished_at]
    return runs if len(runs) >= count else []


def _assert_never_overlapping(runs: list[Run]) -> None:
    spans = sorted((r.started_at, r.finished_at, r.id) for r in runs if r.started_at)
    for (_, end, first), (start, _, second) in itertools.pairwise(spans):
        assert end is not None and end <= start, f"runs {first} and {second} overlap"


def _next_fire(conn: psycopg.Connection[Any], source: str) -> float:
    """When the stored timetable fires the source next, as a Unix time."""
    row = conn.execute(
        "SELECT next_run_time FROM apscheduler_jobs WHERE id = %s", [f"source:{source}"]
    ).fetchone()
    assert row is not None, f"no stored timetable job for {source}"
    return float(row[0])


def test_timetable_runs_on_time_and_a_coinciding_trigger_never_overlaps(
    db: psycopg.Connection[Any], database_url: str, sample_site: SiteProcess, tmp_path: Path
) -> None:
    sources = write_sources(
        sample_site, tmp_path / "sources.toml", schedules={"planet": "every 2s"}
    )
    sample_site.reset_requests()
    scheduler = Scheduler(database_url, tmp_path, sources)
    try:
        wait_for("a first timetable run", lambda: _finished(db, "schedule", 1), 30)
        # A manual trigger at the moment the timetable fires again.
        fire_at = _next_fire(db, "planet")
        time.sleep(max(0.0, fire_at - time.time() - 0.05))
        done = run_newswire("--sources", str(sources), "trigger", "planet",
                            database_url=database_url, data_dir=tmp_path)  # fmt: skip
        assert done.returncode == 0, done.stderr
        wait_for("the manual run to finish", lambda: _finished(db, "manual", 1), 20)
        wait_for("another timetable run", lambda: _finished(db, "schedule", 2), 20)
    finally:
        assert scheduler.stop() == 0
    runs = runs_of(db, "planet")
    # A trigger while the timetable's run still waits is refused by the queueing lock: the
    # waiting run crawls for both.
    refused = [r for r in runs if r.trigger == "manual" and r.error == ALREADY_WAITING]
    assert all(r.status == "cancelled" and r.started_at is None for r in refused)
    runs = [r for r in runs if r not in refused]
    assert all(r.status == "succeeded" for r in runs), [(r.id, r.status, r.error) for r in runs]
    _assert_never_overlapping(runs)
    # On time: each timetable run was queued within half a second of a 2 s slot of the first.
    scheduled = [r.queued_at.timestamp() for r in runs if r.trigger == "schedule"]
    for moment in scheduled[1:]:
        offset = (moment - scheduled[0]) % 2
        assert min(offset, 2 - offset) < 0.5, f"a timetable run was queued {offset:.2f} s off"
    # The site saw one crawl at a time: every request falls inside a run (one clock, so a
    # small margin) and never inside two (a source's next run may start 15 ms after the last).
    spans = [(r.started_at.timestamp(), r.finished_at.timestamp()) for r in runs]
    requests = [q for q in sample_site.requests() if q["outlet"] == "planet"]
    assert requests
    for request in requests:
        at = request["time"]
        near = [s for s in spans if s[0] - 0.03 <= at <= s[1] + 0.03]
        inside = [s for s in spans if s[0] <= at <= s[1]]
        assert near and len(inside) <= 1, f"{request['url']} at {at} is in {near}"


def test_restart_keeps_the_timetable_runs_a_missed_run_once_and_fails_dead_runs(
    db: psycopg.Connection[Any], database_url: str, sample_site: SiteProcess, tmp_path: Path
) -> None:
    interval = 4.0  # the restarted service must queue its catch-up run within about 3 s
    sources = write_sources(sample_site, tmp_path / "sources.toml",
                            schedules={"planet": f"every {interval:.0f}s"})  # fmt: skip
    first = Scheduler(database_url, tmp_path, sources, name="first")
    try:
        wait_for("a first timetable run", lambda: _finished(db, "schedule", 1), 15)
    finally:
        assert first.stop() == 0
    stopped = time.time()
    fire_at = _next_fire(db, "planet")  # the timetable is still in the database
    # A run left 'running' by a crawl that died while the service was down.
    dead = create_run(db, "meridian", "schedule", pid=999_999, hostname="gone")
    # Stay down across two slots: both are missed and must be coalesced into one run.
    time.sleep(max(0.0, fire_at + interval + 0.3 - time.time()))
    before = {r.id for r in runs_of(db)}
    restarted = time.time()
    second = Scheduler(database_url, tmp_path, sources, name="second")
    try:
        wait_for("the missed run", lambda: [r for r in _finished(db, "schedule", 1)
                                             if r.id not in before], 15)  # fmt: skip
        next_slot = fire_at + interval * (1 + (restarted - fire_at) // interval)
        time.sleep(max(0.0, next_slot - time.time() - 0.3))
        dead_run = get_run(db, dead)
    finally:
        assert second.stop() == 0
    new = [r for r in runs_of(db, "planet") if r.id not in before]
    during_downtime = [r for r in new if r.queued_at.timestamp() < restarted]
    caught_up = [r for r in new if r.queued_at.timestamp() < next_slot - 0.3]
    assert not during_downtime and stopped < restarted
    assert len(caught_up) == 1, [(r.id, r.queued_at) for r in new]
    assert caught_up[0].queued_at.timestamp() - restarted < 5  # at start, not at the next slot
    assert caught_up[0].status == "succeeded"
    assert dead_run is not None and dead_run.status == "failed"
    assert "pid 999999 on gone" in (dead_run.error or "")
    assert f"run {dead} of meridian marked failed" in second.log()


def test_two_schedulers_one_active_and_the_standby_takes_over(
    db: psycopg.Connection[Any], database_url: str, sample_site: SiteProcess, tmp_path: Path
) -> None:
    sources = write_sources(
        sample_site, tmp_path / "sources.toml", schedules={"planet": "every 2s"}
    )
    first = Scheduler(database_url, tmp_path, sources, name="first")
    wait_for("the first scheduler to lead", lambda: is_leader(db, first), 15)
    second = Scheduler(database_url, tmp_path, sources, name="second")
    orphan = ""
    try:
        second.wait_log("scheduler started", 15)
        wait_for("a run from the active scheduler", lambda: first.launched(), 20)
        assert is_leader(db, first)
        assert second.launched() == []
        assert "now the active one" not in second.log()
        (orphan,) = re.findall(r"worker 1 started \(pid (\d+)\)", first.log())
        first.signal(signal.SIGKILL)
        first.process.wait(timeout=10)
        killed = time.monotonic()
        wait_for("the standby to take over", lambda: is_leader(db, second), 10)
        takeover = time.monotonic() - killed
        # The killed scheduler's worker notices within a second and stops.
        wait_for("its worker to stop", lambda: not Path(f"/proc/{orphan}").exists(), 40)
        wait_for("a run from the new active scheduler", lambda: second.launched(), 20)
    finally:
        first.stop()
        if orphan:  # a worker that outlived its scheduler must not outlive the test too
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(orphan), signal.SIGKILL)
        assert second.stop() == 0
    wait_idle(db, ["planet"])
    assert takeover < 3.0
    assert set(first.launched()).isdisjoint(second.launched())
    _assert_never_overlapping(runs_of(db, "planet"))


def test_sigterm_lets_the_crawl_close_and_records_it_interrupted(
    db: psycopg.Connection[Any], database_url: str, sample_site: SiteProcess, tmp_path: Path
) -> None:
    sources = write_sources(sample_site, tmp_path / "sources.toml", schedules={"planet": None},
                            settings={"planet": SLOW_CRAWL})  # fmt: skip
    timeout = 15.0
    scheduler = Scheduler(database_url, tmp_path, sources, "--shutdown-timeout", f"{timeout:g}")
    try:
        scheduler.wait_ready(db)
        done = run_newswire("--sources", str(sources), "trigger", "planet",
                            database_url=database_url, data_dir=tmp_path)  # fmt: skip
        assert done.returncode == 0, done.stderr
        wait_for("articles stored mid-run", lambda: _stored(db) >= 2, 20)
    finally:
        started = time.monotonic()
        status = scheduler.stop(timeout=timeout + 10)  # one SIGTERM: a second one kills
        took = time.monotonic() - started
    assert status == 0
    assert took < timeout + 2
    (run,) = runs_of(db, "planet")
    assert run.status == "interrupted", (run, scheduler.log())
    assert run.stats.get("articles_stored") == _stored(db) >= 2, (run, scheduler.log())
    _assert_complete_rows(db)
    assert "stopping, open crawls close as interrupted" in scheduler.log()


def _stored(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT count(*) FROM articles WHERE source = 'planet'").fetchone()
    return int(row[0]) if row else 0


def _assert_complete_rows(conn: psycopg.Connection[Any]) -> None:
    """Every stored article has its text, its URL row and its HTML: no half-written rows."""
    broken = conn.execute(
        "SELECT a.id FROM articles a WHERE a.text = '' OR a.title = ''"
        " OR NOT EXISTS (SELECT 1 FROM article_urls u WHERE u.article_id = a.id AND u.url = a.url)"
        " OR NOT EXISTS (SELECT 1 FROM article_html h WHERE h.article_id = a.id)"
    ).fetchall()
    assert broken == []


def test_sighup_brings_the_timetable_in_line_with_the_sources_file(
    db: psycopg.Connection[Any], database_url: str, sample_site: SiteProcess, tmp_path: Path
) -> None:
    path = tmp_path / "sources.toml"
    write_sources(sample_site, path, schedules={"planet": "every 1h", "meridian": "every 2h"})
    scheduler = Scheduler(database_url, tmp_path, path)
    try:
        scheduler.wait_log(r"added planet, meridian", 15)
        write_sources(sample_site, path, schedules={"planet": "every 3h", "europa": "0 6 * * 1"})
        scheduler.signal(signal.SIGHUP)
        scheduler.wait_log(r"added europa, changed planet, removed meridian", 10)
        jobs = dict(db.execute("SELECT id, next_run_time FROM apscheduler_jobs").fetchall())
    finally:
        assert scheduler.stop() == 0
    assert set(jobs) == {"source:planet", "source:europa"}
    in_three_hours = datetime.now(UTC) + timedelta(hours=3)
    assert abs(jobs["source:planet"] - in_three_hours.timestamp()) < 60
    monday = datetime.fromtimestamp(jobs["source:europa"], UTC)
    assert (monday.weekday(), monday.hour, monday.minute) == (0, 6, 0)  # crontab 1 is Monday


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--workers", "-1"], "--workers"),
        (["--concurrency", "0"], "--concurrency"),
        (["--grace", "0"], "--grace"),
    ],
)
def test_scheduler_refuses_bad_flags(
    database_url: str, sample_site: SiteProcess, tmp_path: Path, args: list[str], message: str
) -> None:
    sources = write_sources(sample_site, tmp_path / "sources.toml", schedules={"planet": None})
    done = run_newswire("--sources", str(sources), "scheduler", *args,
                        database_url=database_url, data_dir=tmp_path, timeout=60)  # fmt: skip
    assert done.returncode == 2
    assert message in done.stderr
