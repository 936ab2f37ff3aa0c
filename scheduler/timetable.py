"""The timetable: one APScheduler 3 job per scheduled source, kept in line with sources.toml.

Each job's policy is explicit: ``coalesce`` (runs missed while the service was down become
one), ``max_instances=1``, and a ``misfire_grace_time`` from the process config instead of
APScheduler's 1 s default, which silently drops a run that is a second late. A job does not
crawl: it queues a run, and the dispatcher starts it (see :mod:`scheduler.service`), so the
timetable, triggers and the API share one queue and one no-overlap rule.

Cron times are UTC, and the day-of-week field reads like crontab (0 or 7 = Sunday): APScheduler
3 counts 0 as Monday, so the field is rewritten with day names before it gets there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from crawler.sources import Schedule, Source
from newswire.errors import ConfigError

logger = logging.getLogger(__name__)

JOB_PREFIX = "source:"
_CRONTAB_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")

_queue_scheduled_run: Callable[[str], None] | None = None


def set_run_queuer(queue: Callable[[str], None] | None) -> None:
    """Where fired jobs go. Jobs are stored as a reference to :func:`fire_schedule` and the
    source name, never the service or its database URL, so the active service registers here."""
    global _queue_scheduled_run
    _queue_scheduled_run = queue


def fire_schedule(source: str) -> None:
    """The job every source's timetable runs: ask the active service to queue a run."""
    queue = _queue_scheduled_run
    if queue is None:
        logger.warning("source %s: timetable fired with no active scheduler; ignored", source)
        return
    queue(source)


def _crontab_day(text: str, field: str) -> int:
    if text.isdigit() and int(text) <= 7:
        return int(text)
    if text in _CRONTAB_DAYS:
        return _CRONTAB_DAYS.index(text)
    raise ConfigError(f"cron day-of-week {field!r}: {text!r} is not 0-7 or a day name like mon")


def crontab_weekdays(field: str) -> str:
    """A crontab day-of-week field as APScheduler 3 day names: "1-5" -> "mon,tue,wed,thu,fri"."""
    if field == "*":
        return "*"
    days: set[int] = set()
    for part in field.lower().split(","):
        base, slash, step_text = part.partition("/")
        step = int(step_text) if step_text.isdigit() and int(step_text) > 0 else None
        if slash and step is None:
            raise ConfigError(f"cron day-of-week {field!r}: {part!r} needs a step like */2")
        if base == "*":
            low, high = 0, 6
        elif "-" in base:
            first, last = base.split("-", 1)
            low, high = _crontab_day(first, field), _crontab_day(last, field)
        else:
            low = _crontab_day(base, field)
            high = 7 if slash else low
        if low > high:
            raise ConfigError(f"cron day-of-week {field!r}: the range {base!r} runs backwards")
        days.update(day % 7 for day in range(low, high + 1, step or 1))
    return ",".join(_CRONTAB_DAYS[day] for day in sorted(days))


def schedule_trigger(schedule: Schedule) -> BaseTrigger:
    """The APScheduler trigger for a source's schedule: an interval, or a UTC cron, + jitter."""
    jitter = int(schedule.jitter.total_seconds()) if schedule.jitter else None
    if schedule.interval is not None:
        return IntervalTrigger(
            seconds=schedule.interval.total_seconds(), jitter=jitter, timezone=UTC
        )
    assert schedule.cron is not None
    minute, hour, day, month, weekdays = schedule.cron.split()
    return CronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=crontab_weekdays(weekdays),
        jitter=jitter,
        timezone=UTC,
    )


def schedule_label(source: Source) -> str:
    """The job's name: the source and its schedule, so a changed schedule is noticed."""
    schedule = source.schedule
    assert schedule is not None
    when = f"cron {schedule.cron} UTC" if schedule.cron else f"every {schedule.interval}"
    jitter = f", jitter {schedule.jitter}" if schedule.jitter else ""
    return f"{source.name}: {when}{jitter}"


@dataclass(frozen=True)
class JobChanges:
    """What a sync did, by source name."""

    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]


def sync_jobs(scheduler: BaseScheduler, sources: Mapping[str, Source], grace: int) -> JobChanges:
    """Make the jobs match the enabled, scheduled sources: add, reschedule, remove. An
    unchanged schedule keeps its next run time, so a restart neither loses nor repeats runs."""
    wanted = {JOB_PREFIX + s.name: s for s in sources.values() if s.enabled and s.schedule}
    existing = {job.id: job for job in scheduler.get_jobs()}
    policy = {"misfire_grace_time": grace, "coalesce": True, "max_instances": 1}
    added: list[str] = []
    changed: list[str] = []
    removed: list[str] = []
    for job_id in existing:
        if job_id not in wanted:
            scheduler.remove_job(job_id)
            removed.append(job_id.removeprefix(JOB_PREFIX))
    for job_id, source in wanted.items():
        assert source.schedule is not None
        label = schedule_label(source)
        job = existing.get(job_id)
        if job is None:
            scheduler.add_job(
                fire_schedule,
                trigger=schedule_trigger(source.schedule),
                args=[source.name],
                id=job_id,
                name=label,
                replace_existing=True,
                **policy,
            )
            added.append(source.name)
        elif job.name != label:
            scheduler.modify_job(job_id, name=label, **policy)
            scheduler.reschedule_job(job_id, trigger=schedule_trigger(source.schedule))
            changed.append(source.name)
        elif any(getattr(job, key) != value for key, value in policy.items()):
            scheduler.modify_job(job_id, **policy)
            changed.append(source.name)
    return JobChanges(tuple(added), tuple(changed), tuple(removed))
