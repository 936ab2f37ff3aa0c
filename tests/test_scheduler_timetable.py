"""The timetable: crontab days, triggers, and jobs synced with sources.toml in PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import create_engine

from crawler.sources import Schedule, parse_sources
from newswire.errors import ConfigError
from scheduler import timetable
from scheduler.timetable import (
    crontab_weekdays,
    fire_schedule,
    schedule_trigger,
    set_run_queuer,
    sync_jobs,
)

ALL_DAYS = "sun,mon,tue,wed,thu,fri,sat"


@pytest.mark.parametrize(
    ("field", "days"),
    [
        ("*", "*"),
        ("0", "sun"),
        ("7", "sun"),
        ("1", "mon"),
        ("1-5", "mon,tue,wed,thu,fri"),
        ("0-6", ALL_DAYS),
        ("*/2", "sun,tue,thu,sat"),
        ("5-7", "sun,fri,sat"),
        ("sat,sun", "sun,sat"),
        ("mon-fri/2", "mon,wed,fri"),
        ("1/3", "sun,mon,thu"),
        ("SUN", "sun"),
    ],
)
def test_crontab_weekdays_count_sunday_as_zero(field: str, days: str) -> None:
    assert crontab_weekdays(field) == days


@pytest.mark.parametrize("field", ["8", "funday", "5-1", "*/0", "1/x"])
def test_crontab_weekdays_refuse_nonsense(field: str) -> None:
    with pytest.raises(ConfigError, match="cron day-of-week"):
        crontab_weekdays(field)


@pytest.mark.parametrize(
    ("cron", "now", "expected"),
    [
        ("0 9 * * 1", datetime(2025, 3, 2, 12, tzinfo=UTC), datetime(2025, 3, 3, 9, tzinfo=UTC)),
        ("30 6 * * 0", datetime(2025, 3, 3, tzinfo=UTC), datetime(2025, 3, 9, 6, 30, tzinfo=UTC)),
        ("*/15 * * * *", datetime(2025, 3, 3, 10, 1, tzinfo=UTC),
         datetime(2025, 3, 3, 10, 15, tzinfo=UTC)),
    ],
)  # fmt: skip
def test_cron_schedules_fire_in_utc_like_crontab(
    cron: str, now: datetime, expected: datetime
) -> None:
    trigger = schedule_trigger(Schedule(cron=cron, interval=None, jitter=None))
    assert trigger.get_next_fire_time(None, now) == expected


def test_interval_schedules_carry_their_jitter() -> None:
    schedule = Schedule(cron=None, interval=timedelta(minutes=90), jitter=timedelta(seconds=30))
    trigger = schedule_trigger(schedule)
    assert isinstance(trigger, IntervalTrigger)
    assert trigger.interval == timedelta(minutes=90)
    assert trigger.jitter == 30


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
        scheduler, _sources(a="every 1h", b="0 6 * * *", c=None, d="disabled"), grace=600
    )
    assert (first.added, first.changed, first.removed) == (("a", "b"), (), ())
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"source:a", "source:b"}
    for job in jobs.values():
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 600)
    assert jobs["source:a"].args == ("a",)
    assert jobs["source:a"].func is fire_schedule
    stored = dict(db.execute("SELECT id, next_run_time FROM apscheduler_jobs").fetchall())

    same = sync_jobs(scheduler, _sources(a="every 1h", b="0 6 * * *"), grace=600)
    assert (same.added, same.changed, same.removed) == ((), (), ())
    assert dict(db.execute("SELECT id, next_run_time FROM apscheduler_jobs").fetchall()) == stored

    moved = sync_jobs(scheduler, _sources(a="every 2h", e="every 5m"), grace=600)
    assert (moved.added, moved.changed, moved.removed) == (("e",), ("a",), ("b",))
    job_a = scheduler.get_job("source:a")
    assert job_a.name == "a: every 2:00:00"
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
