"""The timetable: one APScheduler 3 job per scheduled source, kept in line with sources.toml.

Each job's policy is explicit: ``coalesce`` (runs missed while the service was down become
one), ``max_instances=1``, and a ``misfire_grace_time`` from the process config instead of
APScheduler's 1 s default, which silently drops a run that is a second late. A job does not
crawl: it queues a run and its job, which a worker claims (see :mod:`scheduler.queue`), so the
timetable, triggers and the API share one queue and one no-overlap rule.

Triggers come from :meth:`newswire.schedule.Schedule.trigger`, the reading the sources loader
validated with: cron in UTC, day-of-week like crontab (0 or 7 = Sunday).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from apscheduler.schedulers.base import BaseScheduler

from newswire.records import Source

logger = logging.getLogger(__name__)

JOB_PREFIX = "source:"

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


def schedule_label(source: Source) -> str:
    """The job's name: the source and its schedule, so a changed schedule is noticed."""
    assert source.schedule is not None
    return f"{source.name}: {source.schedule.describe()}"


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
                trigger=source.schedule.trigger(),
                args=[source.name],
                id=job_id,
                name=label,
                replace_existing=True,
                **policy,
            )
            added.append(source.name)
        elif job.name != label:
            scheduler.modify_job(job_id, name=label, **policy)
            scheduler.reschedule_job(job_id, trigger=source.schedule.trigger())
            changed.append(source.name)
        elif any(getattr(job, key) != value for key, value in policy.items()):
            scheduler.modify_job(job_id, **policy)
            changed.append(source.name)
    return JobChanges(tuple(added), tuple(changed), tuple(removed))
