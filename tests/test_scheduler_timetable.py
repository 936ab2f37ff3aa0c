"""The timetable: jobs synced with sources.toml in PostgreSQL, firing the queue."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import create_engine

from crawler.sources import parse_sources
from scheduler import timetable
from scheduler.timetable import fire_schedule, set_run_queuer, sync_jobs


def _sources(**schedules: str | None) -> Any:
    lines = []
    for name, schedule in schedules.items():
        lines.append(f'[sources.{name}]\nhome = "https://{name}.example/"')
        if schedule == "disabled":
            lines.append('schedule = "every 1h"\nenabled = false')
        elif schedule is not None:
            lines.append(f'schedule = "{schedule}"')
    return parse_sources("\n".join(lines), "test.toml")


@pytest.fixture
def stored_timetable(
    db: psycopg.Connection[Any], database_url: str
) -> Iterator[BackgroundScheduler]:
    """A paused scheduler whose jobs live in the test database, as the service keeps them."""
    engine = create_engine("postgresql+psycopg://", creator=lambda: psycopg.connect(database_url))
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine)}, timezone=UTC
    )
    scheduler.start(paused=True)
    try:
        yield scheduler
    finally:
        scheduler.shutdown(wait=False)
        engine.dispose()


def test_sync_adds_changes_and_removes_jobs_and_keeps_unchanged_ones(
    stored_timetable: BackgroundScheduler, db: psycopg.Connection[Any]
) -> None:
    scheduler = stored_timetable
    first = sync_jobs(
        scheduler, _sources(a="every 1h", b="0 6 * * 7", c=None, d="disabled"), grace=600
    )
    assert (first.added, first.changed, first.removed) == (("a", "b"), (), ())
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"source:a", "source:b"}
    for job in jobs.values():
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 600)
    assert jobs["source:a"].args == ("a",)
    assert jobs["source:a"].func is fire_schedule
    assert jobs["source:b"].name == "b: 0 6 * * 7"
    wednesday, sunday = datetime(2025, 3, 5, tzinfo=UTC), datetime(2025, 3, 9, 6, tzinfo=UTC)
    assert jobs["source:b"].trigger.get_next_fire_time(None, wednesday) == sunday
    stored = dict(db.execute("SELECT id, next_run_time FROM apscheduler_jobs").fetchall())

    same = sync_jobs(scheduler, _sources(a="every 1h", b="0 6 * * 7"), grace=600)
    assert (same.added, same.changed, same.removed) == ((), (), ())
    assert dict(db.execute("SELECT id, next_run_time FROM apscheduler_jobs").fetchall()) == stored

    moved = sync_jobs(scheduler, _sources(a="every 2h", e="every 5m"), grace=600)
    assert (moved.added, moved.changed, moved.removed) == (("e",), ("a",), ("b",))
    job_a = scheduler.get_job("source:a")
    assert job_a.name == "a: every 2h"
    assert job_a.trigger.interval == timedelta(hours=2)

    regraced = sync_jobs(scheduler, _sources(a="every 2h", e="every 5m"), grace=60)
    assert regraced.changed == ("a", "e")
    assert {job.misfire_grace_time for job in scheduler.get_jobs()} == {60}


def test_a_fired_job_goes_to_the_registered_service(caplog: pytest.LogCaptureFixture) -> None:
    fired: list[str] = []
    set_run_queuer(fired.append)
    try:
        fire_schedule("planet")
    finally:
        set_run_queuer(None)
    assert fired == ["planet"]
    fire_schedule("planet")  # no active service: logged, not raised
    assert timetable._queue_scheduled_run is None
    assert "no active scheduler" in caplog.text
